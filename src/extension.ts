import * as vscode from 'vscode';
import { DashboardPanel } from './webviews/dashboardPanel';
import { RunIndex } from './runs/runIndex';
import { RunsTreeProvider } from './views/runsTree';

// Wiring only: every behaviour lives in its own module.
export function activate(context: vscode.ExtensionContext): void {
  const runs = new RunIndex();
  context.subscriptions.push(
    runs,
    vscode.window.registerTreeDataProvider('actfocus.runs', new RunsTreeProvider(runs)),
    vscode.commands.registerCommand('actfocus.showDashboard', () => DashboardPanel.show(context, runs)),
    vscode.window.registerWebviewPanelSerializer(DashboardPanel.viewType, {
      deserializeWebviewPanel: async (panel) => void DashboardPanel.restore(panel, context, runs),
    }),
  );
  if (vscode.workspace.getConfiguration('actfocus').get<boolean>('dashboard.openOnStartup', false)) {
    DashboardPanel.show(context, runs);
  }
}

export function deactivate(): void {
  // Training hosts run in their own process group and outlive the window by design; nothing to stop here.
}
