import * as vscode from 'vscode';
import { loadWebviewApp, webviewOptions } from './webviewApp';
import { parseFromDashboard, type FromDashboard, type ToDashboard } from '../common/messages';
import { deltaSince, emptyCursor, toCsv, type DataCursor } from '../common/runData';
import type { RunMonitor, RunsChange } from '../runs/runMonitor';
import { sendControl } from '../control/controller';
import { isLive } from '../protocol/schema';

/**
 * The dashboard webview panel: one instance, revealed on demand, restored after reload. Data flow:
 * the webview says `ready` whenever it (re)loads; the extension answers with a snapshot of the runs and
 * of each selected run's data, then sends deltas from a per-run cursor. A hidden webview drops
 * messages, so on reveal it reloads and pulls a fresh snapshot through the same handshake.
 */
export class DashboardPanel implements vscode.Disposable {
  static readonly viewType = 'actfocus.dashboard';
  private static current: DashboardPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private selected: string[] = [];
  private cursors = new Map<string, DataCursor>();
  /** The run list as last sent: a change that only appended data (most of them, in a live sweep) sends none. */
  private sentRuns = '';

  static show(context: vscode.ExtensionContext, monitor: RunMonitor, runId?: string): DashboardPanel {
    const p = DashboardPanel.current;
    if (p) {
      p.panel.reveal();
      if (runId && !p.selected.includes(runId)) {
        p.select([runId, ...p.selected].slice(0, 8));
        void p.post({ t: 'selected', runIds: p.selected }); // the webview draws only what it has selected
      }
      return p;
    }
    const panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, 'ActFocus Dashboard', vscode.ViewColumn.Active, DashboardPanel.options(context));
    const d = (DashboardPanel.current = new DashboardPanel(panel, context, monitor));
    if (runId) d.selected = [runId];
    return d;
  }

  static restore(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, monitor: RunMonitor, state: unknown): DashboardPanel {
    panel.webview.options = DashboardPanel.options(context);
    DashboardPanel.current?.dispose();
    const d = (DashboardPanel.current = new DashboardPanel(panel, context, monitor));
    const ids = (state as { selectedRunIds?: unknown } | undefined)?.selectedRunIds;
    if (Array.isArray(ids)) d.selected = ids.filter((x): x is string => typeof x === 'string');
    return d;
  }

  private static options(context: vscode.ExtensionContext): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return webviewOptions(context.extensionUri);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly monitor: RunMonitor,
  ) {
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'actfocus.svg');
    this.disposables.push(
      loadWebviewApp(panel.webview, context.extensionUri, 'dashboard', 'ActFocus Dashboard', parseFromDashboard, (m) => void this.onMessage(m)),
      panel.onDidDispose(() => this.dispose()),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false; // hidden: messages would be dropped; `ready` comes again on reveal
      }),
      monitor.onDidChange((c) => this.onRunsChange(c)),
    );
  }

  private async onMessage(msg: FromDashboard | undefined): Promise<void> {
    if (!msg) return; // Unknown or malformed messages from the webview are ignored.
    switch (msg.t) {
      case 'ready': {
        await this.monitor.refresh(); // a complete first snapshot, not whatever the first scan has reached
        this.ready = true;
        this.cursors.clear();
        const runs = this.monitor.summaries();
        this.sentRuns = JSON.stringify(runs);
        if (!this.selected.length) {
          const live = runs.find((r) => isLive(r.status)) ?? runs[runs.length - 1];
          if (live) this.selected = [live.id];
        }
        this.selected = this.selected.filter((id) => runs.some((r) => r.id === id));
        void this.post({ t: 'init', extensionVersion: String(this.context.extension.packageJSON.version), runs, selected: this.selected });
        this.sendData(new Set(this.selected), true);
        break;
      }
      case 'command':
        if (msg.command === 'refresh') void this.monitor.refresh();
        else void vscode.commands.executeCommand('actfocus.newRun');
        break;
      case 'select':
        this.select(msg.runIds);
        break;
      case 'control': {
        const a = await sendControl(this.monitor, msg.runId, msg.action);
        void this.post({ t: 'answer', runId: msg.runId, action: msg.action, type: a.type, message: a.message });
        break;
      }
      case 'exportCsv':
        await this.exportCsv(msg.runIds);
        break;
      case 'savePng':
        await this.savePng(msg.name, msg.dataUrl);
        break;
    }
  }

  private select(runIds: string[]): void {
    const added = runIds.filter((id) => !this.selected.includes(id));
    this.selected = runIds;
    // A run shown again gets only what it missed: the webview keeps a hidden run's data until it reloads
    // (which clears the cursors), so toggling a run in a sweep does not resend, or redraw, all of it.
    this.sendData(new Set(added), false);
  }

  private onRunsChange(c: RunsChange): void {
    if (!this.ready) return;
    const runs = this.monitor.summaries();
    const text = JSON.stringify(runs);
    if (text !== this.sentRuns) {
      this.sentRuns = text;
      void this.post({ t: 'runs', runs });
    }
    for (const id of c.reset) this.cursors.delete(id);
    // A run folder that went away starts from nothing if it comes back (the webview forgets it too).
    for (const id of [...this.cursors.keys()]) if (!this.monitor.get(id)) this.cursors.delete(id);
    this.sendData(new Set([...c.appended, ...c.reset].filter((id) => this.selected.includes(id))), false);
  }

  private sendData(ids: Set<string>, reset: boolean): void {
    if (!this.ready) return;
    // One message per run: a message carrying many runs' typed arrays at once arrived with most of them
    // empty in code-server (100 runs, ~25 MB); the webview draws once per frame however many arrive.
    for (const id of ids) {
      const run = this.monitor.get(id);
      if (!run) continue;
      const fresh = reset || !this.cursors.has(id);
      const { delta, cursor } = deltaSince(run.data, fresh ? emptyCursor() : this.cursors.get(id)!);
      this.cursors.set(id, cursor);
      void this.post({ t: 'data', runId: id, reset: fresh, delta });
    }
  }

  private async exportCsv(runIds: string[]): Promise<void> {
    const ids = runIds.filter((id) => this.monitor.get(id));
    if (!ids.length) return;
    // Every point of every metric, read from the runs' files now: the dashboard holds only what it draws.
    const runs = await Promise.all(ids.map(async (id) => ({ id, series: await this.monitor.readFullMetrics(id) })));
    await this.saveAs(`${runs.length === 1 ? runs[0]!.id : 'runs'}-metrics.csv`, { CSV: ['csv'] }, new TextEncoder().encode(toCsv(runs)));
  }

  private async savePng(name: string, dataUrl: string): Promise<void> {
    await this.saveAs(`${name}.png`, { PNG: ['png'] }, Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64'));
  }

  /** Ask where (defaulting to the runs folder), write, and say where it went. */
  private async saveAs(name: string, filters: Record<string, string[]>, bytes: Uint8Array): Promise<void> {
    const root = this.monitor.runsRoot();
    const target = await vscode.window.showSaveDialog({ defaultUri: root ? vscode.Uri.file(`${root}/${name}`) : undefined, filters });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, bytes);
    void vscode.window.showInformationMessage(vscode.l10n.t('Wrote {0}', target.fsPath));
  }

  private post(msg: ToDashboard): Thenable<boolean> | undefined {
    return this.ready ? this.panel.webview.postMessage(msg) : undefined;
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    this.panel.dispose();
    while (this.disposables.length) this.disposables.pop()?.dispose();
  }
}
