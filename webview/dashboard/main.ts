import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { Chart, Filler, LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, type Plugin } from 'chart.js';
import { MAX_OVERLAID_RUNS, type DataItem, type DashboardUiState, type FromDashboard, type RunSummary, type ToDashboard, type ControlActionName } from '../../src/common/messages';
import { applyDelta, emptyRunData, type RunData } from '../../src/common/runData';
import { CHARTS, MAX_BAND_RUNS, WARM_START_LOSS, type ChartSpec } from '../../src/common/charts';
import { progressFraction, whereText } from '../../src/common/runProgress';
import { byStep, firstTime as seriesFirstTime, minutesSince, smoothedPoints, type Point, type SeriesStore } from '../../src/common/seriesStore';
import { connectHost } from '../shared/host';
import { setVisibleText } from '../shared/visible';
import { visibleText } from '../../src/common/visibleText';
import { isLive } from '../../src/protocol/schema';
import { readPalette, onThemeChange, translucent, type ChartPalette } from '../shared/theme';
import { el } from '../shared/dom';
import { layersPending, layersPlugin, layersRedrawn, linesUpdated } from './layers';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Filler);

/** Above this many lines a chart's legend would bury the plot: the run list (with colour swatches) is the legend. */
const MAX_LEGEND_ITEMS = 12;
const app = document.getElementById('app')!;

function button(id: string, label: string, title = label): HTMLElement {
  const b = document.createElement('vscode-button');
  b.id = id;
  b.textContent = label;
  b.title = title;
  return b;
}

// ---- state ----
let runs: RunSummary[] = [];
const data = new Map<string, RunData>();
let ui: DashboardUiState = { selectedRunIds: [], smoothing: 0, xAxis: 'step', logFilter: '', logLevel: 'info', runFilter: '' };
/** Zoom (shared by all charts): drag across a chart to zoom in on x; double-click or Reset zoom to undo. */
let xRange: [number, number] | undefined;

// ---- layout ----
const header = el('header', { class: 'toolbar' });
const status = el('span', { id: 'status', role: 'status' }, 'Connecting…');
const newRun = button('new-run', 'New Run…', 'Start a training run');
const refresh = button('refresh', 'Refresh');
header.append(el('h1', {}, 'ActFocus Dashboard'), status, newRun, refresh);

const controls = el('div', { class: 'toolbar controls', id: 'controls' });
const controlButtons: Record<ControlActionName, HTMLElement> = {
  pause: button('ctl-pause', 'Pause'),
  resume: button('ctl-resume', 'Resume'),
  stop: button('ctl-stop', 'Stop'),
  checkpoint: button('ctl-checkpoint', 'Checkpoint'),
  export_onnx: button('ctl-export_onnx', 'Export ONNX'),
};
const answer = el('span', { id: 'answer', role: 'status' });
controls.append(el('span', { id: 'primary-run', class: 'muted' }), ...Object.values(controlButtons), answer);

// The primary run's phase while it is not in its steps (warm start, evaluation, checkpoint…): what it is
// doing and how far, above the charts, so a long warm start never looks like a stalled "step 0".
const phaseBox = el('div', { id: 'phase', class: 'toolbar phase', role: 'status', hidden: '' });
const phaseText = el('span', { id: 'phase-text' });
const phaseBar = el('progress', { id: 'phase-progress', max: '1', value: '0' });
phaseBox.append(phaseText, phaseBar);

const runList = el('ul', { id: 'runs', class: 'run-list', 'aria-label': 'Runs (check to overlay)' });
const runTools = el('div', { class: 'toolbar run-tools' });
const runFilter = el('input', { id: 'run-filter', type: 'search', placeholder: 'Filter runs (text or /regex/)', 'aria-label': 'Filter runs' });
const showAll = button('runs-all', 'Overlay all', 'Overlay every run the filter shows');
const showNone = button('runs-none', 'Clear', 'Overlay no run');
const runCount = el('span', { id: 'run-count', class: 'muted' });
runTools.append(runFilter, showAll, showNone, runCount);

const options = el('div', { class: 'toolbar options' });
const smoothing = el('input', { id: 'smoothing', type: 'range', min: '0', max: '0.99', step: '0.01', value: '0', 'aria-label': 'Smoothing' });
const smoothingValue = el('span', { id: 'smoothing-value' }, '0.00');
const xAxis = el('select', { id: 'x-axis', 'aria-label': 'X axis' });
xAxis.append(el('option', { value: 'step' }, 'step'), el('option', { value: 'time' }, 'time (min)'));
const exportCsv = button('export-csv', 'Export CSV', 'All metrics of the checked runs at full resolution');
const resetZoom = button('reset-zoom', 'Reset zoom', 'Drag across a chart to zoom; this shows everything again');
options.append(el('label', {}, 'Smoothing'), smoothing, smoothingValue, el('label', {}, 'X axis'), xAxis, resetZoom, exportCsv);

