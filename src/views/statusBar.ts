import * as vscode from 'vscode';
import type { RunMonitor } from '../runs/runMonitor';
import { progressFraction, whereText } from '../common/runProgress';
import { visibleText } from '../common/visibleText';
import { isLive } from '../protocol/schema';

/** Progress of the active (most recently started live) run in the status bar. */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('actfocus.run', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;

  constructor(monitor: RunMonitor) {
    this.item.name = vscode.l10n.t('ActFocus run');
    this.subscription = monitor.onDidChange(() => {
      const live = monitor.summaries().filter((r) => isLive(r.status));
      const r = live[live.length - 1];
      if (!r) return void this.item.hide();
      const success = r.successRate !== undefined ? vscode.l10n.t(' · {0}% success', (r.successRate * 100).toFixed(0)) : '';
      const where = whereText(r);
      // The step's own percentage only while training; a phase with progress already says it.
      const pct = where.startsWith('step ') && r.totalSteps ? ` (${Math.round(100 * progressFraction(r))}%)` : '';
      const id = visibleText(r.id);
      this.item.text = `$(${r.status === 'paused' ? 'debug-pause' : 'sync~spin'}) ${id} ${where}${pct}${success}`;
      this.item.tooltip = live.length > 1
        ? vscode.l10n.t('ActFocus: {0} is {1} ({2}) (+{3} more live runs). Click to open the dashboard.', id, r.status, where, live.length - 1)
        : vscode.l10n.t('ActFocus: {0} is {1} ({2}). Click to open the dashboard.', id, r.status, where);
      this.item.command = { command: 'actfocus.openRun', title: vscode.l10n.t('Open'), arguments: [r] };
      this.item.show();
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
