// Chart smoothing and decimation (pure). Smoothing is applied to the full-resolution series first,
// then the result is decimated for drawing, so the drawn curve does not depend on the zoom level.

/** Exponential moving average with bias correction (as TensorBoard): the first points are not pulled towards 0. */
export function debiasedEma(y: readonly (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return y.slice();
  const out: (number | null)[] = new Array(y.length);
  let acc = 0;
  let n = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    acc = acc * weight + (1 - weight) * v;
    n++;
    out[i] = acc / (1 - weight ** n);
  }
  return out;
}

/** At most ~maxPoints points: per bucket the first, min, max and last (keeps spikes and order). */
export function decimate(x: readonly number[], y: readonly (number | null)[], maxPoints: number): { x: number; y: number }[] {
  const pts: { x: number; y: number }[] = [];
  const n = x.length;
  if (n <= maxPoints) {
    for (let i = 0; i < n; i++) if (y[i] !== null) pts.push({ x: x[i]!, y: y[i] as number });
    return pts;
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 4));
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor(b * size);
    const hi = Math.min(n, Math.floor((b + 1) * size));
    let first = -1, last = -1, mn = -1, mx = -1;
    for (let i = lo; i < hi; i++) {
      const v = y[i];
      if (v === null) continue;
      if (first < 0) first = i;
      last = i;
      if (mn < 0 || v < (y[mn] as number)) mn = i;
      if (mx < 0 || v > (y[mx] as number)) mx = i;
    }
    if (first < 0) continue;
    for (const i of [...new Set([first, mn, mx, last])].sort((a, b) => a - b)) pts.push({ x: x[i]!, y: y[i] as number });
  }
  return pts;
}
