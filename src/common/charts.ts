// The dashboard's charts: which metrics each one draws (names as the host writes them, docs/protocol.md).
export interface ChartSpec {
  id: string;
  title: string;
  lines: { key: string; label: string; band?: { lo: string; hi: string } }[];
  yMin?: number;
  yMax?: number;
  /** Shown only while a drawn run has data for it (the warm start: only built-in models have one). */
  whenData?: boolean;
  /** The x axis' name in step mode, when it is not the training step. */
  xTitle?: string;
}

/** The warm start's loss, from `progress` events; its x is the warm-start step. */
export const WARM_START_LOSS = 'warm_start/loss';

export const CHARTS: readonly ChartSpec[] = [
  // First: during a warm start it is the only chart with data, so it must be in view without scrolling.
  { id: 'warmstart', title: 'Warm-start loss', whenData: true, xTitle: 'warm-start step', yMin: 0, lines: [{ key: WARM_START_LOSS, label: 'loss (mean per point)' }] },
  { id: 'success', title: 'Success rate', yMin: 0, yMax: 1, lines: [{ key: 'success_rate', label: 'train' },
    { key: 'eval/success_rate', label: 'eval' }, { key: 'eval/optimal_success', label: 'optimum (eval episodes)' },
    { key: 'eval/expert_success', label: 'expert (eval episodes)' }] },
  { id: 'reference', title: 'Eval success as a fraction of the optimum and of the expert', yMin: 0, lines: [
    { key: 'eval/success_of_optimum', label: 'of the optimum' }, { key: 'eval/success_of_expert', label: 'of the expert' }] },
  { id: 'reward', title: 'Reward', lines: [{ key: 'reward_mean', label: 'train' }, { key: 'eval/reward_mean', label: 'eval' }] },
  { id: 'share', title: 'Action-token share', yMin: 0, lines: [{ key: 'diag/share_action', label: 'action' }] },
  // The pooled ρ first: one step's ρ rests on a handful of prompt groups and jumps between −1 and +1.
  { id: 'rho', title: 'Spearman ρ (energy vs reward variance), pooled, 95 % interval', yMin: -1, yMax: 1,
    lines: (['action', 'reasoning', 'full'] as const).map((scope) => ({ key: `diag/rho_${scope}_pooled`, label: scope,
      band: { lo: `diag/rho_${scope}_pooled_lo`, hi: `diag/rho_${scope}_pooled_hi` } })) },
  { id: 'rho_step', title: 'Spearman ρ of each step alone', yMin: -1, yMax: 1, lines: [
    { key: 'diag/rho_action', label: 'action' }, { key: 'diag/rho_reasoning', label: 'reasoning' }, { key: 'diag/rho_full', label: 'full' }] },
  { id: 'energy', title: 'Mean energy by role', lines: [
    { key: 'diag/energy_action', label: 'action' }, { key: 'diag/energy_reasoning', label: 'reasoning' }, { key: 'diag/energy_other', label: 'other' }] },
  { id: 'weights', title: 'ActFocus weights', lines: [
    { key: 'diag/weight_action_mean', label: 'action mean' }, { key: 'diag/weight_action_max', label: 'action max' }, { key: 'diag/weight_reasoning_mean', label: 'reasoning' }] },
  { id: 'kl', title: 'KL to reference', lines: [{ key: 'kl_ref', label: 'KL' }] },
  { id: 'entropy', title: 'Entropy', lines: [{ key: 'entropy', label: 'policy' }] },
  { id: 'loss', title: 'Loss', lines: [{ key: 'loss', label: 'loss' }, { key: 'pg_loss', label: 'policy gradient' }] },
];

/** Every metric a chart draws: what the dashboard keeps per run (the rest is read from disk on demand). */
export const CHART_METRICS: ReadonlySet<string> = new Set(CHARTS.flatMap((c) => c.lines.flatMap((l) => (l.band ? [l.key, l.band.lo, l.band.hi] : [l.key]))));

/** Interval bands are drawn for at most this many runs at once: beyond, overlapping bands hide each other. */
export const MAX_BAND_RUNS = 3;
