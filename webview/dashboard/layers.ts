// Drawing a chart of many lines from cached layers (issue 18). chart.js redraws every line of a chart on
// every draw and has no partial redraw; with a sweep overlaid (100 runs, up to 300 lines of ~500 points) one
// draw takes ~250 ms in a software-rasterised canvas, most of it rasterising lines that did not change. Here
// a chart's lines are split into layers (by run, so a run's lines stay together); each
// layer is drawn by chart.js's own controllers into an offscreen canvas, kept, and composited. A layer is
// drawn again only when one of its lines changed (its points, its style, a hovered point) or the view did
// (size, chart area, axis ranges) — so a point appended to one run, or one run toggled, redraws one layer.
// For the same reason chart.js's update, which places every point of every line (and resolves its options)
// on each `chart.update`, is skipped for a line whose points, style, position among the datasets and view are
// those it was last placed with: its elements are still right (chart.js lets a plugin cancel one dataset's
// update for exactly this).
import type { Chart, ChartMeta, Plugin } from 'chart.js';
import { clipArea, getDatasetClipArea, unclipArea } from 'chart.js/helpers';

export interface LayerOptions {
  /** Below this many visible lines chart.js draws the chart itself (it is cheap, and layers cost memory). */
  minLines: number;
  /** The layer a dataset belongs to (stable for a run, so that other runs' layers survive a toggle). Layers
   *  must follow the datasets' order (non-decreasing along it): chart.js draws the last dataset first, and
   *  the layers are composited in that order too, so the picture is the one chart.js draws. */
  layerOf(dataset: unknown): number;
  /** False: draw every chart directly (how the tests compare the two). */
  enabled(): boolean;
  /** Layers drawn again in one render stop after this long (at least one is drawn): the rest are drawn in
   *  the next frames, so that a chart whose every layer is new (a hundred runs just overlaid) does not
   *  hold the page for the whole of it. Until then the chart lacks those layers' lines. */
  budgetMs(): number;
  /** A chart that had layers left for later has them all drawn now. */
  onComplete(chart: Chart): void;
}

interface Layer {
  canvas: HTMLCanvasElement;
  /** What was drawn into it: per line its dataset, points array, style and hovered points. */
  signature: unknown[];
}

/** What a line's elements were last placed from (see lineUpdateKey). */
const placed = new WeakMap<ChartMeta<'line'>, unknown[]>();
/** Lines whose update chart.js ran, per chart (read by the tests). */
const updatedCount = new WeakMap<Chart, number>();
/** The view of the update in progress, for a chart drawn from layers (else undefined: every line updated). */
const updating = new WeakMap<Chart, string | undefined>();

export function linesUpdated(chart: Chart): number {
  return updatedCount.get(chart) ?? 0;
}

interface ChartLayers {
  view: string;
  layers: (Layer | undefined)[];
  /** Layers drawn again since the chart was created (read by the tests). */
  redrawn: number;
  /** Layers are left for a later frame. */
  pending: boolean;
  /** That frame is asked for. */
  frameAsked: boolean;
}

const state = new WeakMap<Chart, ChartLayers>();

export function layersRedrawn(chart: Chart): number {
  return state.get(chart)?.redrawn ?? 0;
}

/** Whether some of the chart's layers are still to be drawn (in the next frames). */
export function layersPending(chart: Chart): boolean {
  return state.get(chart)?.pending ?? false;
}

/** Everything that places lines on the canvas: when any of it changes, every layer is stale. */
function viewKey(chart: Chart<'line'>): string {
  const a = chart.chartArea;
  const x = chart.scales.x!;
  const y = chart.scales.y!;
  return [chart.canvas.width, chart.canvas.height, chart.currentDevicePixelRatio, a.left, a.top, a.right, a.bottom, x.min, x.max, y.min, y.max].join(',');
}

/** A line's own inputs: its dataset, points array and style (compared by identity or value). */
function lineInputs(chart: Chart<'line'>, index: number): unknown[] {
  const ds = chart.data.datasets[index]!;
  return [ds, ds.data, ds.borderColor, ds.borderWidth, ds.pointRadius, JSON.stringify(ds.borderDash ?? null), ds.backgroundColor, ds.fill];
}

/** What a layer's line was drawn from: its inputs and its hovered points (the view is compared per chart). */
function lineSignature(chart: Chart<'line'>, meta: ChartMeta<'line'>, active: Map<number, string>): unknown[] {
  return [...lineInputs(chart, meta.index), active.get(meta.index) ?? ''];
}

/** Everything a line's elements (points placed in pixels, line and point options) are computed from. */
function lineUpdateKey(chart: Chart<'line'>, index: number, view: string, mode: string): unknown[] {
  return [view, mode, index, ...lineInputs(chart, index)];
}

