import * as vscode from 'vscode';
import { loadWebviewApp, webviewOptions } from './webviewApp';
import { FILES } from '../protocol/schema';
import { parseFromViewer, type FromViewer, type ToViewer, type TrajectoryPayload } from '../common/messages';
import { TrajectoryFile, type Trajectory } from '../protocol/trajectories';
import { valueAt } from '../common/runData';
import type { RunMonitor } from '../runs/runMonitor';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { scoreTrajectory, ScoringError } from '../scoring/scorer';

export function toPayload(runId: string, position: number, tr: Trajectory): TrajectoryPayload {
  return { runId, position, header: tr.header, columns: Object.fromEntries(Object.entries(tr.columns).map(([k, v]) => [k, Array.from(v as ArrayLike<number | string>)])) as TrajectoryPayload['columns'] };
}

/** The ActFocus signal's batch statistics of a step (metrics the dashboard does not keep). */
const SIGNAL_STATS: ReadonlySet<string> = new Set(['signal_mu', 'signal_sigma']);

/** The trajectory viewer: one panel per trajectory (run + position), with a side-by-side partner. */
export class TrajectoryPanel {
  static readonly viewType = 'actfocus.trajectory';
  private static readonly open = new Map<string, TrajectoryPanel>();
  /** The viewer the user last had in front of them (set on creation and whenever one becomes active). */
  private static lastActive: TrajectoryPanel | undefined;

