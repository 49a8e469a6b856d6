// The weighted clipped surrogate and advantages, mirroring host/actfocus/algos (proved by test/vectors).

export function weightedSurrogate(logp: ArrayLike<number>, oldLogp: ArrayLike<number>, adv: ArrayLike<number>, w: ArrayLike<number>, clipLow: number, clipHigh: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < logp.length; i++) {
    const ratio = Math.exp(logp[i]! - oldLogp[i]!);
    const clipped = Math.min(Math.max(ratio, 1 - clipLow), 1 + clipHigh);
    num += w[i]! * -Math.min(ratio * adv[i]!, clipped * adv[i]!);
    den += w[i]!;
  }
  return num / den;
}

/** GRPO: (R - mean) / (unbiased std + eps) within each group; 0 for singleton or constant groups. */
export function grpoAdvantages(rewards: number[], groups: number[], eps: number): number[] {
  const byGroup = new Map<number, number[]>();
  groups.forEach((g, i) => byGroup.set(g, [...(byGroup.get(g) ?? []), rewards[i]!]));
  return rewards.map((r, i) => {
    const rs = byGroup.get(groups[i]!)!;
    if (rs.length < 2 || rs.every((x) => x === rs[0])) return 0;
    const m = rs.reduce((a, b) => a + b, 0) / rs.length;
    const sd = Math.sqrt(rs.reduce((a, b) => a + (b - m) ** 2, 0) / (rs.length - 1));
    return (r - m) / (sd + eps);
  });
}

export function gae(rewards: number[], values: number[], gamma: number, lam: number): number[] {
  const adv = new Array<number>(rewards.length).fill(0);
  let last = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    const next = t + 1 < rewards.length ? values[t + 1]! : 0;
    last = rewards[t]! + gamma * next - values[t]! + gamma * lam * last;
    adv[t] = last;
  }
  return adv;
}
