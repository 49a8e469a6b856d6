// Is the host alive? Only files are used (Remote-SSH: the reader may not share the host's process
// table), so age of the heartbeat decides; pid/hostname let a same-machine caller double-check.
import { t } from '@vscode/l10n';
import { isLive } from './schema';
import type { Heartbeat, RunInfo } from './types.generated';

export type HostState = 'starting' | 'running' | 'paused' | 'not-responding' | 'completed' | 'stopped' | 'failed';

/** A heartbeat older than this many intervals means the host is gone (or hung). */
export const STALE_INTERVALS = 3;

export interface Liveness {
  state: HostState;
  /** Seconds since the last heartbeat, when there is one. */
  heartbeatAge?: number;
  detail: string;
}

export function liveness(run: Pick<RunInfo, 'status' | 'step'>, hb: Heartbeat | undefined, nowS: number): Liveness {
  if (!isLive(run.status)) return { state: run.status, detail: t('{0} at step {1}', run.status, run.step) };
  if (!hb) return { state: 'not-responding', detail: t('no heartbeat from the host') };
  const age = Math.max(0, nowS - hb.t);
  if (age > STALE_INTERVALS * hb.interval_s) {
    return { state: 'not-responding', heartbeatAge: age, detail: t('no heartbeat for {0} s (host {1}, pid {2}): crashed or killed?', Math.round(age), hb.hostname, hb.pid) };
  }
  const state: HostState = hb.phase === 'paused' || run.status === 'paused' ? 'paused' : run.status === 'starting' ? 'starting' : 'running';
  return { state, heartbeatAge: age, detail: t('{0} at step {1}', hb.phase, hb.step) };
}

/** A host launched by the extension writes run.json only after importing PyTorch; its log exists from the start. */
export const STARTUP_GRACE_S = 180;

/** Before run.json exists: starting while the launch log is younger than the grace period, else dead. */
export function beforeRunJson(logAgeS: number): { status: 'starting' | 'dead'; problem: string } {
  return logAgeS < STARTUP_GRACE_S
    ? { status: 'starting', problem: 'The training host is starting' }
    : { status: 'dead', problem: 'The training host exited before creating the run' };
}