const grid = el('div', { class: 'chart-grid' });
const logBox = el('section', { class: 'log-box' });
const logLevel = el('select', { id: 'log-level', 'aria-label': 'Log level' });
for (const l of ['debug', 'info', 'warning', 'error']) logLevel.append(el('option', { value: l }, `${l} and above`));
const logSearch = el('input', { id: 'log-search', type: 'search', placeholder: 'Search the log', 'aria-label': 'Search the log' });
const logList = el('div', { id: 'log', class: 'log', role: 'log' });
logBox.append(el('div', { class: 'toolbar' }, ''), logList);
logBox.firstElementChild!.append(el('h2', {}, 'Log'), logLevel, logSearch);
app.append(header, controls, phaseBox, runTools, runList, options, grid, logBox);

// ---- charts ----
let palette: ChartPalette = readPalette();

/** Vertical dashed lines where hyperparameters were changed during a run (from `hparams` events). */
const markerPlugin: Plugin<'line'> = {
  id: 'hparamMarkers',
  afterDatasetsDraw(chart) {
    const marks = (chart.options.plugins as unknown as { hparamMarkers?: { x: number; label: string }[] }).hparamMarkers ?? [];
    const { ctx, chartArea, scales } = chart;
    ctx.save();
    ctx.strokeStyle = palette.foreground;
    ctx.fillStyle = palette.foreground;
    ctx.setLineDash([4, 3]);
    ctx.font = '10px sans-serif';
    for (const m of marks) {
      const px = scales.x!.getPixelForValue(m.x);
      if (px < chartArea.left || px > chartArea.right) continue;
      ctx.beginPath();
      ctx.moveTo(px, chartArea.top);
      ctx.lineTo(px, chartArea.bottom);
      ctx.stroke();
      ctx.fillText(m.label, px + 3, chartArea.top + 10);
    }
    ctx.restore();
  },
};

/** Runs per cached layer: a changed run redraws its layer's lines (12 runs: 36 of a 300-line chart). */
const RUNS_PER_LAYER = 12;
/** Charts of many lines are drawn from cached layers, one per group of runs (see layers.ts); the tests
 *  turn this off (`data-layers="off"` on the body) to compare against chart.js drawing directly. */
const layers = layersPlugin({
  minLines: 40,
  layerOf: (ds) => { const id = lineOwner.get(ds as LineDataset); return id === undefined ? 0 : Math.floor(slotOf(id) / RUNS_PER_LAYER); },
  enabled: () => document.body.dataset.layers !== 'off',
  budgetMs: () => Number(document.body.dataset.layerBudgetMs ?? 16), // the tests set 0: one layer a frame
  onComplete: (chart) => {
    layersLeft.delete(chart as Chart<'line'>);
    stampDrawn(chart as Chart<'line'>);
  },
});
/** Charts drawn with layers left for the next frames (see layers.ts): not drawn yet, for the tests and benchmarks. */
const layersLeft = new Set<Chart<'line'>>();
function pendingCount(): string {
  return String(dirty.size + layersLeft.size);
}
/** Read by tests and the latency benchmark: when the chart was last drawn whole. */
function stampDrawn(chart: Chart<'line'>): void {
  chart.canvas.dataset.drawn = String(Date.now());
  document.body.dataset.pendingCharts = pendingCount();
}

const charts = new Map<string, Chart<'line'>>();
for (const spec of CHARTS) {
  const card = el('figure', { class: 'chart-card' });
  const caption = el('figcaption', {}, spec.title);
  const png = button(`png-${spec.id}`, 'PNG', `Save "${spec.title}" as PNG`);
  png.classList.add('small');
  caption.append(png);
  const box = el('div', { class: 'chart-box' });
  const canvas = el('canvas', { id: `chart-${spec.id}`, 'data-chart': spec.id, 'aria-label': spec.title });
  box.append(canvas);
  card.append(caption, box);
  // A chart shown only with data starts hidden (no run has any yet): shown until its first draw hid it,
  // it moved every chart after it when that happened, in and out of view.
  card.hidden = spec.whenData === true;
  grid.append(card);
  const chart = makeChart(canvas, spec);
  charts.set(spec.id, chart);
  // What the chart was last handed to draw, per line (read by the webview tests and benchmarks).
  Object.defineProperty(canvas, 'drawnLines', { get: () => chart.data.datasets.map((ds) => ({ run: lineOwner.get(ds), label: ds.label, data: ds.data, fill: ds.fill ?? false })) });
  Object.defineProperty(canvas, 'layersRedrawn', { get: () => layersRedrawn(chart) });
  Object.defineProperty(canvas, 'linesUpdated', { get: () => linesUpdated(chart) });
  Object.defineProperty(canvas, 'legendLabels', { get: () => (chart.legend?.legendItems ?? []).map((i) => i.text) });
  enableZoom(canvas, chart);
  png.addEventListener('click', () => host.post({ t: 'savePng', name: spec.id, dataUrl: canvas.toDataURL('image/png') }));
}

