// The dashboard's per-metric store against brute-force references: exact while short, M4 over aligned
// groups when long, smoothing as TensorBoard's debiased EMA, bounded memory, deltas that rebuild it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CAPACITY, minutesSince, rawPoints, SeriesStore, smoothedPoints, STRIDE, type Point, type StoreCursor } from '../../src/common/seriesStore';

function storeOf(ys: readonly number[], x0 = 1): SeriesStore {
  const s = new SeriesStore();
  ys.forEach((y, i) => s.push(x0 + i, 1000 + 6 * i, y));
  return s;
}

/** M4 by brute force: finite points cut into groups of w; per group first, first min, first max, last. */
function m4(ys: readonly number[], w: number, x0 = 1): Point[] {
  const pts = ys.map((y, i) => ({ x: x0 + i, y })).filter((p) => Number.isFinite(p.y));
  const out: Point[] = [];
  for (let g = 0; g < pts.length; g += w) {
    const grp = pts.slice(g, g + w).map((p, j) => ({ ...p, j }));
    const min = grp.reduce((a, b) => (b.y < a.y ? b : a));
    const max = grp.reduce((a, b) => (b.y > a.y ? b : a));
    const picked = [...new Set([0, min.j, max.j, grp.length - 1])].sort((a, b) => a - b);
    for (const j of picked) out.push({ x: grp[j]!.x, y: grp[j]!.y });
  }
  return out;
}

/** TensorBoard's debiased EMA over the finite points, one output per point. */
function emaReference(ys: readonly number[], weight: number, x0 = 1): Point[] {
  let acc = 0;
  let n = 0;
  const out: Point[] = [];
  ys.forEach((y, i) => {
    if (!Number.isFinite(y)) return;
    acc = acc * weight + (1 - weight) * y;
    n++;
    out.push({ x: x0 + i, y: acc / (1 - weight ** n) });
  });
  return out;
}

/** The bucket width a store of n finite points has: the smallest power of two giving at most CAPACITY groups. */
const widthFor = (n: number) => {
  let w = 1;
  while (Math.ceil(n / w) > CAPACITY) w *= 2;
  return w;
};

test('a series up to CAPACITY points is kept and drawn point by point; smoothing is the debiased EMA', () => {
  const ys = Array.from({ length: CAPACITY }, (_, i) => Math.sin(i / 7) + (i % 13 === 0 ? NaN : 0));
  const s = storeOf(ys);
  assert.equal(s.width, 1);
  assert.deepEqual(rawPoints(s), ys.map((y, i) => ({ x: i + 1, y })).filter((p) => Number.isFinite(p.y)));
  const smooth = smoothedPoints(s, 0.9);
  const ref = emaReference(ys, 0.9);
  assert.equal(smooth.length, ref.length);
  smooth.forEach((p, i) => {
    assert.equal(p.x, ref[i]!.x);
    assert.ok(Math.abs(p.y - ref[i]!.y) < 1e-12, `point ${i}: ${p.y} vs ${ref[i]!.y}`);
  });
  assert.deepEqual(smoothedPoints(s, 0), rawPoints(s));
});

test('a long series is M4 over aligned groups (spikes kept, ties the earliest), in bounded memory', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(NaN)), { maxLength: 3000, size: 'max' }), (ys) => {
      const s = storeOf(ys);
      const n = ys.filter(Number.isFinite).length;
      assert.equal(s.points, n);
      assert.equal(s.width, widthFor(n));
      assert.ok(s.count <= CAPACITY && s.buf.length <= CAPACITY * STRIDE);
      assert.deepEqual(rawPoints(s), m4(ys, s.width));
    }),
    { numRuns: 60, endOnFailure: true }, // no shrinking: a 3000-point counterexample is read as it is
  );
  const ys = Array.from({ length: 100_000 }, (_, i) => (i === 51_234 ? 1000 : Math.sin(i / 1000)));
  const s = storeOf(ys);
  assert.ok(s.count <= CAPACITY && s.buf.length <= CAPACITY * STRIDE);
  const pts = rawPoints(s);
  assert.ok(pts.some((p) => p.y === 1000 && p.x === 51_235), 'the spike is drawn where it was');
  assert.ok(pts.every((p, i) => i === 0 || p.x > pts[i - 1]!.x), 'in order');
  assert.equal(pts.at(-1)!.x, 100_000);
});

test('smoothing a long series treats each bucket as its mean (exact when the points of a bucket are equal)', () => {
  const w = widthFor(5000);
  const ys = Array.from({ length: 5000 }, (_, i) => Math.floor(i / w) % 3); // constant within each group of w
  const s = storeOf(ys);
  assert.equal(s.width, w);
  const smooth = smoothedPoints(s, 0.99);
  const ref = emaReference(ys, 0.99).filter((_, i) => (i + 1) % w === 0 || i === ys.length - 1); // each group's last point
  assert.equal(smooth.length, ref.length);
  smooth.forEach((p, i) => assert.ok(p.x === ref[i]!.x && Math.abs(p.y - ref[i]!.y) < 1e-9, `bucket ${i}`));
});

test('the time axis places each point at its own time', () => {
  const s = storeOf([1, 5, 2, 0, 3]);
  assert.deepEqual(rawPoints(s, minutesSince(1000)).map((p) => p.x), [0, 0.1, 0.2, 0.3, 0.4]);
  const long = storeOf(Array.from({ length: 1000 }, (_, i) => (i === 500 ? 9 : 0)));
  const spike = rawPoints(long, minutesSince(1000)).find((p) => p.y === 9)!;
  assert.equal(spike.x, (6 * 500) / 60);
});

test('deltas rebuild the store at any cut, across merges; nothing new is no delta', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }), (cuts) => {
      const src = new SeriesStore();
      const dst = new SeriesStore();
      let cursor: StoreCursor | undefined;
      let i = 0;
      for (const n of cuts) {
        for (let k = 0; k < n; k++, i++) src.push(i, i, Math.cos(i * 0.37) * (i % 5));
        const out = src.deltaSince(cursor)!;
        dst.apply(out.delta);
        cursor = out.cursor;
        assert.deepEqual([dst.count, dst.width, dst.points, dst.generation], [src.count, src.width, src.points, src.generation]);
        assert.deepEqual(Array.from(dst.buf.subarray(0, dst.count * STRIDE)), Array.from(src.buf.subarray(0, src.count * STRIDE)));
      }
      assert.equal(src.deltaSince(cursor), undefined);
    }),
    { numRuns: 40, endOnFailure: true },
  );
});
