// A run's data for the dashboard, built from its events (pure: no I/O, no vscode). The metrics the
// charts draw are kept at the resolution a chart can show (SeriesStore: bounded memory per run, whatever
// its length); every other metric, and every point, stays in events.jsonl and is read on demand
// (fullSeries: CSV export, a trajectory's step statistics).
import type { RunEvent } from '../protocol/types.generated';
import { CHART_METRICS, WARM_START_LOSS } from './charts';
import { SeriesStore, type StoreCursor, type StoreDelta } from './seriesStore';

/** A metric at full resolution, columnar (step, time, value). */
export interface Series {
  x: number[]; // step
  t: number[]; // seconds since the epoch
  y: (number | null)[];
}

export interface HParamMarker {
  step: number;
  t: number;
  values: Record<string, number | string>;
  previous?: Record<string, number | string>;
  request?: string;
}

export interface LogLine {
  step: number;
  t: number;
  level: 'debug' | 'info' | 'warning' | 'error';
  message: string;
  /** 'host' = a line of the host's stdout/stderr (host.log); else an event. */
  source?: 'host';
}

export type HostAnswer = { type: 'ack'; action: string; detail?: string } | { type: 'error'; message: string };

export interface RunData {
  /** The charted metrics (CHART_METRICS), by name. */
  series: Record<string, SeriesStore>;
  markers: HParamMarker[];
  logs: LogLine[];
  /** Number of events applied. */
  events: number;
  /** Log lines ever added (logs keeps the last MAX_LOG_LINES). */
  logTotal: number;
  status?: string;
  lastStep: number;
  hparams: Record<string, number | string>;
  /** The host's answers to control requests, by request id: as the events carry them. */
  answers: Record<string, HostAnswer>;
}

export const MAX_LOG_LINES = 5000;

export function emptyRunData(): RunData {
  return { series: {}, markers: [], logs: [], events: 0, logTotal: 0, lastStep: 0, hparams: {}, answers: {} };
}

// diag_groups: the step's per-group points (an object, not a metric), read by the host's reports.
const RESERVED = new Set(['v', 't', 'step', 'type', 'diag_groups']);

/** Apply events in order. */
export function applyEvents(d: RunData, events: readonly RunEvent[]): void {
  for (const e of events) applyEvent(d, e);
}

/** Apply one event. */
export function applyEvent(d: RunData, e: RunEvent): void {
  d.events++;
  d.lastStep = Math.max(d.lastStep, e.step);
  switch (e.type) {
    case 'metrics':
      for (const k of CHART_METRICS) {
        const v = (e as Record<string, unknown>)[k];
        if (v === undefined) continue;
        (d.series[k] ??= new SeriesStore()).push(e.step, e.t, typeof v === 'number' ? v : NaN);
      }
      break;
    case 'hparams':
      Object.assign(d.hparams, e.values);
      if (e.source === 'request') d.markers.push({ step: e.step, t: e.t, values: e.values, previous: e.previous, request: e.request });
      break;
    case 'status':
      d.status = e.status;
      pushLog(d, { step: e.step, t: e.t, level: e.status === 'failed' ? 'error' : 'info', message: `status: ${e.status}${e.reason ? ` (${e.reason})` : ''}` });
      break;
    case 'log':
      pushLog(d, { step: e.step, t: e.t, level: e.level, message: e.message });
      break;
    case 'ack':
      d.answers[e.request] = { type: 'ack', action: e.action, ...(e.detail ? { detail: e.detail } : {}) };
      pushLog(d, { step: e.step, t: e.t, level: 'info', message: `request ${e.action} applied${e.detail ? `: ${e.detail}` : ''}` });
      break;
    case 'error':
      if (e.request) d.answers[e.request] = { type: 'error', message: e.message };
      pushLog(d, { step: e.step, t: e.t, level: 'error', message: e.request ? `request ${e.action ?? ''} refused: ${e.message}` : e.message });
      break;
    case 'checkpoint':
      pushLog(d, { step: e.step, t: e.t, level: 'info', message: `checkpoint ${e.path}` });
      break;
    case 'export':
      pushLog(d, { step: e.step, t: e.t, level: 'info', message: `exported ${e.format} to ${e.path}` });
      break;
    case 'progress':
      if (e.phase === 'pretraining' && e.loss !== undefined) {
        (d.series[WARM_START_LOSS] ??= new SeriesStore()).push(e.done, e.t, typeof e.loss === 'number' ? e.loss : NaN);
      }
      break;
    case 'resume':
      pushLog(d, { step: e.step, t: e.t, level: 'warning', message: `resumed from step ${e.from_step}` });
      break;
  }
}

