// "ActFocus: Continue Run": `actfocus resume RUN_DIR` for a run that stopped, failed or whose host died —
// from its last checkpoint (the steps after it are run again; the records they had written are kept in
// superseded/), or from the start when it stopped before the first one. Never while its host still runs:
// two writers would interleave one run's files.
import * as vscode from 'vscode';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { readFile } from 'node:fs/promises';
import { ensureHost } from './newRunFlow';
import { HostError, launchHost } from './hostProcess';
import type { RunMonitor } from '../runs/runMonitor';
import { visibleText } from '../common/visibleText';
import { continueRefusal } from '../common/runSummary';
import { FILES } from '../protocol/schema';

/** How long a host that wrote its final status may take to exit before Continue Run calls it hung. */
const EXIT_WAIT_MS = 20_000;

function processAlive(pid: unknown): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function continueRun(monitor: RunMonitor, runId: string, version: string, onLaunched: (id: string) => void): Promise<void> {
  const run = monitor.get(runId);
  if (!run) return;
  const shown = visibleText(runId);
  let info: { pid?: unknown; hostname?: unknown } = {};
  try {
    info = JSON.parse(await readFile(path.join(run.dir, FILES.run), 'utf8'));
  } catch { /* unreadable: the summary says invalid, refused below */ }
  const sameMachine = info.hostname === hostname();
  // A host that recorded its own stop is still exiting for a moment (interpreter shutdown): wait for it.
  if (sameMachine && run.summary.status !== 'dead' && processAlive(info.pid)) {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t("ActFocus: waiting for {0}'s host to exit", shown) }, async () => {
      for (let i = 0; i < EXIT_WAIT_MS / 100 && processAlive(info.pid); i++) await new Promise((r) => setTimeout(r, 100));
    });
  }
  const refusal = continueRefusal(run.summary.status, sameMachine && processAlive(info.pid));
  if (refusal) return void vscode.window.showErrorMessage(vscode.l10n.t('Cannot continue {0}: {1}.', shown, refusal));
  if (!sameMachine && typeof info.hostname === 'string') {
    const here = vscode.l10n.t('Continue Here');
    const go = await vscode.window.showWarningMessage(vscode.l10n.t('{0} last ran on {1}. Continue it here? Make sure its host is not running there.', shown, visibleText(info.hostname)), { modal: true }, here);
    if (go !== here) return;
  }
  const cwd = path.dirname(run.dir);
  const python = await ensureHost(version, cwd);
  if (!python) return;
  try {
    await launchHost(python, ['-m', 'actfocus', 'resume', run.dir], run.dir, cwd);
  } catch (e) {
    return void vscode.window.showErrorMessage(e instanceof HostError ? e.message : vscode.l10n.t('Could not continue {0}: {1}', shown, (e as Error).message));
  }
  onLaunched(runId);
}