  static show(context: vscode.ExtensionContext, monitor: RunMonitor, runId: string, position: number, onSendToHParams: (v: Record<string, number | string>) => void): void {
    const key = `${runId}/${position}`;
    const existing = TrajectoryPanel.open.get(key);
    if (existing) return existing.panel.reveal();
    const panel = vscode.window.createWebviewPanel(TrajectoryPanel.viewType, `${runId} #${position}`, vscode.ViewColumn.Active, { ...webviewOptions(context.extensionUri), retainContextWhenHidden: false });
    TrajectoryPanel.open.set(key, new TrajectoryPanel(panel, context, monitor, runId, position, onSendToHParams));
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    private readonly monitor: RunMonitor,
    private readonly runId: string,
    private readonly position: number,
    private readonly onSendToHParams: (v: Record<string, number | string>) => void,
    private readonly extensionPath = context.extensionPath,
  ) {
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'actfocus.svg');
    const messages = loadWebviewApp(panel.webview, context.extensionUri, 'trajectory', 'Trajectory', parseFromViewer, (m) => void this.onMessage(m));
    TrajectoryPanel.lastActive = this;
    const viewState = panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) TrajectoryPanel.lastActive = this;
    });
    panel.onDidDispose(() => {
      messages.dispose();
      viewState.dispose();
      TrajectoryPanel.open.delete(`${runId}/${position}`);
      if (TrajectoryPanel.lastActive === this) TrajectoryPanel.lastActive = undefined;
    });
  }

  private async read<T>(f: (file: TrajectoryFile) => Promise<T>): Promise<T> {
    const run = this.monitor.get(this.runId);
    if (!run) throw new Error(`No run named ${this.runId}`);
    const file = await TrajectoryFile.open(run.dir);
    if (!file) throw new Error(`${this.runId} has no stored trajectories`);
    try {
      return await f(file);
    } finally {
      await file.close();
    }
  }

  private async onMessage(msg: FromViewer | undefined): Promise<void> {
    if (!msg) return;
    try {
      if (msg.t === 'ready') {
        const { primary, siblings } = await this.read(async (file) => {
          const tr = await file.read(this.position);
          const all = await file.entries(0, await file.count());
          const sibs = all.map((e, position) => ({ position, index: e.index, reward: e.reward, success: e.success, step: e.step, group: e.group }))
            .filter((e) => e.step === tr.header.step && e.group === tr.header.group && e.position !== this.position);
          return { primary: toPayload(this.runId, this.position, tr), siblings: sibs.map(({ position, index, reward, success }) => ({ position, index, reward, success })) };
        });
        const data = this.monitor.get(this.runId)?.data;
        const stats = await this.monitor.readFullMetrics(this.runId, SIGNAL_STATS);
        const mu = valueAt(stats.signal_mu, primary.header.step);
        const sigma = valueAt(stats.signal_sigma, primary.header.step);
        this.post({ t: 'open', primary, siblings, hparams: { ...(data?.hparams ?? {}) }, signalStats: typeof mu === 'number' && typeof sigma === 'number' ? { mu, sigma } : undefined });
      } else if (msg.t === 'compare') {
        const pos = msg.position;
        const trajectory = pos === null ? undefined : toPayload(this.runId, pos, await this.read((f) => f.read(pos)));
        this.post({ t: 'compare', trajectory });
      } else if (msg.t === 'score') {
        await this.score();
      } else {
        this.onSendToHParams(msg.values);
      }
    } catch (e) {
      this.post({ t: 'error', message: `Could not read the trajectory: ${(e as Error).message}` });
    }
  }

  /**
   * The viewer "ActFocus: Score Trajectory with Model…" acts on: the active one, else the one last active
   * while it is still on screen (focus may have moved to a view or the palette; and the panel's active
   * state reaches the extension host asynchronously, so a command run right after opening could miss it).
   */
  static active(): TrajectoryPanel | undefined {
    const last = TrajectoryPanel.lastActive;
    return [...TrajectoryPanel.open.values()].find((p) => p.panel.active) ?? (last?.panel.visible ? last : undefined);
  }

  async score(modelDir?: string): Promise<void> {
    const run = this.monitor.get(this.runId);
    if (!run) return;
    const dir = modelDir ?? (await this.pickModel(run.dir));
    if (!dir) return;
    const h = run.data.hparams;
    const cfg = { maxContext: Number(h.max_context ?? 1536), maxNewTokens: Number(h.max_new_tokens ?? 64) };
    try {
      const tr = await this.read((f) => f.read(this.position));
      const s = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Scoring trajectory {0} with {1}', this.position, path.basename(dir)), cancellable: true }, (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        return scoreTrajectory(dir, tr.header, { token_id: tr.columns.token_id as Uint32Array, text: tr.columns.text as string[] }, {
          workerPath: path.join(this.extensionPath, 'dist', 'scoreWorker.js'), ...cfg, signal: ac.signal,
          onProgress: (done, total) => progress.report({ message: vscode.l10n.t('turn {0}/{1}', done, total), increment: 100 / total }),
        });
      });
      this.post({ t: 'scores', model: path.basename(dir), model_logprob: Array.from(s.logprob), model_entropy: Array.from(s.entropy), model_energy: Array.from(s.energy), tokensPerSecond: s.tokensPerSecond });
    } catch (e) {
      const msg = e instanceof ScoringError ? e.message : vscode.l10n.t('Scoring failed: {0}', (e as Error).message);
      void vscode.window.showErrorMessage(msg);
      this.post({ t: 'error', message: msg });
    }
  }

  private async pickModel(runDir: string): Promise<string | undefined> {
    const exports = path.join(runDir, FILES.exports);
    let found: string[] = [];
    try {
      found = (await fs.readdir(exports)).filter((d) => !d.endsWith('.tmp')).sort().reverse();
    } catch {
      found = [];
    }
    const items = [...found.map((d) => ({ label: `exports/${d}`, description: vscode.l10n.t('exported by this run'), dir: path.join(exports, d) })),
      { label: vscode.l10n.t('Browse…'), description: vscode.l10n.t('a folder with model.onnx and tokenizer.json'), dir: '' }];
    // ignoreFocusOut: focus that moves on its own (a viewer or tree opened a moment before takes it
    // asynchronously) would otherwise close the pick as if cancelled; seen in an e2e run under load.
    const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Score with which exported model?'), ignoreFocusOut: true });
    if (!pick) return undefined;
    if (pick.dir) return pick.dir;
    const chosen = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: vscode.l10n.t('Exported model folder') });
    return chosen?.[0]?.fsPath;
  }

  private post(msg: ToViewer): void {
    void this.panel.webview.postMessage(msg);
  }
}
