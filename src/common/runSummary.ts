import type { RunSummary } from './messages';

/**
 * Summarise a run directory's run.json text. Never throws: a missing, truncated or malformed
 * run.json yields status "invalid" with the reason, so one bad run cannot hide the others.
 */
export function summarizeRunJson(id: string, text: string | undefined): RunSummary & { problem?: string } {
  const bad = (problem: string) => ({ id, status: 'invalid', step: 0, totalSteps: 0, problem });
  if (text === undefined) return bad('run.json is missing');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return bad(`run.json is not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('run.json is not a JSON object');
  const v = value as Record<string, unknown>;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : 0);
  const config = (typeof v.config === 'object' && v.config !== null ? v.config : {}) as Record<string, unknown>;
  return {
    id,
    status: typeof v.status === 'string' ? v.status : 'unknown',
    step: num(v.step),
    totalSteps: num(config.total_steps),
  };
}

/** Run ids become folder names and tree labels: only a conservative character set is accepted. */
export function isSafeRunId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) && !id.includes('..');
}

const statusIcon: Record<string, string> = {
  running: 'sync~spin',
  paused: 'debug-pause',
  completed: 'pass',
  stopped: 'circle-slash',
  failed: 'error',
  invalid: 'warning',
};

/** The Runs tree item fields for one run. */
export function runItemFields(run: RunSummary & { problem?: string }): { label: string; description: string; icon: string; tooltip: string } {
  const progress = run.totalSteps > 0 ? `${run.step}/${run.totalSteps}` : `${run.step}`;
  return {
    label: run.id,
    description: run.status === 'invalid' ? 'invalid' : `${run.status} · step ${progress}`,
    icon: statusIcon[run.status] ?? 'circle-outline',
    tooltip: run.problem ?? `${run.id}: ${run.status}, step ${progress}`,
  };
}
