import * as vscode from 'vscode';
import { DashboardPanel } from './panels/dashboardPanel';
import { HParamsViewProvider } from './panels/hparamsView';
import { RunMonitor } from './runs/runMonitor';
import { watchFailures } from './runs/failureNotices';
import { RunsTreeProvider } from './views/runsTree';
import { TrajectoriesTreeProvider } from './views/trajectoriesTree';
import { RunStatusBar } from './views/statusBar';
import { newRun, resolvePython, type NewRunArgs } from './launch/newRunFlow';
import { owned as setupProcesses, setupHost } from './launch/setupHost';
import { continueRun } from './launch/continueRun';
import { actionVerb, sendControl, showAnswer } from './control/controller';
import type { RunSummary } from './common/messages';
import type { ControlAction } from './protocol/types.generated';
import { TrajectoryDocuments } from './views/trajectoryDocuments';
import { TrajectoryPanel } from './panels/trajectoryPanel';
import { TrajectoryEditorSupport } from './inline/trajectoryEditor';
import { FILE_SUFFIX } from './inline/trajectoryJsonl';
import { exportTrajectoriesJsonl } from './inline/exportJsonl';
import { openRunFolder, restoreRunFolders } from './runs/runFolders';
import { CONTINUABLE, PAUSABLE, isRunId } from './common/runSummary';
import { FINAL_STATUSES, LIVE_STATUSES } from './protocol/schema';
import * as l10n from '@vscode/l10n';

const CONTROL_COMMANDS: [string, ControlAction, string[]][] = [
  ['actfocus.stopRun', 'stop', [...LIVE_STATUSES]],
  ['actfocus.pauseRun', 'pause', PAUSABLE],
  ['actfocus.resumeRun', 'resume', ['paused']],
  ['actfocus.checkpointRun', 'checkpoint', ['running', 'paused']],
  ['actfocus.exportOnnx', 'export_onnx', ['running', 'paused']],
];

