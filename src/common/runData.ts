// A run's data for the dashboard, built from its events (pure: no I/O, no vscode). Metrics are kept
// columnar per name (step, time, value) so appending is O(1) and a chart reads its series directly.
import type { RunEvent } from '../protocol/types.generated';

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

export interface RunData {
  series: Record<string, Series>;
  markers: HParamMarker[];
  logs: LogLine[];
  /** Number of events applied. */
  events: number;
  /** Log lines ever added (logs keeps the last MAX_LOG_LINES). */
  logTotal: number;
  status?: string;
  lastStep: number;
  hparams: Record<string, number | string>;
  answers: Record<string, { type: 'ack' | 'error'; message: string }>;
}

export const MAX_LOG_LINES = 5000;

export function emptyRunData(): RunData {
  return { series: {}, markers: [], logs: [], events: 0, logTotal: 0, lastStep: 0, hparams: {}, answers: {} };
}

const RESERVED = new Set(['v', 't', 'step', 'type']);

/** Apply events in order; returns the metric names that received points. */
export function applyEvents(d: RunData, events: readonly RunEvent[]): Set<string> {
  const touched = new Set<string>();
  for (const e of events) {
    d.events++;
    d.lastStep = Math.max(d.lastStep, e.step);
    switch (e.type) {
      case 'metrics':
        for (const [k, v] of Object.entries(e)) {
          if (RESERVED.has(k)) continue;
          const s = (d.series[k] ??= { x: [], t: [], y: [] });
          s.x.push(e.step);
          s.t.push(e.t);
          s.y.push(typeof v === 'number' && Number.isFinite(v) ? v : null);
          touched.add(k);
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
        d.answers[e.request] = { type: 'ack', message: `${e.action}${e.detail ? `: ${e.detail}` : ''}` };
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
      case 'resume':
        pushLog(d, { step: e.step, t: e.t, level: 'warning', message: `resumed from step ${e.from_step}` });
        break;
    }
  }
  return touched;
}

export function pushLog(d: RunData, line: LogLine): void {
  d.logTotal++;
  d.logs.push(line);
  if (d.logs.length > MAX_LOG_LINES) d.logs.splice(0, d.logs.length - MAX_LOG_LINES);
}

/** Latest finite value of a metric. */
export function latest(d: RunData, name: string): number | undefined {
  const s = d.series[name];
  if (!s) return undefined;
  for (let i = s.y.length - 1; i >= 0; i--) if (s.y[i] !== null) return s.y[i] as number;
  return undefined;
}

/** Full-resolution CSV of the given runs' metrics: one row per (run, step), one column per metric. */
export function toCsv(runs: { id: string; data: RunData }[]): string {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.data.series)))].sort();
  const rows = [['run', 'step', 'time', ...names].map(csvCell).join(',')];
  for (const { id, data } of runs) {
    const byStep = new Map<number, { t: number; v: Map<string, number | null> }>();
    for (const n of names) {
      const s = data.series[n];
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
  series: Record<string, number>;
  markers: number;
  logTotal: number;
}

export interface RunDelta {
  series: Record<string, Series>;
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
  const series: Record<string, Series> = {};
  const next: DataCursor = { series: { ...c.series }, markers: d.markers.length, logTotal: d.logTotal };
  for (const [k, s] of Object.entries(d.series)) {
    const from = c.series[k] ?? 0;
    if (s.x.length > from) series[k] = { x: s.x.slice(from), t: s.t.slice(from), y: s.y.slice(from) };
    next.series[k] = s.x.length;
  }
  const newLogs = Math.min(d.logs.length, d.logTotal - c.logTotal);
  return {
    delta: { series, markers: d.markers.slice(c.markers), logs: newLogs > 0 ? d.logs.slice(d.logs.length - newLogs) : [], status: d.status, lastStep: d.lastStep, hparams: d.hparams },
    cursor: next,
  };
}

/** Merge a delta into a receiver's copy. */
export function applyDelta(d: RunData, delta: RunDelta): void {
  for (const [k, s] of Object.entries(delta.series)) {
    const t = (d.series[k] ??= { x: [], t: [], y: [] });
    for (let i = 0; i < s.x.length; i++) {
      t.x.push(s.x[i]!);
      t.t.push(s.t[i]!);
      t.y.push(s.y[i]!);
    }
  }
  d.markers.push(...delta.markers);
  for (const l of delta.logs) pushLog(d, l);
  d.status = delta.status;
  d.lastStep = delta.lastStep;
  d.hparams = { ...delta.hparams };
}
