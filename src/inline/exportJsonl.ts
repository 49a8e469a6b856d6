// *ActFocus: Export Trajectories as JSON Lines*: RUN/trajectories.trajectories.jsonl, one trajectory per
// line (inline/trajectoryJsonl.ts formats them), opened in the editor where inline/trajectoryEditor.ts
// decorates it.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { TrajectoryFile } from '../protocol/trajectories';
import { FILE_SUFFIX, formatLine } from './trajectoryJsonl';

export async function exportTrajectoriesJsonl(run: { id: string; dir: string }): Promise<void> {
  const file = await TrajectoryFile.open(run.dir);
  if (!file) return void vscode.window.showInformationMessage(vscode.l10n.t('{0} has stored no trajectories.', run.id));
  const target = vscode.Uri.file(path.join(run.dir, `trajectories${FILE_SUFFIX}`));
  try {
    const n = await file.count();
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(formatLine(run.id, i, await file.read(i)));
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(lines.join('\n') + '\n'));
  } finally {
    await file.close();
  }
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target), { preview: false });
}
