import * as vscode from 'vscode';
import type { RunSummary } from '../common/messages';
import type { RunMonitor } from '../runs/runMonitor';
import { runItemFields } from '../common/runSummary';

export class RunsTreeProvider implements vscode.TreeDataProvider<RunSummary>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private last = '';
  private readonly subscription: vscode.Disposable;

  constructor(private readonly runs: RunMonitor) {
    this.subscription = runs.onDidChange(() => {
      const now = JSON.stringify(runs.summaries());
      if (now !== this.last) {
        this.last = now; // only redraw when something shown changed (polling fires often)
        this.emitter.fire();
      }
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }

  getChildren(element?: RunSummary): RunSummary[] {
    return element ? [] : this.runs.summaries();
  }

  getTreeItem(run: RunSummary): vscode.TreeItem {
    const f = runItemFields(run);
    const item = new vscode.TreeItem(f.label, vscode.TreeItemCollapsibleState.None);
    item.id = run.id;
    item.description = f.description;
    item.tooltip = f.tooltip;
    item.iconPath = new vscode.ThemeIcon(f.icon);
    item.contextValue = f.contextValue;
    item.command = { command: 'actfocus.openRun', title: vscode.l10n.t('Open in Dashboard'), arguments: [run] };
    return item;
  }
}
