// One metric of one run, kept at the resolution a chart can show (pure: no I/O, no vscode, no DOM).
//
// Why our own and not only chart.js's decimation plugin: that plugin runs in the webview on data the
// webview already holds, so every point would still cross the message channel and live twice in memory
// (extension host and page); with 100 runs x 10,000 steps that is what made overlaying slow and the
// extension host large. Here the points are aggregated as they are read, in the extension host, and the
// chart gets at most CAPACITY buckets per line whatever the run's length.
//
// Each bucket covers `width` consecutive points and keeps the first, the smallest, the largest and the
// last of them (M4 aggregation: the line drawn through those four per pixel column looks the same as
// the full line, spikes included) and their sum and count (for smoothing). When the buckets are full,
// neighbours are merged in pairs and the width doubles; merging M4 buckets is exact, so the store always
// equals M4 over the points cut into aligned groups of `width`. Up to CAPACITY points nothing is merged:
// short runs are kept and drawn exactly.

export const CAPACITY = 128;

/** Fields of a bucket, in order, in one Float64Array (stride STRIDE). I = the point's index in the series. */
const FX = 0, FY = 1, FT = 2, LX = 3, LY = 4, LT = 5;
const MNI = 6, MNX = 7, MNY = 8, MNT = 9, MXI = 10, MXX = 11, MXY = 12, MXT = 13, SUM = 14, N = 15;
export const STRIDE = 16;

/** What a receiver needs to bring its copy of a store up to date (see deltaOf / applyStoreDelta). */
export interface StoreDelta {
  /** First bucket replaced (the receiver's last bucket may have grown; a merge resends from 0). */
  from: number;
  width: number;
  points: number;
  generation: number;
  /** Buckets from `from` on, STRIDE numbers each. */
  data: Float64Array;
}

/** How much of a store a receiver has. */
export interface StoreCursor {
  generation: number;
  points: number;
  count: number;
}

export class SeriesStore {
  buf = new Float64Array(8 * STRIDE);
  /** Buckets in use. */
  count = 0;
  /** Points per bucket (every bucket but the last is full). */
  width = 1;
  /** Finite points pushed. */
  points = 0;
  /** Bumped when buckets merge: a receiver's copy must be replaced, not extended. */
  generation = 0;
  /** Bumped on every change (a cache key for what is drawn from it). */
  version = 0;

  /** Append a point; non-finite values are not points (a chart has nothing to draw for them). */
  push(x: number, t: number, y: number): void {
    if (!Number.isFinite(y)) return;
    const i = this.points++;
    let k = Math.floor(i / this.width);
    if (k >= CAPACITY) {
      this.mergePairs();
      k = Math.floor(i / this.width);
    }
    if (k === this.count) {
      this.reserve(k + 1);
      const b = this.buf, o = k * STRIDE;
      b[o + FX] = b[o + MNX] = b[o + MXX] = x;
      b[o + FY] = b[o + MNY] = b[o + MXY] = b[o + SUM] = y;
      b[o + FT] = b[o + MNT] = b[o + MXT] = t;
      b[o + MNI] = b[o + MXI] = i;
      b[o + N] = 1;
      this.count++;
    } else {
      const b = this.buf, o = k * STRIDE;
      // Ties keep the earliest point.
      if (y < b[o + MNY]!) setPoint(b, o + MNI, i, x, y, t);
      if (y > b[o + MXY]!) setPoint(b, o + MXI, i, x, y, t);
      b[o + SUM] += y;
      b[o + N] += 1;
    }
    const b = this.buf, o = k * STRIDE;
    b[o + LX] = x;
    b[o + LY] = y;
    b[o + LT] = t;
    this.version++;
  }

  /** The last point's value (NaN when empty). */
  last(): number {
    return this.count ? this.buf[(this.count - 1) * STRIDE + LY]! : NaN;
  }

  private reserve(buckets: number): void {
    if (buckets * STRIDE <= this.buf.length) return;
    const next = new Float64Array(Math.min(CAPACITY, Math.max(buckets, (this.buf.length / STRIDE) * 2)) * STRIDE);
    next.set(this.buf);
    this.buf = next;
  }

