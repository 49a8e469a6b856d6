import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { buildWebviewHtml } from '../common/webviewHtml';
import { parseFromDashboard, type FromDashboard, type ToDashboard } from '../common/messages';
import type { RunIndex } from '../runs/runIndex';

/** The dashboard webview panel: one instance, revealed on demand, restored after reload. */
export class DashboardPanel implements vscode.Disposable {
  static readonly viewType = 'actfocus.dashboard';
  private static current: DashboardPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;

  static show(context: vscode.ExtensionContext, runs: RunIndex): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal();
      return DashboardPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, 'ActFocus Dashboard', vscode.ViewColumn.Active, DashboardPanel.options(context));
    return (DashboardPanel.current = new DashboardPanel(panel, context, runs));
  }

  static restore(panel: vscode.WebviewPanel, context: vscode.ExtensionContext, runs: RunIndex): DashboardPanel {
    panel.webview.options = DashboardPanel.options(context);
    DashboardPanel.current?.dispose();
    return (DashboardPanel.current = new DashboardPanel(panel, context, runs));
  }

  private static options(context: vscode.ExtensionContext): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')] };
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly runs: RunIndex,
  ) {
    const webview = panel.webview;
    const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview', name)).toString();
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'actfocus.svg');
    webview.html = buildWebviewHtml({
      title: 'ActFocus Dashboard',
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('hex'),
      scriptUri: asset('dashboard.js'),
      styleUri: asset('webview.css'),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((raw) => this.onMessage(parseFromDashboard(raw))),
      panel.onDidDispose(() => this.dispose()),
      runs.onDidChange(() => this.post({ t: 'runs', runs: runs.summaries() })),
    );
  }

  private onMessage(msg: FromDashboard | undefined): void {
    if (!msg) return; // Unknown or malformed messages from the webview are ignored.
    switch (msg.t) {
      case 'ready':
        // The webview (re)loaded: send a complete snapshot, never a delta (hidden webviews drop messages).
        this.ready = true;
        void this.post({ t: 'init', extensionVersion: String(this.context.extension.packageJSON.version), runs: this.runs.summaries() });
        break;
      case 'command':
        if (msg.command === 'refresh') this.runs.refresh();
        break;
    }
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
