// Pure logic of the trajectory viewer: overlay values, colour scales, the what-if weights (src/core,
// the same arithmetic as the host), layout blocks for virtualised rendering, and find.
import { actfocusWeights, actionSignalStats, weightMassByRole } from '../core/actfocus';
import type { TrajectoryHeader } from '../protocol/types.generated';

export const OVERLAYS = ['role', 'energy', 'entropy', 'logprob', 'advantage', 'weight', 'whatif', 'signal', 'model_energy', 'model_logprob', 'model_entropy', 'energy_diff'] as const;
/** Overlays that exist once the trajectory was scored with an exported model. */
export const MODEL_OVERLAYS: readonly Overlay[] = ['model_energy', 'model_logprob', 'model_entropy', 'energy_diff'];
export type Overlay = (typeof OVERLAYS)[number];
export type Columns = Record<string, ArrayLike<number> | string[]>;

/** The host's action signal (host/actfocus/algos/actfocus.py: action_signal). */
export function signalColumn(cols: Columns, signal: string): number[] {
  const get = (k: string) => Array.from(cols[k] as ArrayLike<number>);
  switch (signal) {
    case 'energy': return get('energy');
    case 'ref_entropy': return get('ref_entropy');
    case 'policy_nll': return get('logprob').map((x) => -x);
    case 'logprob_shift': { const lp = get('logprob'); const ref = get('ref_logprob'); return lp.map((x, i) => x - ref[i]!); }
    default: throw new Error(`unknown signal ${signal}`);
  }
}

export interface WhatIf {
  weighting: 'actfocus' | 'uniform';
  alpha: number;
  beta: number;
  signal: string;
  sigmaEps: number;
  otherWeight: number;
}

/** Weights under the what-if settings. stats: the step's batch statistics of the signal (as the host used); else this trajectory's. */
export function whatIfWeights(cols: Columns, w: WhatIf, stats?: { mu: number; sigma: number }): Float64Array {
  const roles = cols.role as ArrayLike<number>;
  if (w.weighting === 'uniform') return Float64Array.from({ length: roles.length }, () => 1);
  const sig = signalColumn(cols, w.signal);
  const st = stats ?? actionSignalStats(roles, sig, w.sigmaEps);
  return actfocusWeights(roles, sig, { alpha: w.alpha, beta: w.beta, eps: w.sigmaEps, otherWeight: w.otherWeight }, st);
}

export function massByRole(cols: Columns, weights: ArrayLike<number>) {
  return weightMassByRole(cols.role as ArrayLike<number>, weights);
}

/** Values shown by a numeric overlay (role is categorical: undefined). */
export function overlayValues(cols: Columns, overlay: Overlay, whatIf: ArrayLike<number> | undefined, signal: string): ArrayLike<number> | undefined {
  switch (overlay) {
    case 'role': return undefined;
    case 'whatif': return whatIf;
    case 'signal': return signalColumn(cols, signal);
    case 'energy_diff': {
      // The scoring model's energy minus the energy logged at training time (the reference's).
      const m = cols.model_energy as ArrayLike<number> | undefined;
      const e = cols.energy as ArrayLike<number>;
      return m ? Array.from(e, (x, i) => m[i]! - x) : undefined;
    }
    default: return cols[overlay] as ArrayLike<number>;
  }
}

/** Colour range: 2nd to 98th percentile of the finite values (one outlier does not wash out the rest). */
export function scaleRange(values: ArrayLike<number>): { lo: number; hi: number } {
  const xs = Array.from(values).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!xs.length) return { lo: 0, hi: 1 };
  const lo = xs[Math.floor(0.02 * (xs.length - 1))]!;
  const hi = xs[Math.ceil(0.98 * (xs.length - 1))]!;
  return hi > lo ? { lo, hi } : { lo: lo - 0.5, hi: lo + 0.5 };
}

/** 0..1 position of a value in the range (clamped). */
export function intensity(x: number, r: { lo: number; hi: number }): number {
  if (!Number.isFinite(x)) return 0;
  return Math.min(1, Math.max(0, (x - r.lo) / (r.hi - r.lo)));
}

export type Block =
  | { kind: 'observation'; turn: number; text: string }
  | { kind: 'tokens'; turn: number; start: number; end: number };

/** Turn by turn: the observation, then the response's tokens in chunks (the unit of lazy rendering). */
export function layoutBlocks(header: TrajectoryHeader, chunk: number): Block[] {
  const out: Block[] = [];
  header.turns.forEach((t, k) => {
    out.push({ kind: 'observation', turn: k, text: t.observation });
    for (let s = t.start; s < t.start + t.n_tokens; s += chunk) out.push({ kind: 'tokens', turn: k, start: s, end: Math.min(t.start + t.n_tokens, s + chunk) });
  });
  return out;
}

/** Tokens that overlap a case-insensitive match of `query` in the concatenated token text. */
export function findTokens(texts: readonly string[], query: string): number[] {
  if (!query) return [];
  const starts: number[] = [];
  let all = '';
  for (const t of texts) {
    starts.push(all.length);
    all += t;
  }
  const hay = all.toLowerCase();
  const q = query.toLowerCase();
  const hits = new Set<number>();
  let token = 0;
  for (let at = hay.indexOf(q); at !== -1; at = hay.indexOf(q, at + 1)) {
    while (token + 1 < starts.length && starts[token + 1]! <= at) token++;
    for (let k = token; k < texts.length && starts[k]! < at + q.length; k++) if (texts[k]!.length || starts[k] === at) hits.add(k);
  }
  return [...hits].sort((a, b) => a - b);
}
