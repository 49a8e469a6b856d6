// Summaries of the TypeScript benchmarks' samples. Percentiles by nearest rank: the p-th percentile of n
// samples is the ceil(p·n)-th smallest, so p95 of 20 samples is the 19th, not the largest (the max is
// reported on its own).
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) throw new Error('no samples');
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1]!;
}

export interface Summary { n: number; mean: number; p50: number; p95: number; max: number }

export function summarise(xs: readonly number[], digits = 1): Summary | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const r = (v: number) => +v.toFixed(digits);
  return { n: s.length, mean: r(s.reduce((a, b) => a + b, 0) / s.length), p50: r(percentile(s, 0.5)), p95: r(percentile(s, 0.95)), max: r(s.at(-1)!) };
}
