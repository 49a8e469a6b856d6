// A plain-text rendering of one stored trajectory (read-only document): each turn's observation, then
// the response with action tokens marked, and per-turn token statistics. The rich token view is the
// trajectory viewer webview.
import type { Trajectory } from '../protocol/trajectories';
import { TOKEN_ROLES } from '../common/hparams';

export function trajectoryText(runId: string, tr: Trajectory): string {
  const h = tr.header;
  const role = tr.columns.role as Uint8Array;
  const text = tr.columns.text as string[];
  const energy = tr.columns.energy as Float32Array;
  const weight = tr.columns.weight as Float32Array;
  const lines = [`# ${runId} · step ${h.step} · group ${h.group} · trajectory ${h.index}`,
    `env ${h.env} · seed ${h.seed} · reward ${h.reward.toFixed(3)} · ${h.success ? 'success' : 'failure'}${h.advantage != null ? ` · advantage ${h.advantage.toFixed(3)}` : ''}`, ''];
  h.turns.forEach((turn, k) => {
    lines.push(`## Turn ${k + 1} (reward ${turn.reward}${turn.valid ? '' : ', invalid'})`, '', '### Observation', turn.observation, '', '### Response (action tokens in ⟦ ⟧)');
    let out = '';
    let inAction = false;
    const counts = [0, 0, 0];
    let eSum = 0, wSum = 0, nA = 0;
    for (let i = turn.start; i < turn.start + turn.n_tokens; i++) {
      const isAction = TOKEN_ROLES[role[i]!] === 'action';
      if (isAction !== inAction) out += isAction ? '⟦' : '⟧';
      inAction = isAction;
      out += text[i];
      counts[role[i]!]!++;
      if (isAction) {
        eSum += energy[i]!;
        wSum += weight[i]!;
        nA++;
      }
    }
    if (inAction) out += '⟧';
    lines.push(out, '', `tokens: ${TOKEN_ROLES.map((r, i) => `${r} ${counts[i]}`).join(', ')}${nA ? ` · action energy ${(eSum / nA).toFixed(2)} · action weight ${(wSum / nA).toFixed(3)}` : ''}`, '');
  });
  return lines.join('\n');
}
