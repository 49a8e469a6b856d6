import * as vscode from 'vscode';
import { loadWebviewApp, webviewOptions } from './webviewApp';
import { HPARAMS, validateHParam } from '../common/hparams';
import { parseFromHParams, type FromHParams, type ToHParams } from '../common/messages';
import type { RunMonitor } from '../runs/runMonitor';
import { sendControl } from '../control/controller';
import { isLive } from '../protocol/schema';

export const NEXT_RUN_KEY = 'actfocus.nextRunHParams';

/** The Hyperparameters view: every knob with inline validation; apply live ones to a running run, or keep for the next run. */
export class HParamsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 'actfocus.hparams';
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly monitor: RunMonitor,
  ) {
    this.subscription = monitor.onDidChange(() => this.post({ t: 'runs', runs: this.liveRuns() }));
  }

  dispose(): void {
    this.subscription.dispose();
  }

  nextRunValues(): Record<string, number | string> {
    return this.context.workspaceState.get<Record<string, number | string>>(NEXT_RUN_KEY, {});
  }

  private liveRuns(): { id: string; status: string }[] {
    return this.monitor.summaries().filter((r) => isLive(r.status)).map((r) => ({ id: r.id, status: r.status }));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    view.webview.options = webviewOptions(this.context.extensionUri);
    const messages = loadWebviewApp(view.webview, this.context.extensionUri, 'hparams', 'Hyperparameters', parseFromHParams, (m) => void this.onMessage(m));
    view.onDidDispose(() => {
      messages.dispose();
      this.view = undefined;
    });
  }

  /** Values proposed elsewhere (the viewer's what-if): shown in the view for the user to apply or keep. */
  async showValues(values: Record<string, number | string>): Promise<void> {
    await vscode.commands.executeCommand('actfocus.hparams.focus');
    this.post({ t: 'propose', values });
    void vscode.window.showInformationMessage(vscode.l10n.t('What-if values sent to the Hyperparameters view: {0}', Object.entries(values).map(([k, v]) => `${k}=${v}`).join(', ')));
  }

  private async onMessage(msg: FromHParams | undefined): Promise<void> {
    if (!msg) return;
    if (msg.t === 'ready') {
      this.ready = true;
      const running = this.liveRuns();
      const target = running[0]?.id;
      const current = target ? this.monitor.get(target)?.data.hparams ?? {} : {};
      const values = { ...Object.fromEntries(HPARAMS.map((h) => [h.name, h.default])), ...this.nextRunValues(), ...current };
      void this.post({ t: 'init', values, runs: running, target });
      return;
    }
    const problems = Object.entries(msg.values).map(([k, v]) => validateHParam(k, v)).filter(Boolean);
    if (problems.length) return void this.post({ t: 'result', ok: false, message: problems.join('; ') });
    if (msg.t === 'useForNext') {
      await this.context.workspaceState.update(NEXT_RUN_KEY, msg.values);
      void this.post({ t: 'result', ok: true, message: `Saved ${Object.keys(msg.values).length} settings for the next run` });
      return;
    }
    const live = new Set(HPARAMS.filter((h) => h.live).map((h) => h.name));
    const current = this.monitor.get(msg.runId)?.data.hparams ?? {};
    const changes = Object.fromEntries(Object.entries(msg.values).filter(([k, v]) => live.has(k) && current[k] !== v));
    if (!Object.keys(changes).length) return void this.post({ t: 'result', ok: true, message: 'No live setting differs from the run' });
    void this.post({ t: 'result', ok: true, message: `Sent ${Object.entries(changes).map(([k, v]) => `${k}=${v}`).join(', ')} to ${msg.runId}…` });
    const a = await sendControl(this.monitor, msg.runId, 'set_hparams', changes);
    void this.post({ t: 'result', ok: a.type !== 'error', message: a.message });
  }

  private post(msg: ToHParams): void {
    if (this.view && this.ready) void this.view.webview.postMessage(msg);
  }
}
