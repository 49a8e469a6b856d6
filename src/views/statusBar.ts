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
    this.item.name = 'ActFocus run';
    this.subscription = monitor.onDidChange(() => {
      const live = monitor.summaries().filter((r) => isLive(r.status));
      const r = live[live.length - 1];
      if (!r) return void this.item.hide();
      const success = r.successRate !== undefined ? ` · ${(r.successRate * 100).toFixed(0)}% success` : '';
      const where = whereText(r);
      // The step's own percentage only while training; a phase with progress already says it.
      const pct = where.startsWith('step ') && r.totalSteps ? ` (${Math.round(100 * progressFraction(r))}%)` : '';
      const id = visibleText(r.id);
      this.item.text = `$(${r.status === 'paused' ? 'debug-pause' : 'sync~spin'}) ${id} ${where}${pct}${success}`;
      this.item.tooltip = `ActFocus: ${id} is ${r.status} (${where})${live.length > 1 ? ` (+${live.length - 1} more live runs)` : ''}. Click to open the dashboard.`;
      this.item.command = { command: 'actfocus.openRun', title: 'Open', arguments: [r] };
      this.item.show();
    });
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