function makeChart(canvas: HTMLCanvasElement, spec: ChartSpec): Chart<'line'> {
  return new Chart(canvas, {
    type: 'line',
    data: { datasets: [] },
    plugins: [markerPlugin, layers],
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'step', color: palette.foreground }, ticks: { color: palette.foreground }, grid: { color: palette.grid } },
        y: { type: 'linear', min: spec.yMin, max: spec.yMax, ticks: { color: palette.foreground }, grid: { color: palette.grid } },
      },
      plugins: { legend: { labels: { color: palette.foreground, boxWidth: 12, filter: (item, d) => !bandOf.has(d.datasets[item.datasetIndex!] as LineDataset),
        // chart.js builds every line's legend item (resolving its style) on each update, shown or not; with a
        // sweep overlaid the legend is hidden (MAX_LEGEND_ITEMS) and building 300 items was a cost of every append.
        generateLabels: (c) => (c.options.plugins?.legend?.display === false ? [] : Chart.defaults.plugins.legend.labels.generateLabels(c)) } } },
    },
  });
}

function enableZoom(canvas: HTMLCanvasElement, chart: Chart<'line'>): void {
  let from: number | undefined;
  canvas.addEventListener('mousedown', (e) => (from = e.offsetX));
  canvas.addEventListener('mouseup', (e) => {
    if (from === undefined) return;
    const a = Math.min(from, e.offsetX);
    const b = Math.max(from, e.offsetX);
    from = undefined;
    if (b - a < 6) return; // a click, not a drag
    const x = chart.scales.x!;
    xRange = [x.getValueForPixel(a)!, x.getValueForPixel(b)!];
    scheduleDraw();
  });
  canvas.addEventListener('dblclick', () => {
    xRange = undefined;
    scheduleDraw();
  });
}

/**
 * What one line draws, by run and metric: recomputed only when that metric's data, the smoothing or the
 * x axis changed, so that overlaying or hiding one run costs that run, not all of them.
 */
const linePoints = new Map<string, { store: SeriesStore; version: number; mode: string; pts: Point[] }>();
function pointsOf(id: string, key: string, store: SeriesStore, t0: number): Point[] {
  const mode = `${ui.smoothing}|${ui.xAxis}|${ui.xAxis === 'time' ? t0 : ''}`;
  const cacheKey = `${id}\u0000${key}`;
  const hit = linePoints.get(cacheKey);
  if (hit && hit.store === store && hit.version === store.version && hit.mode === mode) return hit.pts;
  const pts = smoothedPoints(store, ui.smoothing, ui.xAxis === 'step' ? byStep : minutesSince(t0));
  linePoints.set(cacheKey, { store, version: store.version, mode, pts });
  return pts;
}

function runColour(r: number): string {
  return palette.series[r % palette.series.length]!;
}

/**
 * Each overlaid run's colour slot, kept while it stays overlaid: a run checked gets the lowest free slot,
 * so other runs keep their colours (and their cached layers) when one run is checked or unchecked.
 */
const slots = new Map<string, number>();
/** The selection the slots were last brought up to date with (the UI state replaces the array on change). */
let slotsFor: readonly string[] | undefined;
function slotOf(id: string): number {
  if (slotsFor !== ui.selectedRunIds) {
    slotsFor = ui.selectedRunIds;
    const selected = new Set(slotsFor);
    for (const known of slots.keys()) if (!selected.has(known)) slots.delete(known);
    const used = new Set(slots.values());
    let free = 0;
    for (const run of slotsFor) { // in selection order, so slots follow it
      if (slots.has(run)) continue;
      while (used.has(free)) free++;
      slots.set(run, free);
      used.add(free);
    }
  }
  return slots.get(id) ?? 0;
}

type LineDataset = Chart<'line'>['data']['datasets'][number];

