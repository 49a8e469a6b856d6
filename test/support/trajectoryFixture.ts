// A synthetic trajectory record for viewer tests and benchmarks: deterministic numbers, two turns,
// roles cycling, hostile token and observation texts.
import type { TrajectoryPayload } from '../../src/common/messages';

export const HOSTILE = ['<img src=x onerror="window.__pwned=1">', '<script>window.__pwned=2</script>', '\u0000\u0007\u001b[31m', ' Down', '</answer>', 'é🙂'];

/** A trajectory record with deterministic numbers: two turns, roles cycling, hostile texts. */
export function makePayload(n: number, opts: { roles?: number[]; energy?: number[]; position?: number } = {}): TrajectoryPayload {
  const roles = opts.roles ?? Array.from({ length: n }, (_, i) => (i % 5 === 3 ? 1 : i % 7 === 6 ? 2 : 0));
  const f = (k: number) => Array.from({ length: n }, (_, i) => Math.sin(i * k + k) * (k + 1));
  const half = Math.floor(n / 2);
  return {
    runId: 'run-a', position: opts.position ?? 0,
    header: { v: 1, step: 3, index: opts.position ?? 0, group: 1, seed: 7, env: 'sokoban', reward: 0.5, success: true, advantage: 1.2, system: 'sys',
      turns: [
        { observation: 'Turn 1: <b>board</b><img src=x onerror="window.__pwned=3">', text: '', start: 0, n_tokens: half, valid: true, reward: 0 },
        { observation: 'Turn 2:\n#####\n#@ $#', text: '', start: half, n_tokens: n - half, valid: false, reward: 0.5 },
      ], n_tokens: n, columns: [] },
    columns: {
      token_id: Array.from({ length: n }, (_, i) => 1000 + i), role: roles, text: Array.from({ length: n }, (_, i) => HOSTILE[i % HOSTILE.length]!),
      logprob: f(1), ref_logprob: f(2), entropy: f(3).map(Math.abs), ref_entropy: f(4).map(Math.abs), energy: opts.energy ?? f(5), weight: f(6).map(Math.abs), advantage: f(7),
    },
  };
}

