import { t } from '@vscode/l10n';
import type { RunSummary } from './messages';
import { liveness } from '../protocol/liveness';
import { isLive, versionProblem } from '../protocol/schema';
import { visibleText } from './visibleText';
import { whereText } from './runProgress';
import type { Heartbeat, RunInfo } from '../protocol/types.generated';

/**
 * Summarise a run from its run.json text and heartbeat. Never throws: a missing, truncated or
 * malformed run.json yields status "invalid" with the reason, so one bad run cannot hide the others.
 * A live status with a stale heartbeat becomes "dead" (crashed or killed host).
 */
export function summarizeRun(id: string, text: string | undefined, hb: Heartbeat | undefined, nowS: number): RunSummary {
  const bad = (problem: string): RunSummary => ({ id, status: 'invalid', step: 0, totalSteps: 0, problem });
  if (text === undefined) return bad(t('run.json is missing (the host may still be starting)'));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return bad(t('run.json is not valid JSON ({0})', (e as Error).message));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad(t('run.json is not a JSON object'));
  const v = value as Record<string, unknown>;
  // Another protocol version is refused by name, never guessed at (it would show as a dead run).
  // (A file without a version field predates nothing: it is read as this version.)
  const runVersion = v.schema_version === undefined ? undefined : versionProblem(v.schema_version);
  if (runVersion) return bad(t('run.json {0}', runVersion));
  const hbVersion = hb?.v === undefined ? undefined : versionProblem(hb.v);
  if (hbVersion) return bad(t('heartbeat.json {0}', hbVersion));
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0);
  const config = (typeof v.config === 'object' && v.config !== null ? v.config : {}) as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  const out: RunSummary = {
    id,
    status: typeof v.status === 'string' ? v.status : 'unknown',
    step: num(v.step),
    totalSteps: num(config.steps),
    env: str(config.env),
    algo: str(config.algo),
    weighting: str(config.weighting),
  };
  // The host's own one-sentence reason (run.json "reason"), e.g. why a run failed.
  if (out.status === 'failed' && typeof v.reason === 'string' && v.reason) out.problem = v.reason;
  if (isLive(out.status)) {
    const live = liveness({ status: out.status, step: out.step }, hb, nowS);
    if (live.state === 'not-responding') {
      out.status = 'dead';
      out.problem = t('The training host stopped responding: {0}', live.detail);
    } else {
      out.status = live.state;
      if (typeof hb?.phase === 'string') out.phase = hb.phase;
      const p = hb?.progress as Record<string, unknown> | undefined;
      const count = (x: unknown) => typeof x === 'number' && Number.isInteger(x) && x >= 0;
      if (p && typeof p === 'object' && count(p.done) && count(p.total) && typeof p.unit === 'string') {
        out.progress = { done: p.done as number, total: p.total as number, unit: p.unit };
      }
    }
  }
  return out;
}

/** Statuses in which a run takes a pause request (its Runs item then offers Pause). */
export const PAUSABLE = ['running', 'starting'];

/** Statuses from which *Continue Run* (`actfocus resume`) goes on. */
export const CONTINUABLE = ['stopped', 'failed', 'dead'];

/** Why this run cannot be continued, or undefined (pure). hostAlive: its recorded host process still exists. */
export function continueRefusal(status: string, hostAlive: boolean): string | undefined {
  if (status === 'completed') return t('it has completed all its steps');
  if (!CONTINUABLE.includes(status)) return t('it is {0}; only a stopped or failed run can be continued', status);
  if (hostAlive) return t('its host process is still running (hung?): end it first, or wait for it to finish');
  return undefined;
}

/** Names of runs this extension creates (they become folder names and command-line arguments): a conservative set. */
export function isSafeRunId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) && !id.includes('..');
}

/**
 * An existing run's id is its folder name, whatever the file system allowed (spaces, brackets,
 * non-ASCII…): an opaque key into the run monitor, never a path. Messages may only carry something
 * shaped like one; the receiver then looks it up, so an unknown id does nothing.
 */
export function isRunId(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= 255 && !x.includes('/') && !x.includes('\0') && x !== '.' && x !== '..';
}

const statusIcon: Record<string, string> = {
  starting: 'loading~spin',
  running: 'sync~spin',
  paused: 'debug-pause',
  completed: 'pass',
  stopped: 'circle-slash',
  failed: 'error',
  dead: 'error',
  invalid: 'warning',
};

/** The Runs tree item fields for one run. */
export function runItemFields(run: RunSummary): { label: string; description: string; icon: string; tooltip: string; contextValue: string } {
  const progress = run.totalSteps > 0 ? `${run.step}/${run.totalSteps}` : `${run.step}`;
  const success = run.successRate !== undefined ? t(' · success {0}%', (run.successRate * 100).toFixed(0)) : '';
  const shown = run.status === 'dead' ? t('failed (host died)') : run.status;
  const what = [run.env, run.algo, run.weighting].filter(Boolean).join(' · ');
  const tooltip = [run.problem ? visibleText(run.problem) : t('{0}: {1}, step {2}', visibleText(run.id), shown, progress), what,
    run.malformedLines ? t('{0} malformed event lines skipped', run.malformedLines) : '',
    run.logTail ? t('last lines of host.log:\n{0}', visibleText(run.logTail.split('\n').slice(-8).join('\n'))) : ''].filter(Boolean).join('\n');
  return {
    label: visibleText(run.id), // a folder name may hold any character the file system allows
    description: run.status === 'invalid' ? (run.problem ? t('invalid · {0}', visibleText(run.problem)) : t('invalid')) : `${shown} · ${whereText(run)}${success}`,
    icon: statusIcon[run.status] ?? 'circle-outline',
    tooltip,
    // Menus (package.json) show Stop/Pause/Resume only where they apply.
    contextValue: PAUSABLE.includes(run.status) ? 'run-live' : run.status === 'paused' ? 'run-paused'
      : CONTINUABLE.includes(run.status) ? 'run-continuable' : 'run-done',
  };
}

/**
 * The notification owed when a run this window saw alive has failed or its host died: one sentence
 * with the host's reason; undefined for every other change (a run found already failed is not news).
 */
export function failureNotice(before: RunSummary | undefined, after: RunSummary): string | undefined {
  // 'dead' is inferred from a stale heartbeat: a host that stalled, then recorded its failure, still owes
  // the user its own reason.
  const watched = before && (isLive(before.status) || (before.status === 'dead' && after.status === 'failed'));
  if (!watched) return undefined;
  const id = visibleText(after.id);
  if (after.status === 'failed') return t('ActFocus run {0} failed: {1}', id, visibleText(after.problem ?? t('the host recorded no reason')));
  if (after.status === 'dead') return t('ActFocus run {0}: {1}', id, visibleText(after.problem ?? t('the training host died')));
  return undefined;
}