/**
 * One dataset object per chart, run and metric, kept across draws, so that chart.js updates a line it
 * already has instead of building it again.
 */
const datasetsByLine = new Map<string, LineDataset>();
const lineOwner = new WeakMap<LineDataset, string>();
/** The band datasets (an interval's lower and upper edge) and the line each belongs to: kept out of the legend. */
const bandOf = new WeakMap<LineDataset, string>();

/**
 * Charts whose data or view changed since they were drawn. The ones on screen are drawn in the next
 * frames, in page order, as many per frame as fit FRAME_BUDGET_MS (at least one): with a few runs that is
 * all of them at once; with a hundred the first chart shows in the first frame and input is answered
 * between frames. Off-screen ones are drawn one at a time when the page is idle.
 */
const dirty = new Set<string>();
const onScreen = new Set<string>();
const FRAME_BUDGET_MS = 30;
let logDirty = false;
const screenWatch = new IntersectionObserver((entries) => {
  for (const e of entries) {
    const id = (e.target as HTMLElement).dataset.chart!;
    if (e.isIntersecting) onScreen.add(id);
    else onScreen.delete(id);
  }
  requestFrame();
});
for (const c of charts.values()) screenWatch.observe(c.canvas);

/**
 * A chart shown only with data (spec.whenData) is shown as soon as a selected run has some, before it is
 * drawn: hidden, it could never scroll into view, and off-screen charts wait for a quiet second, which a
 * warm start reporting its loss every second or less never gives — so its chart stayed hidden to the end.
 */
function revealWithData(spec: ChartSpec): void {
  if (spec.whenData && hasData(spec)) charts.get(spec.id)!.canvas.closest('figure')!.hidden = false;
}

/** Whether a selected run has points for one of the chart's lines (what the chart draws a line for). */
function hasData(spec: ChartSpec): boolean {
  return ui.selectedRunIds.some((id) => spec.lines.some((l) => (data.get(id)?.series[l.key]?.count ?? 0) > 0));
}

/** keys: only the charts drawing one of these metrics changed (undefined: every chart, as after a view change). */
function scheduleDraw(keys?: ReadonlySet<string>): void {
  for (const spec of CHARTS) {
    if (keys && !spec.lines.some((l) => keys.has(l.key))) continue;
    dirty.add(spec.id);
    revealWithData(spec);
  }
  document.body.dataset.pendingCharts = pendingCount(); // read by the webview tests
  if (!keys) logDirty = true; // a view change; a delta marks the log itself when it carries lines
  requestFrame();
}

/**
 * While runs just overlaid are still arriving (the extension sends them one message each), the charts are
 * drawn at most every CATCH_UP_MS: drawing every frame redrew the growing overlay once per arriving run,
 * which made a hundred runs cost a hundred full redraws and kept the page from reading the rest.
 */
const CATCH_UP_MS = 250;
let lastDrawAt = -Infinity;
const arriving = (): boolean => ui.selectedRunIds.some((id) => !data.has(id));

let framePending = false;
let catchUp: ReturnType<typeof setTimeout> | undefined;
function requestFrame(): void {
  if (catchUp !== undefined && !arriving()) { // the last of them came: draw now
    clearTimeout(catchUp);
    catchUp = undefined;
  }
  if (framePending || catchUp !== undefined) return;
  const wait = arriving() ? lastDrawAt + CATCH_UP_MS - performance.now() : 0;
  if (wait > 0) {
    catchUp = setTimeout(() => {
      catchUp = undefined;
      requestFrame();
    }, wait);
    return;
  }
  framePending = true;
  requestAnimationFrame(() => {
    framePending = false;
    const start = (lastDrawAt = performance.now());
    for (const spec of CHARTS) {
      if (!dirty.has(spec.id) || !onScreen.has(spec.id)) continue;
      drawChart(spec);
      if (performance.now() - start > FRAME_BUDGET_MS) break;
    }
    if (logDirty) {
      logDirty = false;
      renderLog();
    }
    if ([...dirty].some((id) => onScreen.has(id))) requestFrame();
    drawOffScreenWhenIdle();
  });
}

/**
 * Off-screen charts are drawn when no data has come for QUIET_MS: while live runs keep appending they wait,
 * however long, and a chart scrolled into view is drawn in the next frame (the IntersectionObserver above).
 * Drawing one (a long task with a hundred runs) whenever the page was idle made the next data message wait
 * for it, and so the charts on screen; bounding the wait (at 3 s, before) still put such tasks in the way of
 * every few appends (docs/extension.md: with 100 live runs, write → drawn p95 113–135 ms before, 66–107 now).
 */
