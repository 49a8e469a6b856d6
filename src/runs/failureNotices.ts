// Tells the user when a run this window watched fails or its host dies: one sentence (the host's own
// reason from run.json), with the log and the dashboard a click away. The decision is pure
// (failureNotice in common/runSummary); this module only remembers the last status and shows it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { failureNotice } from '../common/runSummary';
import type { RunSummary } from '../common/messages';
import { FILES } from '../protocol/schema';
import type { RunMonitor } from './runMonitor';

export function watchFailures(monitor: RunMonitor, openRun: (id: string) => void): vscode.Disposable {
  const last = new Map<string, RunSummary>();
  const check = () => {
    for (const run of monitor.summaries()) {
      const notice = failureNotice(last.get(run.id), run);
      last.set(run.id, run);
      if (!notice) continue;
      const dir = monitor.get(run.id)?.dir;
      const showLog = vscode.l10n.t('Show Log');
      const openDashboard = vscode.l10n.t('Open Dashboard');
      void vscode.window.showErrorMessage(notice, showLog, openDashboard).then((choice) => {
        if (choice === openDashboard) openRun(run.id);
        else if (choice === showLog && dir) void vscode.window.showTextDocument(vscode.Uri.file(path.join(dir, FILES.hostLog)));
      });
    }
  };
  check();
  return monitor.onDidChange(check);
}
