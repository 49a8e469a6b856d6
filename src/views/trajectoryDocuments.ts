// The content provider of *Show Trajectory as Text*: read-only Markdown documents rendering a stored trajectory.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { TrajectoryFile } from '../protocol/trajectories';
import type { RunMonitor } from '../runs/runMonitor';
import { trajectoryText } from './trajectoryText';

/** Read-only documents `actfocus-trajectory:/RUN/trajectory-N.md` rendering a stored trajectory. */
export class TrajectoryDocuments implements vscode.TextDocumentContentProvider {
  static readonly scheme = 'actfocus-trajectory';
  constructor(private readonly monitor: RunMonitor) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const [, runId, file] = uri.path.split('/');
    const run = runId ? this.monitor.get(runId) : undefined;
    const position = Number(/^trajectory-(\d+)\.md$/.exec(file ?? '')?.[1]);
    if (!run || !Number.isInteger(position)) return vscode.l10n.t('No such trajectory: {0}', uri.path);
    const f = await TrajectoryFile.open(run.dir);
    if (!f) return vscode.l10n.t('{0} has no stored trajectories', runId);
    try {
      return trajectoryText(path.basename(run.dir), await f.read(position));
    } catch (e) {
      return vscode.l10n.t('Could not read trajectory {0} of {1}: {2}', position, runId, (e as Error).message);
    } finally {
      await f.close();
    }
  }
}
