// ActFocus token weights (docs/method.md), the same arithmetic as host/actfocus/algos/actfocus.py;
// test/vectors/weights.json proves both agree. Used for what-if previews in the extension.
import { ROLE } from '../common/hparams';

export interface WeightParams {
  alpha: number;
  beta: number;
  eps: number;
  otherWeight: number;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Mean and population standard deviation sqrt(var + eps) of the signal over action tokens. */
export function actionSignalStats(roles: ArrayLike<number>, signal: ArrayLike<number>, eps: number): { mu: number; sigma: number } | undefined {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < roles.length; i++) if (roles[i] === ROLE.action) { n++; sum += signal[i]!; }
  if (n === 0) return undefined;
  const mu = sum / n;
  let ss = 0;
  for (let i = 0; i < roles.length; i++) if (roles[i] === ROLE.action) ss += (signal[i]! - mu) ** 2;
  return { mu, sigma: Math.sqrt(ss / n + eps) };
}

export function actfocusWeights(roles: ArrayLike<number>, signal: ArrayLike<number>, p: WeightParams, stats = actionSignalStats(roles, signal, p.eps)): Float64Array {
  const w = new Float64Array(roles.length);
  for (let i = 0; i < roles.length; i++) {
    const r = roles[i];
    if (r === ROLE.reasoning) w[i] = p.alpha;
    // No spread (sigma 0) standardises to 0, as in the host: finite weights for every allowed setting.
    else if (r === ROLE.action) w[i] = 1 + p.beta * sigmoid(stats!.sigma > 0 ? (signal[i]! - stats!.mu) / stats!.sigma : 0);
    else w[i] = p.otherWeight;
  }
  return w;
}

/** Share of the total weight mass on each role: how a setting moves gradient mass between tokens. */
export function weightMassByRole(roles: ArrayLike<number>, weights: ArrayLike<number>): { reasoning: number; action: number; other: number } {
  const mass = [0, 0, 0];
  let total = 0;
  for (let i = 0; i < roles.length; i++) { mass[roles[i]!]! += weights[i]!; total += weights[i]!; }
  const f = (x: number) => (total > 0 ? x / total : 0);
  return { reasoning: f(mass[ROLE.reasoning]!), action: f(mass[ROLE.action]!), other: f(mass[ROLE.other]!) };
}
