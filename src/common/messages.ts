// The one definition of every message between the extension host and its webviews.
// Imported by both bundles; discriminated on `t`. No `vscode` or DOM imports here.

import type { RunDelta } from './runData';
import { isRunId } from './runSummary';
import { CONTROL_ACTIONS } from '../protocol/schema';
import type { ControlAction } from '../protocol/types.generated';

/** Extension → dashboard webview. */
export type ToDashboard =
  | { t: 'init'; extensionVersion: string; runs: RunSummary[]; selected: string[] }
  | { t: 'runs'; runs: RunSummary[] }
  /** The extension changed the selection (a run opened from the Runs view while the dashboard is open). */
  | { t: 'selected'; runIds: string[] }
  /** Data of a run: reset = replace what the webview has (first send, or the run's files were rewritten). */
  | ({ t: 'data' } & DataItem)
  | { t: 'answer'; runId: string; action: string; type: 'ack' | 'error' | 'timeout'; message: string };

export interface DataItem {
  runId: string;
  reset: boolean;
  delta: RunDelta;
}

/** The control actions a dashboard button sends: every action of the protocol but set_hparams (the Hyperparameters view's). */
export type ControlActionName = Exclude<ControlAction, 'set_hparams'>;
export const DASHBOARD_ACTIONS = CONTROL_ACTIONS.filter((a): a is ControlActionName => a !== 'set_hparams');

/** Dashboard webview → extension. */
export type FromDashboard =
  | { t: 'ready' }
  | { t: 'command'; command: DashboardCommand }
  | { t: 'select'; runIds: string[] }
  | { t: 'control'; runId: string; action: ControlActionName }
  | { t: 'exportCsv'; runIds: string[] }
  | { t: 'savePng'; name: string; dataUrl: string };

export type DashboardCommand = 'refresh' | 'newRun';

export interface RunSummary {
  id: string;
  /** run.json status, or "dead" (live status, stale heartbeat), or "invalid" (unreadable run.json). */
  status: string;
  step: number;
  totalSteps: number;
  env?: string;
  algo?: string;
  weighting?: string;
  successRate?: number;
  problem?: string;
  malformedLines?: number;
  /** Last lines of host.log, for runs whose host died. */
  logTail?: string;
  /** A live run's phase and its progress, from the heartbeat (the warm start, an evaluation…). */
  phase?: string;
  progress?: { done: number; total: number; unit: string };
}

/** Persisted webview UI state (setState/getState); only UI and navigation, never data. */
export interface DashboardUiState {
  selectedRunIds: string[];
  smoothing: number;
  xAxis: 'step' | 'time';
  logFilter: string;
  logLevel: string;
  /** The run list's filter (text, or /regex/). */
  runFilter: string;
}

/** Bounded (a sweep's runs, not unbounded input); the dashboard overlays up to this many. */
export const MAX_OVERLAID_RUNS = 256;
const isRunIds = (x: unknown): x is string[] => Array.isArray(x) && x.length <= MAX_OVERLAID_RUNS && x.every(isRunId);

/** Narrow an untrusted value posted by a webview to a FromDashboard message, or undefined. */
export function parseFromDashboard(value: unknown): FromDashboard | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  switch (v.t) {
    case 'ready':
      return { t: 'ready' };
    case 'command':
      return v.command === 'refresh' || v.command === 'newRun' ? { t: 'command', command: v.command } : undefined;
    case 'select':
      return isRunIds(v.runIds) ? { t: 'select', runIds: v.runIds } : undefined;
    case 'control':
      return isRunId(v.runId) && DASHBOARD_ACTIONS.includes(v.action as ControlActionName) ? { t: 'control', runId: v.runId, action: v.action as ControlActionName } : undefined;
    case 'exportCsv':
      return isRunIds(v.runIds) ? { t: 'exportCsv', runIds: v.runIds } : undefined;
    case 'savePng':
      return typeof v.name === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(v.name) && typeof v.dataUrl === 'string' && v.dataUrl.startsWith('data:image/png;base64,') && v.dataUrl.length < 32 << 20
        ? { t: 'savePng', name: v.name, dataUrl: v.dataUrl } : undefined;
    default:
      return undefined;
  }
}

/** Hyperparameters view (webview view) ↔ extension. */
export type ToHParams =
  | { t: 'init'; values: Record<string, number | string>; runs: { id: string; status: string }[]; target?: string }
  | { t: 'runs'; runs: { id: string; status: string }[] }
  | { t: 'result'; ok: boolean; message: string }
  /** Values proposed by the trajectory viewer's what-if: filled in, not applied. */
  | { t: 'propose'; values: Record<string, number | string> };

export type FromHParams =
  | { t: 'ready' }
  | { t: 'apply'; runId: string; values: Record<string, number | string> }
  | { t: 'useForNext'; values: Record<string, number | string> };

export function parseFromHParams(value: unknown): FromHParams | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const isValues = (x: unknown): x is Record<string, number | string> =>
    typeof x === 'object' && x !== null && !Array.isArray(x) && Object.entries(x).every(([k, y]) => /^[a-z_]{1,40}$/.test(k) && (typeof y === 'number' || typeof y === 'string'));
  if (v.t === 'ready') return { t: 'ready' };
  if (v.t === 'apply' && isRunId(v.runId) && isValues(v.values)) return { t: 'apply', runId: v.runId, values: v.values };
  if (v.t === 'useForNext' && isValues(v.values)) return { t: 'useForNext', values: v.values };
  return undefined;
}

/** A stored trajectory as sent to the viewer (columns as plain arrays). */
export interface TrajectoryPayload {
  runId: string;
  position: number;
  header: import('../protocol/types.generated').TrajectoryHeader;
  columns: Record<string, number[] | string[]>;
}

/** Trajectory viewer ↔ extension. */
export type ToViewer =
  | {
      t: 'open';
      primary: TrajectoryPayload;
      /** Other stored trajectories of the same group (for side by side). */
      siblings: { position: number; index: number; reward: number; success: boolean }[];
      /** The run's hyperparameters at that step, and the batch statistics of the ActFocus signal then. */
      hparams: Record<string, number | string>;
      signalStats?: { mu: number; sigma: number };
    }
  | { t: 'compare'; trajectory: TrajectoryPayload | undefined }
  /** Per-token values from an exported model (NaN where not scored), for the primary pane. */
  | { t: 'scores'; model: string; model_logprob: number[]; model_entropy: number[]; model_energy: number[]; tokensPerSecond: number }
  | { t: 'error'; message: string };

export type FromViewer =
  | { t: 'ready' }
  | { t: 'compare'; position: number | null }
  | { t: 'sendToHParams'; values: Record<string, number | string> }
  | { t: 'score' };

export function parseFromViewer(value: unknown): FromViewer | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.t === 'ready') return { t: 'ready' };
  if (v.t === 'score') return { t: 'score' };
  if (v.t === 'compare' && (v.position === null || (Number.isInteger(v.position) && (v.position as number) >= 0))) return { t: 'compare', position: v.position as number | null };
  if (v.t === 'sendToHParams' && typeof v.values === 'object' && v.values !== null && !Array.isArray(v.values) &&
      Object.entries(v.values).every(([k, y]) => /^[a-z_]{1,40}$/.test(k) && (typeof y === 'number' || typeof y === 'string'))) {
    return { t: 'sendToHParams', values: v.values as Record<string, number | string> };
  }
  return undefined;
}