const QUIET_MS = 1000;
let lastDataAt = -Infinity;
/** How long off-screen charts are still to wait (≤ 0: not at all). */
function waitLeft(): number {
  return lastDataAt + QUIET_MS - performance.now();
}
let idleQueued = false;
function drawOffScreenWhenIdle(): void {
  if (idleQueued || ![...dirty].some((id) => !onScreen.has(id))) return;
  idleQueued = true;
  const quietIn = waitLeft();
  if (quietIn > 0) {
    setTimeout(() => {
      idleQueued = false;
      drawOffScreenWhenIdle();
    }, quietIn);
    return;
  }
  requestIdleCallback(() => {
    idleQueued = false;
    if (arriving()) return; // drawn once they are all here (requestFrame comes back here)
    if (waitLeft() > 0) return drawOffScreenWhenIdle();
    const next = CHARTS.find((c) => dirty.has(c.id) && !onScreen.has(c.id));
    if (next) drawChart(next);
    drawOffScreenWhenIdle();
  }, { timeout: 500 });
}

/** The chart's dataset for one run's series (the same object from draw to draw, so chart.js keeps its
 *  state), holding that series' points as drawn. */
function datasetOf(spec: ChartSpec, id: string, seriesKey: string, t0: number): LineDataset {
  const key = `${spec.id}\u0000${id}\u0000${seriesKey}`;
  const ds = datasetsByLine.get(key) ?? { data: [] };
  datasetsByLine.set(key, ds);
  lineOwner.set(ds, id);
  const s = data.get(id)!.series[seriesKey];
  ds.data = s && s.count ? pointsOf(id, seriesKey, s, t0) : [];
  return ds;
}

function drawChart(spec: ChartSpec): void {
  dirty.delete(spec.id);
  document.body.dataset.pendingCharts = pendingCount();
  // In colour-slot order, which the cached layers follow (see layers.ts): for runs checked one by one, the order they were checked.
  const selected = ui.selectedRunIds.filter((id) => data.has(id)).sort((a, b) => slotOf(a) - slotOf(b));
  const overlay = selected.length > 1;
  const t0 = new Map(selected.map((id) => [id, firstTime(data.get(id)!)]));
  const chart = charts.get(spec.id)!;
  const datasets: LineDataset[] = [];
  let points = 0;
  selected.forEach((id) => {
    const d = data.get(id)!;
    spec.lines.forEach((line, k) => {
      const s = d.series[line.key];
      if (!s || !s.count) return;
      const ds = datasetOf(spec, id, line.key, t0.get(id)!);
      points += ds.data.length;
      ds.label = overlay ? `${visibleText(id)} · ${line.label}` : line.label;
      ds.borderColor = overlay ? runColour(slotOf(id)) : palette.series[k % palette.series.length];
      // Dashes only while few lines are drawn: a dashed line leaves chart.js's fast path (one segment per pixel column).
      ds.borderDash = !overlay && k > 0 && line.key.startsWith('eval/') ? [5, 3] : undefined;
      ds.borderWidth = overlay ? 1 : 1.5;
      ds.pointRadius = ds.data.length < 30 ? 2 : 0;
      datasets.push(ds);
      if (line.band && selected.length <= MAX_BAND_RUNS) {
        // The interval: its lower edge, then its upper edge filled down to it ('-1': the dataset before).
        const fill = translucent(ds.borderColor as string, 0.18);
        for (const [edge, bandKey] of [['lo', line.band.lo], ['hi', line.band.hi]] as const) {
          const b = datasetOf(spec, id, bandKey, t0.get(id)!);
          bandOf.set(b, line.key);
          b.label = `${ds.label} · 95 % ${edge}`;
          b.borderWidth = 0;
          b.pointRadius = 0;
          b.backgroundColor = fill;
          b.fill = edge === 'hi' ? '-1' : false;
          points += b.data.length;
          datasets.push(b);
        }
      }
    });
  });
  const markers = selected.flatMap((id) => data.get(id)!.markers.map((m) => ({
    x: ui.xAxis === 'step' ? m.step : (m.t - t0.get(id)!) / 60,
    label: Object.entries(m.values).map(([k, v]) => `${k}=${v}`).join(' '),
  })));
  if (spec.whenData) chart.canvas.closest('figure')!.hidden = !hasData(spec);
  chart.data.datasets = datasets;
  chart.options.plugins!.legend!.display = datasets.filter((ds) => !bandOf.has(ds)).length <= MAX_LEGEND_ITEMS;
  (chart.options.plugins as unknown as { hparamMarkers: unknown }).hparamMarkers = markers;
  chart.options.scales!.x!.title = { display: true, text: ui.xAxis === 'step' ? spec.xTitle ?? 'step' : 'minutes', color: palette.foreground };
  // Live appends redraw with the same zoom: the range is state, not derived from the data.
  chart.options.scales!.x!.min = xRange?.[0];
  chart.options.scales!.x!.max = xRange?.[1];
  chart.canvas.dataset.xRange = xRange ? xRange.map((v) => v.toFixed(2)).join(',') : '';
  chart.update('none');
  // Read by tests and the latency benchmark: what the chart actually holds.
  chart.canvas.dataset.points = String(points);
  chart.canvas.dataset.markers = String(markers.length);
  chart.canvas.dataset.datasets = String(datasets.length);
  chart.canvas.dataset.draws = String(Number(chart.canvas.dataset.draws ?? 0) + 1);
  if (layersPending(chart)) {
    layersLeft.add(chart);
    document.body.dataset.pendingCharts = pendingCount();
  } else {
    layersLeft.delete(chart);
    stampDrawn(chart);
  }
  chart.canvas.dataset.lastX = String(datasets.reduce((m, ds) => Math.max(m, (ds.data as Point[]).at(-1)?.x ?? -1), -1));
}