// Wiring only: every behaviour lives in its own module.
export function activate(context: vscode.ExtensionContext): void {
  // Pure modules (no vscode import) translate with @vscode/l10n: give it the display language's bundle.
  if (vscode.l10n.bundle) l10n.config({ contents: vscode.l10n.bundle });
  const monitor = new RunMonitor();
  const version = String((context.extension.packageJSON as { version?: string }).version);
  const trajectories = new TrajectoriesTreeProvider(monitor);
  const runsTree = new RunsTreeProvider(monitor);
  const hparams = new HParamsViewProvider(context, monitor);
  const trajDocs = new TrajectoryDocuments(monitor);

  const pickRun = async (arg: RunSummary | string | undefined, states: string[], verb: string): Promise<string | undefined> => {
    if (typeof arg === 'string') return arg;
    if (arg?.id) return arg.id;
    const runs = monitor.summaries().filter((r) => states.includes(r.status));
    if (!runs.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No run to {0}.', verb));
      return undefined;
    }
    if (runs.length === 1) return runs[0]!.id;
    return (await vscode.window.showQuickPick(runs.map((r) => ({ label: r.id, description: vscode.l10n.t('{0} · step {1}/{2}', r.status, r.step, r.totalSteps) })), { title: vscode.l10n.t('Run to {0}', verb), ignoreFocusOut: true }))?.label;
  };

  const openRun = (runId: string) => {
    trajectories.show(runId);
    DashboardPanel.show(context, monitor, runId);
  };

  context.subscriptions.push(watchFailures(monitor, openRun));

  restoreRunFolders(context, monitor);
  const inline = new TrajectoryEditorSupport();
  const jsonlSelector: vscode.DocumentSelector = { pattern: `**/*${FILE_SUFFIX}` };
  context.subscriptions.push(
    inline,
    vscode.languages.registerHoverProvider(jsonlSelector, inline),
    vscode.languages.registerCodeLensProvider(jsonlSelector, inline),
    vscode.commands.registerCommand('actfocus.openRunFolder', async (folder?: vscode.Uri) => {
      const runId = await openRunFolder(context, monitor, folder);
      if (runId) openRun(runId);
    }),
    vscode.commands.registerCommand('actfocus.exportTrajectories', async (arg?: RunSummary | string) => {
      const runId = await pickRun(arg ?? trajectories.runId, [...LIVE_STATUSES, ...FINAL_STATUSES, 'dead'], vscode.l10n.t('export'));
      const run = runId ? monitor.get(runId) : undefined;
      if (run) await exportTrajectoriesJsonl({ id: runId!, dir: run.dir });
    }),
    monitor,
    new RunStatusBar(monitor),
    runsTree,
    trajectories,
    hparams,
    vscode.window.registerTreeDataProvider('actfocus.runs', runsTree),
    vscode.window.registerTreeDataProvider('actfocus.trajectories', trajectories),
    vscode.window.registerWebviewViewProvider(HParamsViewProvider.viewType, hparams),
    vscode.workspace.registerTextDocumentContentProvider(TrajectoryDocuments.scheme, trajDocs),
    vscode.commands.registerCommand('actfocus.showDashboard', () => DashboardPanel.show(context, monitor)),
    vscode.commands.registerCommand('actfocus.openRun', (run?: RunSummary) => run?.id && openRun(run.id)),
    vscode.commands.registerCommand('actfocus.newRun', (args?: NewRunArgs) =>
      newRun({ runsRoot: () => monitor.runsRoot(), nextRunValues: () => hparams.nextRunValues(), onLaunched: (id) => void monitor.refresh().then(() => openRun(id)),
        version, memory: context.globalState }, args)),
    vscode.commands.registerCommand('actfocus.setupHost', async (): Promise<string | undefined> => {
      if (!vscode.workspace.isTrusted) return void vscode.window.showErrorMessage(vscode.l10n.t('ActFocus installs the training host only in a trusted workspace.'));
      const base = await resolvePython();
      return setupHost(context, base.source === 'setting' ? 'python3' : base.path);
    }),
    { dispose: () => setupProcesses.killAll() }, // a closing window ends a set-up's pip, never leaves it running unowned
    vscode.commands.registerCommand('actfocus.continueRun', async (arg?: RunSummary | string) => {
      const runId = await pickRun(arg, CONTINUABLE, vscode.l10n.t('continue'));
      if (runId) await continueRun(monitor, runId, version, (id) => void monitor.refresh().then(() => openRun(id)));
    }),
    vscode.commands.registerCommand('actfocus.sortTrajectoriesByReward', () => trajectories.setSort('reward')),
    vscode.commands.registerCommand('actfocus.sortTrajectoriesByIndex', () => trajectories.setSort('index')),
    vscode.commands.registerCommand('actfocus.showTrajectory', (runId: string, position: number) => {
      if (!isRunId(runId) || !monitor.get(runId) || !Number.isInteger(position)) return;
      TrajectoryPanel.show(context, monitor, runId, position, (values) => void hparams.showValues(values));
    }),
    vscode.commands.registerCommand('actfocus.scoreTrajectory', async () => {
      const p = TrajectoryPanel.active();
      if (!p) return void vscode.window.showInformationMessage(vscode.l10n.t('Open a trajectory in the Trajectory Viewer first (Trajectories view).'));
      await p.score();
    }),
    vscode.commands.registerCommand('actfocus.showTrajectoryText', async (arg: string | { position?: number }, pos?: number) => {
      // From the tree's context menu the argument is the tree node; from code, (runId, position).
      const runId = typeof arg === 'string' ? arg : trajectories.runId ?? '';
      const position = typeof arg === 'string' ? pos : arg?.position;
      if (!isRunId(runId) || !monitor.get(runId) || !Number.isInteger(position)) return;
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: TrajectoryDocuments.scheme, path: `/${runId}/trajectory-${position}.md` }));
      await vscode.window.showTextDocument(doc, { preview: true });
    }),
    vscode.window.registerWebviewPanelSerializer(DashboardPanel.viewType, {
      deserializeWebviewPanel: async (panel, state) => void DashboardPanel.restore(panel, context, monitor, state),
    }),
    ...CONTROL_COMMANDS.map(([id, action, states]) =>
      vscode.commands.registerCommand(id, async (arg?: RunSummary | string) => {
        const runId = await pickRun(arg, states, actionVerb(action));
        if (runId) showAnswer(await sendControl(monitor, runId, action));
      })),
  );
  if (vscode.workspace.getConfiguration('actfocus').get<boolean>('dashboard.openOnStartup', false)) {
    DashboardPanel.show(context, monitor);
  }
}

export function deactivate(): void {
  // Training hosts run in their own process group and outlive the window by design. A set-up in progress
  // does not: it is ended (its disposable, and here again in case disposal is cut short).
  setupProcesses.killAll();
}
