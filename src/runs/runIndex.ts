import * as vscode from 'vscode';
import type { RunSummary } from '../common/messages';
import { isSafeRunId, summarizeRunJson } from '../common/runSummary';

/** Index of the run directories under the workspace's runs folder (setting `actfocus.runsDirectory`). */
export class RunIndex implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;
  private runs: (RunSummary & { problem?: string })[] = [];
  private readonly disposables: vscode.Disposable[] = [this.emitter];

  constructor() {
    const watcher = vscode.workspace.createFileSystemWatcher('**/run.json');
    this.disposables.push(
      watcher,
      watcher.onDidCreate(() => this.refresh()),
      watcher.onDidChange(() => this.refresh()),
      watcher.onDidDelete(() => this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('actfocus.runsDirectory') && this.refresh()),
    );
    this.refresh();
  }

  summaries(): (RunSummary & { problem?: string })[] {
    return this.runs;
  }

  runsRoot(): vscode.Uri | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return undefined;
    const rel = vscode.workspace.getConfiguration('actfocus').get<string>('runsDirectory', 'runs');
    return vscode.Uri.joinPath(folder.uri, rel);
  }

  refresh(): void {
    void this.scan().then((runs) => {
      this.runs = runs;
      this.emitter.fire();
    });
  }

  private async scan(): Promise<(RunSummary & { problem?: string })[]> {
    const root = this.runsRoot();
    if (!root) return [];
    let entries: [string, vscode.FileType][];
    try {
      entries = await vscode.workspace.fs.readDirectory(root);
    } catch {
      return []; // No runs folder yet.
    }
    const dirs = entries.filter(([name, type]) => type === vscode.FileType.Directory && isSafeRunId(name)).map(([name]) => name).sort();
    return Promise.all(
      dirs.map(async (id) => {
        let text: string | undefined;
        try {
          text = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(root, id, 'run.json')));
        } catch {
          text = undefined;
        }
        return summarizeRunJson(id, text);
      }),
    );
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