function firstTime(d: RunData): number {
  let t = Infinity;
  for (const s of Object.values(d.series)) t = Math.min(t, seriesFirstTime(s));
  return Number.isFinite(t) ? t : 0;
}

onThemeChange(() => {
  palette = readPalette();
  for (const chart of charts.values()) {
    for (const axis of ['x', 'y'] as const) {
      const s = chart.options.scales![axis]!;
      s.ticks!.color = palette.foreground;
      s.grid!.color = palette.grid;
    }
    chart.options.plugins!.legend!.labels!.color = palette.foreground;
  }
  scheduleDraw();
});

// ---- runs, controls, log ----
function primaryRun(): RunSummary | undefined {
  return runs.find((r) => r.id === ui.selectedRunIds[0]);
}

/** The runs the filter shows: a substring (case-insensitive), or a regular expression written /like this/. */
function filteredRuns(): RunSummary[] {
  const f = ui.runFilter.trim();
  if (!f) return runs;
  const re = /^\/(.+)\/$/.exec(f);
  if (re) {
    try {
      const rx = new RegExp(re[1]!, 'i');
      return runs.filter((r) => rx.test(r.id));
    } catch {
      /* not a valid expression: taken as text */
    }
  }
  return runs.filter((r) => r.id.toLowerCase().includes(f.toLowerCase()));
}

/** One list row per run, kept across renders: a sweep's list changes in place (a status, a number), since
 * rebuilding a hundred rows (each with a badge component) on every change kept the page busy. */
interface RunRow { li: HTMLLIElement; box: HTMLInputElement; swatch: HTMLElement; colour: string; badge: HTMLElement; where: HTMLElement }
const runRows = new Map<string, RunRow>();
/** The text each row part shows, to touch the DOM only where it changed. */
const shownText = new WeakMap<HTMLElement, string>();

function runRow(id: string): RunRow {
  const known = runRows.get(id);
  if (known) return known;
  const li = el('li', { 'data-run': id });
  const box = el('input', { type: 'checkbox', 'aria-label': `Show ${id}` });
  box.addEventListener('change', () => {
    const ids = ui.selectedRunIds.filter((x) => x !== id);
    setSelection(box.checked ? [...ids, id] : ids);
  });
  const swatch = el('span', { class: 'swatch', 'aria-hidden': 'true' });
  const badge = el('vscode-badge', { class: 'run-status' });
  const where = el('span', { class: 'muted run-where' });
  li.append(box, swatch, el('span', { class: 'run-name' }, id), badge, where);
  const row = { li, box, swatch, colour: '', badge, where };
  runRows.set(id, row);
  return row;
}

function showText(node: HTMLElement, text: string): void {
  if (shownText.get(node) === text) return;
  shownText.set(node, text);
  setVisibleText(node, text);
}