export function pushLog(d: RunData, line: LogLine): void {
  d.logTotal++;
  d.logs.push(line);
  if (d.logs.length > MAX_LOG_LINES) d.logs.splice(0, d.logs.length - MAX_LOG_LINES);
}

/** Latest finite value of a charted metric. */
export function latest(d: RunData, name: string): number | undefined {
  const v = d.series[name]?.last();
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

/** Every metric of these events at full resolution (non-finite values as null), added to `into`. */
export function fullSeries(events: readonly RunEvent[], into: Record<string, Series> = {}, keys?: ReadonlySet<string>): Record<string, Series> {
  for (const e of events) {
    if (e.type !== 'metrics') continue;
    for (const [k, v] of Object.entries(e)) {
      if (RESERVED.has(k) || (keys && !keys.has(k))) continue;
      const s = (into[k] ??= { x: [], t: [], y: [] });
      s.x.push(e.step);
      s.t.push(e.t);
      s.y.push(typeof v === 'number' && Number.isFinite(v) ? v : null);
    }
  }
  return into;
}

/** The value of a full-resolution metric at a step (the last one written for it), or undefined. */
export function valueAt(s: Series | undefined, step: number): number | null | undefined {
  const i = s ? s.x.lastIndexOf(step) : -1;
  return i >= 0 ? s!.y[i] : undefined;
}

/** Full-resolution CSV of the given runs' metrics: one row per (run, step), one column per metric. */
export function toCsv(runs: { id: string; series: Record<string, Series> }[]): string {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.series)))].sort();
  const rows = [['run', 'step', 'time', ...names].map(csvCell).join(',')];
  for (const { id, series } of runs) {
    const byStep = new Map<number, { t: number; v: Map<string, number | null> }>();
    for (const n of names) {
      const s = series[n];
      if (!s) continue;
      for (let i = 0; i < s.x.length; i++) {
        const row = byStep.get(s.x[i]!) ?? { t: s.t[i]!, v: new Map() };
        row.v.set(n, s.y[i]!);
        byStep.set(s.x[i]!, row);
      }
    }
    for (const step of [...byStep.keys()].sort((a, b) => a - b)) {
      const row = byStep.get(step)!;
      rows.push([csvCell(id), String(step), String(row.t), ...names.map((n) => (row.v.get(n) ?? '') === '' ? '' : String(row.v.get(n) ?? ''))].join(','));
    }
  }
  return rows.join('\n') + '\n';
}

/** A CSV cell; formula-leading characters are neutralised (CSV injection in spreadsheets). */
export function csvCell(s: string): string {
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** How much of a RunData a receiver already has. */
export interface DataCursor {
  series: Record<string, StoreCursor>;
  markers: number;
  logTotal: number;
}

export interface RunDelta {
  series: Record<string, StoreDelta>;
  markers: HParamMarker[];
  logs: LogLine[];
  status?: string;
  lastStep: number;
  hparams: Record<string, number | string>;
}

export function emptyCursor(): DataCursor {
  return { series: {}, markers: 0, logTotal: 0 };
}

/** What `d` has beyond `c` (new points, markers, log lines), and the cursor after it. */
export function deltaSince(d: RunData, c: DataCursor): { delta: RunDelta; cursor: DataCursor } {
  const series: Record<string, StoreDelta> = {};
  const next: DataCursor = { series: { ...c.series }, markers: d.markers.length, logTotal: d.logTotal };
  for (const [k, s] of Object.entries(d.series)) {
    const out = s.deltaSince(c.series[k]);
    if (!out) continue;
    series[k] = out.delta;
    next.series[k] = out.cursor;
  }
  const newLogs = Math.min(d.logs.length, d.logTotal - c.logTotal);
  return {
    delta: { series, markers: d.markers.slice(c.markers), logs: newLogs > 0 ? d.logs.slice(d.logs.length - newLogs) : [], status: d.status, lastStep: d.lastStep, hparams: d.hparams },
    cursor: next,
  };
}

/** Merge a delta into a receiver's copy. */
export function applyDelta(d: RunData, delta: RunDelta): void {
  for (const [k, s] of Object.entries(delta.series)) (d.series[k] ??= new SeriesStore()).apply(s);
  d.markers.push(...delta.markers);
  for (const l of delta.logs) pushLog(d, l);
  d.status = delta.status;
  d.lastStep = delta.lastStep;
  d.hparams = { ...delta.hparams };
}