function sameSignature(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** One layer's lines drawn by chart.js's own controllers (so they look exactly as chart.js draws them),
 *  into the layer's canvas instead of the chart's, in chart.js's drawing order. */
function drawLayer(chart: Chart<'line'>, layer: Layer, metas: ChartMeta<'line'>[]): void {
  const c = layer.canvas;
  if (c.width !== chart.canvas.width || c.height !== chart.canvas.height) {
    c.width = chart.canvas.width;
    c.height = chart.canvas.height;
  }
  const ctx = c.getContext('2d')!;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, c.width, c.height);
  const dpr = chart.currentDevicePixelRatio;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  for (let i = metas.length - 1; i >= 0; --i) {
    const meta = metas[i]!;
    const controller = meta.controller as unknown as { _ctx: CanvasRenderingContext2D; draw(): void };
    const clip = getDatasetClipArea(chart, meta);
    if (clip) clipArea(ctx, clip);
    const own = controller._ctx;
    controller._ctx = ctx; // chart.js 4's controllers draw on the context they hold
    try {
      controller.draw();
    } finally {
      controller._ctx = own;
    }
    if (clip) unclipArea(ctx);
  }
}

export function layersPlugin(opts: LayerOptions): Plugin<'line'> {
  /** Whether the chart is drawn from layers (else chart.js draws it, and updates it, as it always does). */
  const layered = (chart: Chart<'line'>, metas: ChartMeta<'line'>[]) =>
    // Fills are drawn by the Filler plugin around each dataset's own draw: such charts are drawn directly.
    opts.enabled() && metas.length >= opts.minLines && !metas.some((m) => chart.data.datasets[m.index]!.fill);
  return {
    id: 'actfocusLayers',
    beforeDatasetsUpdate(chart) {
      // Scales and chart area are laid out by now: the view the lines are about to be placed in.
      const metas = chart.getSortedVisibleDatasetMetas() as ChartMeta<'line'>[];
      updating.set(chart, layered(chart, metas) ? viewKey(chart) : undefined);
    },
    beforeDatasetUpdate(chart, args) {
      const view = updating.get(chart);
      const meta = args.meta as ChartMeta<'line'>;
      const key = view === undefined ? undefined : lineUpdateKey(chart, args.index, view, String(args.mode));
      const was = placed.get(meta);
      if (key && was && sameSignature(key, was)) return false; // placed as it would be now
      if (key) placed.set(meta, key);
      else placed.delete(meta);
      updatedCount.set(chart, (updatedCount.get(chart) ?? 0) + 1);
      return true;
    },
    beforeDatasetsDraw(chart) {
      const metas = chart.getSortedVisibleDatasetMetas() as ChartMeta<'line'>[];
      if (!layered(chart, metas)) {
        const was = state.get(chart);
        state.delete(chart);
        if (was?.pending) opts.onComplete(chart); // drawn whole, directly
        return true;
      }
      let s = state.get(chart);
      if (!s) state.set(chart, (s = { view: '', layers: [], redrawn: 0, pending: false, frameAsked: false }));
      const view = viewKey(chart);
      const stale = view !== s.view;
      s.view = view;
      const active = new Map<number, string>();
      for (const e of chart.getActiveElements()) active.set(e.datasetIndex, `${active.get(e.datasetIndex) ?? ''}${e.index},`);
      const byLayer: ChartMeta<'line'>[][] = [];
      for (const m of metas) (byLayer[opts.layerOf(chart.data.datasets[m.index])] ??= []).push(m);
      s.layers.length = byLayer.length; // layers no run uses any more are let go
      const ctx = chart.ctx;
      const start = performance.now();
      let drawn = 0;
      let left = false;
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      for (let k = byLayer.length - 1; k >= 0; --k) { // as chart.js: the last lines first, under the others
        const lineMetas = byLayer[k];
        if (!lineMetas) { // no run of this layer is overlaid (runs unchecked): nothing to keep
          s.layers[k] = undefined;
          continue;
        }
        const layer = (s.layers[k] ??= { canvas: document.createElement('canvas'), signature: [] });
        const signature = lineMetas.flatMap((m) => lineSignature(chart, m, active));
        if (stale || !sameSignature(signature, layer.signature)) {
          if (drawn > 0 && performance.now() - start > opts.budgetMs()) {
            layer.signature = []; // its bitmap is not this view's: neither shown nor kept
            left = true;
            continue;
          }
          drawLayer(chart, layer, lineMetas);
          layer.signature = signature;
          s.redrawn++;
          drawn++;
        }
        // Pixel for pixel: the chart's CSS size may be fractional where its canvas is not, and any scaling resamples.
        ctx.drawImage(layer.canvas, 0, 0);
      }
      ctx.restore();
      if (left && !s.frameAsked) {
        s.frameAsked = true;
        const mine = s;
        requestAnimationFrame(() => {
          mine.frameAsked = false;
          if (state.get(chart) === mine && mine.pending) chart.render();
        });
      }
      const completes = s.pending && !left;
      s.pending = left;
      if (completes) opts.onComplete(chart);
      // Cancelling the datasets' draw also skips afterDatasetsDraw: told here, as chart.js would.
      chart.notifyPlugins('afterDatasetsDraw');
      return false;
    },
  };
}
