import * as vscode from 'vscode';
import type { RunSummary } from '../common/messages';
import type { RunIndex } from '../runs/runIndex';
import { runItemFields } from '../common/runSummary';

export class RunsTreeProvider implements vscode.TreeDataProvider<RunSummary> {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly runs: RunIndex) {
    runs.onDidChange(() => this.emitter.fire());
  }

  getChildren(element?: RunSummary): RunSummary[] {
    return element ? [] : this.runs.summaries();
  }

  getTreeItem(run: RunSummary): vscode.TreeItem {
    const f = runItemFields(run);
    const item = new vscode.TreeItem(f.label, vscode.TreeItemCollapsibleState.None);
    item.description = f.description;
    item.tooltip = f.tooltip;
    item.iconPath = new vscode.ThemeIcon(f.icon);
    item.contextValue = `run.${run.status}`;
    item.command = { command: 'actfocus.showDashboard', title: 'Show Dashboard' };
    return item;
  }
}
