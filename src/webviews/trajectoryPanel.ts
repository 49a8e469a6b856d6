import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { buildWebviewHtml } from '../common/webviewHtml';
import { parseFromViewer, type FromViewer, type ToViewer, type TrajectoryPayload } from '../common/messages';
import { TrajectoryFile, type Trajectory } from '../protocol/trajectories';
import type { RunMonitor } from '../runs/runMonitor';

export function toPayload(runId: string, position: number, tr: Trajectory): TrajectoryPayload {
  return { runId, position, header: tr.header, columns: Object.fromEntries(Object.entries(tr.columns).map(([k, v]) => [k, Array.from(v as ArrayLike<number | string>)])) as TrajectoryPayload['columns'] };
}

/** The trajectory viewer: one panel per trajectory (run + position), with a side-by-side partner. */
export class TrajectoryPanel {
  static readonly viewType = 'actfocus.trajectory';
  private static readonly open = new Map<string, TrajectoryPanel>();

  static show(context: vscode.ExtensionContext, monitor: RunMonitor, runId: string, position: number, onSendToHParams: (v: Record<string, number | string>) => void): void {
    const key = `${runId}/${position}`;
    const existing = TrajectoryPanel.open.get(key);
    if (existing) return existing.panel.reveal();
    const root = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(TrajectoryPanel.viewType, `${runId} #${position}`, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [root], retainContextWhenHidden: false });
    TrajectoryPanel.open.set(key, new TrajectoryPanel(panel, context, monitor, runId, position, onSendToHParams));
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    context: vscode.ExtensionContext,
    private readonly monitor: RunMonitor,
    private readonly runId: string,
    private readonly position: number,
    private readonly onSendToHParams: (v: Record<string, number | string>) => void,
  ) {
    const root = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
    const asset = (name: string) => panel.webview.asWebviewUri(vscode.Uri.joinPath(root, name)).toString();
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'actfocus.svg');
    panel.webview.html = buildWebviewHtml({ title: 'Trajectory', cspSource: panel.webview.cspSource, nonce: randomBytes(16).toString('hex'), scriptUri: asset('trajectory.js'), styleUri: asset('webview.css') });
    panel.webview.onDidReceiveMessage((raw) => void this.onMessage(parseFromViewer(raw)));
    panel.onDidDispose(() => TrajectoryPanel.open.delete(`${runId}/${position}`));
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
        const stat = (k: string) => {
          const s = data?.series[k];
          const i = s ? s.x.lastIndexOf(primary.header.step) : -1;
          return i >= 0 ? s!.y[i] : null;
        };
        const mu = stat('signal_mu');
        const sigma = stat('signal_sigma');
        this.post({ t: 'open', primary, siblings, hparams: { ...(data?.hparams ?? {}) }, signalStats: mu !== null && sigma !== null && mu !== undefined && sigma !== undefined ? { mu, sigma } : undefined });
      } else if (msg.t === 'compare') {
        const pos = msg.position;
        const trajectory = pos === null ? undefined : toPayload(this.runId, pos, await this.read((f) => f.read(pos)));
        this.post({ t: 'compare', trajectory });
      } else {
        this.onSendToHParams(msg.values);
      }
    } catch (e) {
      this.post({ t: 'error', message: `Could not read the trajectory: ${(e as Error).message}` });
    }
  }

  private post(msg: ToViewer): void {
    void this.panel.webview.postMessage(msg);
  }
}
