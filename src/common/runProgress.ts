// Where a live run is, in words and as a fraction (pure; shared by the Runs view, the status bar and the
// dashboard webview, which is why it imports nothing heavier than visibleText).
import { t } from '@vscode/l10n';
import type { RunSummary } from './messages';
import { visibleText } from './visibleText';
import { isLive } from '../protocol/schema';

// Functions: t() reads the display language's bundle when called (configured at activation).
const PHASE_NAMES: Record<string, () => string> = {
  starting: () => t('starting'), pretraining: () => t('warm start'), evaluating: () => t('evaluating'),
  checkpointing: () => t('saving a checkpoint'), exporting: () => t('exporting'), stopping: () => t('stopping'),
};

/**
 * Where a run is, in a few words: "warm start 120/400 (30%)", "evaluating 12/32 episodes", "step 3/50".
 * The step while training (or paused, or ended); the phase, with its progress, while the host is in
 * another one — so a long warm start never reads as "step 0/50".
 */
export function whereText(run: RunSummary): string {
  const name = run.phase ? PHASE_NAMES[run.phase]?.() : undefined;
  const live = isLive(run.status);
  if (live && name) {
    const p = run.progress;
    if (!p || p.total <= 0) return name;
    const pct = Math.min(100, Math.floor((100 * p.done) / p.total));
    return p.unit === 'steps' ? `${name} ${p.done}/${p.total} (${pct}%)` : `${name} ${p.done}/${p.total} ${visibleText(p.unit)}`;
  }
  return t('step {0}', run.totalSteps > 0 ? `${run.step}/${run.totalSteps}` : `${run.step}`);
}

/** How far the run is, 0..1: the phase's progress where it has one, else steps done. */
export function progressFraction(run: RunSummary): number {
  const p = run.phase && PHASE_NAMES[run.phase] && run.progress;
  if (p && p.total > 0) return Math.min(1, p.done / p.total);
  return run.totalSteps > 0 ? Math.min(1, run.step / run.totalSteps) : 0;
}
