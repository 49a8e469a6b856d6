// *ActFocus: Open Run Folder…*: a run directory outside the workspace's runs/ folder (a verl run, a run
// copied from a cluster) joins the index and stays there for this workspace.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { FILES } from '../protocol/schema';
import type { RunMonitor } from './runMonitor';

const KEY = 'actfocus.attachedRunFolders';

/** The folders opened in earlier sessions of this workspace. */
export function restoreRunFolders(context: vscode.ExtensionContext, monitor: RunMonitor): void {
  monitor.extraDirs = new Set(context.workspaceState.get<string[]>(KEY, []));
}

/** Adds a run folder (asked for when not given); returns the id of its run, or undefined. */
export async function openRunFolder(context: vscode.ExtensionContext, monitor: RunMonitor, folder?: vscode.Uri): Promise<string | undefined> {
  const picked = folder ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: vscode.l10n.t('Open Run Folder'), openLabel: vscode.l10n.t('Open Run') }))?.[0];
  if (!picked) return undefined;
  const dir = picked.fsPath;
  try {
    await vscode.workspace.fs.stat(vscode.Uri.file(path.join(dir, FILES.run)));
  } catch {
    void vscode.window.showErrorMessage(vscode.l10n.t('{0} is not a run folder: it has no run.json (docs/protocol.md describes the layout).', dir));
    return undefined;
  }
  monitor.extraDirs.add(dir);
  await context.workspaceState.update(KEY, [...monitor.extraDirs]);
  await monitor.refresh();
  return monitor.summaries().find((r) => monitor.get(r.id)?.dir === dir)?.id;
}
