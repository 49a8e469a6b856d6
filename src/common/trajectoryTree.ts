// Grouping a run's trajectory index into the Trajectories tree: step → group → trajectory (pure).
import { t } from '@vscode/l10n';
import type { TrajectoryIndexEntry } from '../protocol/types.generated';

export type TrajNode =
  | { kind: 'step'; step: number; count: number; meanReward: number; children: TrajNode[] }
  | { kind: 'group'; step: number; group: number; children: TrajNode[]; rewards: number[] }
  | { kind: 'trajectory'; position: number; entry: TrajectoryIndexEntry };

export type TrajSort = 'index' | 'reward';

/** position = the entry's place in trajectories.idx (what the reader seeks to). Newest steps first. */
export function buildTrajectoryTree(entries: readonly TrajectoryIndexEntry[], sort: TrajSort): TrajNode[] {
  const steps = new Map<number, Map<number, { position: number; entry: TrajectoryIndexEntry }[]>>();
  entries.forEach((entry, position) => {
    const groups = steps.get(entry.step) ?? new Map();
    steps.set(entry.step, groups);
    const list = groups.get(entry.group) ?? [];
    groups.set(entry.group, list);
    list.push({ position, entry });
  });
  const byReward = (a: { entry: TrajectoryIndexEntry }, b: { entry: TrajectoryIndexEntry }) => b.entry.reward - a.entry.reward || a.entry.index - b.entry.index;
  const byIndex = (a: { entry: TrajectoryIndexEntry }, b: { entry: TrajectoryIndexEntry }) => a.entry.index - b.entry.index;
  return [...steps.keys()].sort((a, b) => b - a).map((step) => {
    const groups = steps.get(step)!;
    const all = [...groups.values()].flat();
    return {
      kind: 'step' as const,
      step,
      count: all.length,
      meanReward: all.reduce((s, x) => s + x.entry.reward, 0) / all.length,
      children: [...groups.keys()].sort((a, b) => a - b).map((group) => {
        const list = [...groups.get(group)!].sort(sort === 'reward' ? byReward : byIndex);
        return { kind: 'group' as const, step, group, rewards: list.map((x) => x.entry.reward), children: list.map((x) => ({ kind: 'trajectory' as const, ...x })) };
      }),
    };
  });
}

export function trajNodeLabel(n: TrajNode): { label: string; description: string } {
  if (n.kind === 'step') return { label: t('step {0}', n.step), description: t('{0} trajectories · mean reward {1}', n.count, n.meanReward.toFixed(2)) };
  if (n.kind === 'group') return { label: t('group {0}', n.group), description: t('rewards {0}', n.rewards.map((r) => r.toFixed(2)).join(', ')) };
  const e = n.entry;
  return { label: t('#{0} {1} reward {2}', e.index, e.success ? '✓' : '✗', e.reward.toFixed(2)), description: e.turns === 1 ? t('1 turn') : t('{0} turns', e.turns) };
}
