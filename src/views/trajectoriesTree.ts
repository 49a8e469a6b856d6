import * as vscode from 'vscode';
import * as path from 'node:path';
import { buildTrajectoryTree, trajNodeLabel, type TrajNode, type TrajSort } from '../common/trajectoryTree';
import { TrajectoryFile } from '../protocol/trajectories';
import type { RunMonitor } from '../runs/runMonitor';

/** The selected run's stored trajectories: step → group → trajectory; sortable by reward. */
export class TrajectoriesTreeProvider implements vscode.TreeDataProvider<TrajNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;
  runId: string | undefined;
  sort: TrajSort = 'index';
  private count = -1;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly monitor: RunMonitor) {
    this.subscription = monitor.onDidChange((c) => {
      if (this.runId && c.appended.has(this.runId)) void this.checkGrowth();
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }

  show(runId: string | undefined): void {
    this.runId = runId;
    this.count = -1;
    this.emitter.fire();
  }

  setSort(sort: TrajSort): void {
    this.sort = sort;
    this.emitter.fire();
  }

  private async checkGrowth(): Promise<void> {
    const file = await this.open();
    if (!file) return;
    const n = await file.count();
    await file.close();
    if (n !== this.count) this.emitter.fire();
  }

  private async open(): Promise<TrajectoryFile | undefined> {
    const run = this.runId ? this.monitor.get(this.runId) : undefined;
    return run ? TrajectoryFile.open(run.dir) : undefined;
  }

  async getChildren(element?: TrajNode): Promise<TrajNode[]> {
    if (element) return element.kind === 'trajectory' ? [] : element.children;
    const file = await this.open();
    if (!file) return [];
    try {
      this.count = await file.count();
      return buildTrajectoryTree(await file.entries(0, this.count), this.sort);
    } finally {
      await file.close();
    }
  }

  getTreeItem(n: TrajNode): vscode.TreeItem {
    const { label, description } = trajNodeLabel(n);
    const item = new vscode.TreeItem(label, n.kind === 'trajectory' ? vscode.TreeItemCollapsibleState.None : n.kind === 'step' && n.step === this.newestStep() ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    item.description = description;
    if (n.kind === 'trajectory') {
      item.iconPath = new vscode.ThemeIcon(n.entry.success ? 'pass' : 'circle-large-outline');
      item.contextValue = 'trajectory';
      const run = this.runId ? this.monitor.get(this.runId) : undefined;
      if (run) item.command = { command: 'actfocus.showTrajectory', title: vscode.l10n.t('Show Trajectory'), arguments: [path.basename(run.dir), n.position] };
    }
    return item;
  }

  private newestStep(): number | undefined {
    return this.runId ? this.monitor.get(this.runId)?.summary.step : undefined;
  }
}