function renderRuns(): void {
  const shown = filteredRuns();
  const overlay = ui.selectedRunIds.length > 1;
  const rows = shown.map((r) => {
    const row = runRow(r.id);
    const at = ui.selectedRunIds.indexOf(r.id);
    if (row.box.checked !== at >= 0) row.box.checked = at >= 0;
    // Overlaid runs are told apart by colour; the chart legends stop listing them when they would not fit.
    const colour = overlay && at >= 0 ? runColour(slotOf(r.id)) : '';
    if (row.colour !== colour) row.swatch.style.background = row.colour = colour;
    showText(row.badge, r.status === 'dead' ? 'failed (host died)' : r.status);
    showText(row.where, `${whereText(r)}${r.successRate !== undefined ? ` · success ${(r.successRate * 100).toFixed(0)}%` : ''}`);
    if (r.problem) row.li.title = visibleText(r.problem);
    else row.li.removeAttribute('title');
    return row.li;
  });
  const listed = runList.children;
  if (rows.length !== listed.length || rows.some((li, i) => listed[i] !== li)) runList.replaceChildren(...rows);
  runCount.textContent = `${ui.selectedRunIds.length} of ${runs.length} overlaid${shown.length < runs.length ? ` · ${shown.length} shown` : ''}`;
  const p = primaryRun();
  const primary = document.getElementById('primary-run')!;
  setVisibleText(primary, p ? `${p.id}:` : 'No run selected');
  const live = p && isLive(p.status);
  for (const [action, b] of Object.entries(controlButtons) as [ControlActionName, HTMLElement][]) {
    const enabled = !!live && (action === 'pause' ? p!.status !== 'paused' : action === 'resume' ? p!.status === 'paused' : true);
    b.toggleAttribute('disabled', !enabled);
  }
  renderPhase();
}

/** The phase line: shown while the primary run is live and in a phase other than its steps. */
function renderPhase(): void {
  const p = primaryRun();
  const where = p && isLive(p.status) ? whereText(p) : '';
  phaseBox.hidden = !where || where.startsWith('step ');
  if (phaseBox.hidden) return;
  const loss = p!.phase === 'pretraining' ? data.get(p!.id)?.series[WARM_START_LOSS]?.last() : undefined;
  phaseText.textContent = `${where.charAt(0).toUpperCase()}${where.slice(1)}${loss !== undefined && Number.isFinite(loss) ? ` · loss ${loss.toFixed(3)}` : ''}`;
  phaseBar.hidden = !p!.progress;
  (phaseBar as HTMLProgressElement).value = progressFraction(p!);
}

function setSelection(ids: string[]): void {
  ui = { ...ui, selectedRunIds: ids };
  host.setState(ui);
  host.post({ t: 'select', runIds: ids });
  renderRuns();
  scheduleDraw();
}

const LEVELS = ['debug', 'info', 'warning', 'error'];
function renderLog(): void {
  const min = LEVELS.indexOf(ui.logLevel);
  const q = ui.logFilter.toLowerCase();
  const lines = ui.selectedRunIds.flatMap((id) => (data.get(id)?.logs ?? []).map((l) => ({ ...l, run: id })))
    .filter((l) => LEVELS.indexOf(l.level) >= min && (!q || l.message.toLowerCase().includes(q)))
    .sort((a, b) => a.t - b.t)
    .slice(-500);
  const atBottom = logList.scrollTop + logList.clientHeight >= logList.scrollHeight - 4;
  logList.replaceChildren(...lines.map((l) => {
    const row = el('div', { class: `log-line level-${l.level}${l.source === 'host' ? ' from-host' : ''}` });
    setVisibleText(row, `${ui.selectedRunIds.length > 1 ? `[${l.run}] ` : ''}step ${l.step} ${l.level.padEnd(7)} ${l.message}`);
    return row;
  }));
  if (atBottom) logList.scrollTop = logList.scrollHeight; // follow the tail unless the user scrolled up
}

/** Drop what was kept for runs no longer listed (their folders were deleted). */
function forgetRemovedRuns(): void {
  const listed = new Set(runs.map((r) => r.id));
  for (const id of [...data.keys()]) if (!listed.has(id)) data.delete(id);
  for (const id of [...runRows.keys()]) if (!listed.has(id)) runRows.delete(id);
  for (const key of [...linePoints.keys()]) if (!listed.has(key.split('\u0000')[0]!)) linePoints.delete(key);
  for (const key of [...datasetsByLine.keys()]) if (!listed.has(key.split('\u0000')[1]!)) datasetsByLine.delete(key);
}

// ---- wiring ----
/**
 * Applies a run's delta; returns what of the page it changes when the run is shown: undefined for nothing,
 * else the metrics whose charts must be drawn again (every chart for a reset or new markers, which every
 * chart draws; none for log lines alone) and whether the log pane gets lines.
 */