  private mergePairs(): void {
    const b = this.buf;
    for (let j = 0; j < this.count / 2; j++) {
      const a = 2 * j * STRIDE, c = a + STRIDE, o = j * STRIDE;
      const first = b.slice(a + FX, a + FT + 1);
      const last = b.slice(c + LX, c + LT + 1);
      const min = b[c + MNY]! < b[a + MNY]! ? b.slice(c + MNI, c + MNT + 1) : b.slice(a + MNI, a + MNT + 1);
      const max = b[c + MXY]! > b[a + MXY]! ? b.slice(c + MXI, c + MXT + 1) : b.slice(a + MXI, a + MXT + 1);
      const sum = b[a + SUM]! + b[c + SUM]!, n = b[a + N]! + b[c + N]!;
      b.set(first, o + FX);
      b.set(last, o + LX);
      b.set(min, o + MNI);
      b.set(max, o + MXI);
      b[o + SUM] = sum;
      b[o + N] = n;
    }
    this.count /= 2;
    this.width *= 2;
    this.generation++;
  }

  /** What `c` lacks (undefined when nothing), and the cursor after it. */
  deltaSince(c: StoreCursor | undefined): { delta: StoreDelta; cursor: StoreCursor } | undefined {
    if (c && c.generation === this.generation && c.points === this.points) return undefined;
    const from = c && c.generation === this.generation ? Math.max(0, c.count - 1) : 0;
    return {
      delta: { from, width: this.width, points: this.points, generation: this.generation, data: this.buf.slice(from * STRIDE, this.count * STRIDE) },
      cursor: { generation: this.generation, points: this.points, count: this.count },
    };
  }

  /** Bring this copy up to date with a delta from the sender's store. */
  apply(d: StoreDelta): void {
    const count = d.from + d.data.length / STRIDE;
    this.reserve(count);
    this.buf.set(d.data, d.from * STRIDE);
    this.count = count;
    this.width = d.width;
    this.points = d.points;
    this.generation = d.generation;
    this.version++;
  }
}

function setPoint(b: Float64Array, at: number, i: number, x: number, y: number, t: number): void {
  b[at] = i;
  b[at + 1] = x;
  b[at + 2] = y;
  b[at + 3] = t;
}

export interface Point {
  x: number;
  y: number;
}

/** x of a point: its step, or minutes since `t0` on a time axis. */
export type XOf = (step: number, t: number) => number;
export const byStep: XOf = (step) => step;
export const minutesSince = (t0: number): XOf => (_step, t) => (t - t0) / 60;

/** The points to draw: per bucket its first, min, max and last point, each once, in series order. */
export function rawPoints(s: SeriesStore, xOf: XOf = byStep): Point[] {
  const b = s.buf;
  const pts: Point[] = [];
  for (let k = 0; k < s.count; k++) {
    const o = k * STRIDE;
    const first = k * s.width, last = first + b[o + N]! - 1;
    const roles: [number, number, number, number][] = [[first, b[o + FX]!, b[o + FY]!, b[o + FT]!], [b[o + MNI]!, b[o + MNX]!, b[o + MNY]!, b[o + MNT]!],
      [b[o + MXI]!, b[o + MXX]!, b[o + MXY]!, b[o + MXT]!], [last, b[o + LX]!, b[o + LY]!, b[o + LT]!]];
    roles.sort((p, q) => p[0] - q[0]);
    let prev = -1;
    for (const [i, x, y, t] of roles) {
      if (i === prev) continue;
      prev = i;
      pts.push({ x: xOf(x, t), y });
    }
  }
  return pts;
}

/**
 * Smoothed points, one per bucket at its last point: the debiased exponential moving average (as
 * TensorBoard) of the points, taking each bucket's points as its mean (a bucket of n points decays the
 * average by weight^n). Exact while the run is short enough to be stored point by point (width 1).
 */
export function smoothedPoints(s: SeriesStore, weight: number, xOf: XOf = byStep): Point[] {
  if (weight <= 0) return rawPoints(s, xOf);
  const b = s.buf;
  const pts: Point[] = [];
  let acc = 0;
  let seen = 0;
  for (let k = 0; k < s.count; k++) {
    const o = k * STRIDE;
    const n = b[o + N]!;
    const decay = weight ** n;
    acc = acc * decay + (1 - decay) * (b[o + SUM]! / n);
    seen += n;
    pts.push({ x: xOf(b[o + LX]!, b[o + LT]!), y: acc / (1 - weight ** seen) });
  }
  return pts;
}

/** The earliest time of a store's points (Infinity when empty). */
export function firstTime(s: SeriesStore): number {
  return s.count ? s.buf[FT]! : Infinity;
}
