// Facts taken from docs/protocol.schema.json (the one definition of the run directory): the version
// this reader speaks, the event types, the control actions and the per-token columns.
import schema from '../../docs/protocol.schema.json';
import type { LiveStatus, Status } from './types.generated';
import { t } from '@vscode/l10n';

export const PROTOCOL_VERSION: number = schema.version;

/** Why a record of protocol version `v` cannot be read here (undefined: it can), in the user's words. */
export function versionProblem(v: unknown): string | undefined {
  if (v === PROTOCOL_VERSION) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v > PROTOCOL_VERSION ? t('written by a newer ActFocus (protocol {0}; this reads {1})', v, PROTOCOL_VERSION) : t('written by an older ActFocus (protocol {0}; this reads {1})', v, PROTOCOL_VERSION);
  return t('has no protocol version this reads ({0}; this reads {1})', JSON.stringify(v) ?? 'none', PROTOCOL_VERSION);
}

type Defs = Record<string, { properties?: Record<string, { const?: string; enum?: string[] }>; oneOf?: { $ref: string }[]; enum?: string[] }>;
const defs = schema.$defs as unknown as Defs;

export const EVENT_TYPES: readonly string[] = (defs.event.oneOf ?? []).map(
  (r) => defs[r.$ref.split('/').pop() as string].properties?.type?.const as string,
);
export const CONTROL_ACTIONS: readonly string[] = defs.controlAction.enum ?? [];
/** Statuses of a run whose host is at work or paused (the rest are final). */
export const LIVE_STATUSES = (defs.liveStatus.enum ?? []) as readonly LiveStatus[];
export const isLive = (status: string): status is LiveStatus => (LIVE_STATUSES as readonly string[]).includes(status);
export const FINAL_STATUSES = (defs.finalStatus.enum ?? []) as readonly Status[];
/** After a final status a run's files no longer change. */
export const isFinal = (status: string): boolean => (FINAL_STATUSES as readonly string[]).includes(status);
export const COLUMN_NAMES: readonly string[] = defs.column.properties?.name?.enum ?? [];

/** Files of a run directory (docs/protocol.md). */
export const FILES = {
  run: 'run.json',
  events: 'events.jsonl',
  heartbeat: 'heartbeat.json',
  /** The host's output when the extension launches it (host/actfocus/run/protocol.py HOST_LOG). */
  hostLog: 'host.log',
  /** ONNX exports of the run's model, one folder each (host/actfocus/run/protocol.py EXPORTS). */
  exports: 'exports',
  trajectories: 'trajectories.bin',
  trajectoryIndex: 'trajectories.idx',
  controlPending: 'control/pending',
  controlDone: 'control/done',
} as const;