function receive(msg: DataItem): { keys: Set<string>; all: boolean; logs: boolean } | undefined {
  const d = msg.reset ? emptyRunData() : data.get(msg.runId) ?? emptyRunData();
  applyDelta(d, msg.delta);
  data.set(msg.runId, d);
  document.body.dataset.dataAt = String(Date.now()); // read by bench/dashboard_latency.ts
  const keys = Object.keys(msg.delta.series);
  const changed = msg.reset || keys.length > 0 || msg.delta.markers.length > 0 || msg.delta.logs.length > 0;
  if (!changed || !ui.selectedRunIds.includes(msg.runId)) return undefined;
  return { keys: new Set(keys), all: !!msg.reset || msg.delta.markers.length > 0, logs: msg.delta.logs.length > 0 };
}

const host = connectHost<FromDashboard, ToDashboard, DashboardUiState>((msg) => {
  switch (msg.t) {
    case 'init':
      runs = msg.runs;
      if (!ui.selectedRunIds.length) ui = { ...ui, selectedRunIds: msg.selected };
      status.textContent = `Connected to ActFocus ${msg.extensionVersion} · ${msg.runs.length === 0 ? 'no runs yet' : `${msg.runs.length} run(s)`}`;
      if (ui.selectedRunIds.join() !== msg.selected.join()) host.post({ t: 'select', runIds: ui.selectedRunIds });
      host.setState(ui);
      renderRuns();
      break;
    case 'selected':
      ui = { ...ui, selectedRunIds: msg.runIds };
      host.setState(ui);
      renderRuns();
      scheduleDraw();
      break;
    case 'runs':
      runs = msg.runs;
      forgetRemovedRuns();
      status.textContent = `${msg.runs.length} run(s)`;
      renderRuns();
      break;
    case 'data': {
      lastDataAt = performance.now();
      const change = receive(msg);
      if (change) {
        if (change.logs) logDirty = true;
        scheduleDraw(change.all ? undefined : change.keys);
        renderPhase();
      }
      break;
    }
    case 'answer':
      setVisibleText(answer, msg.message);
      answer.className = msg.type === 'error' ? 'error' : '';
      break;
  }
});

const saved = host.getState();
if (saved) {
  ui = { ...ui, ...saved };
  smoothing.value = String(ui.smoothing);
  smoothingValue.textContent = ui.smoothing.toFixed(2);
  xAxis.value = ui.xAxis;
  logLevel.value = ui.logLevel;
  logSearch.value = ui.logFilter;
  runFilter.value = ui.runFilter ?? '';
}
smoothing.addEventListener('input', () => {
  ui = { ...ui, smoothing: Number(smoothing.value) };
  smoothingValue.textContent = ui.smoothing.toFixed(2);
  host.setState(ui);
  scheduleDraw();
});
resetZoom.addEventListener('click', () => {
  xRange = undefined;
  scheduleDraw();
});
xAxis.addEventListener('change', () => {
  xRange = undefined; // a step range means nothing on a time axis
  ui = { ...ui, xAxis: xAxis.value === 'time' ? 'time' : 'step' };
  host.setState(ui);
  scheduleDraw();
});
logLevel.addEventListener('change', () => {
  ui = { ...ui, logLevel: logLevel.value };
  host.setState(ui);
  renderLog();
});
logSearch.addEventListener('input', () => {
  ui = { ...ui, logFilter: logSearch.value };
  host.setState(ui);
  renderLog();
});
runFilter.addEventListener('input', () => {
  ui = { ...ui, runFilter: runFilter.value };
  host.setState(ui);
  renderRuns();
});
showAll.addEventListener('click', () => {
  const ids = filteredRuns().map((r) => r.id);
  setSelection([...ui.selectedRunIds.filter((id) => !ids.includes(id)), ...ids].slice(0, MAX_OVERLAID_RUNS));
});
showNone.addEventListener('click', () => setSelection([]));
refresh.addEventListener('click', () => host.post({ t: 'command', command: 'refresh' }));
newRun.addEventListener('click', () => host.post({ t: 'command', command: 'newRun' }));
exportCsv.addEventListener('click', () => host.post({ t: 'exportCsv', runIds: ui.selectedRunIds }));
for (const [action, b] of Object.entries(controlButtons) as [ControlActionName, HTMLElement][]) {
  b.addEventListener('click', () => {
    const p = primaryRun();
    if (!p || b.hasAttribute('disabled')) return;
    setVisibleText(answer, `${action.replace('_', ' ')} sent to ${p.id}…`);
    answer.className = '';
    host.post({ t: 'control', runId: p.id, action });
  });
}
// Ready handshake: the extension sends nothing until it hears this, so no message is lost.
host.post({ t: 'ready' });
