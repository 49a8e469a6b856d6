// "ActFocus: New Training Run…": quick picks for the main choices, defaults from hparams.json and the
// Hyperparameters view's "Use for next run", then the host is spawned in the runs folder.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { HPARAMS, hparamDefault } from '../common/hparams';
import { ASKED, buildTrainArgs, choosePython, defaultRunName, type NewRunForm } from './launchArgs';
import { HostError, launchHost, probeHost } from './hostProcess';

export interface NewRunDeps {
  runsRoot: () => string | undefined;
  nextRunValues: () => Record<string, number | string>;
  onLaunched: (runId: string) => void;
}

/** Non-interactive form (tests, scripted use): `actfocus.newRun` with an argument skips the questions. */
export type NewRunArgs = Partial<NewRunForm>;

async function pythonExtensionInterpreter(): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = (ext.isActive ? ext.exports : await ext.activate()) as { environments?: { getActiveEnvironmentPath(): { path: string } } };
    return api.environments?.getActiveEnvironmentPath().path;
  } catch {
    return undefined;
  }
}

export async function resolvePython(): Promise<ReturnType<typeof choosePython>> {
  const setting = vscode.workspace.getConfiguration('actfocus').get<string>('pythonPath');
  return choosePython(setting, setting ? undefined : await pythonExtensionInterpreter());
}

/** Model folders under the workspace's models/ folder (config.json present), offered directly. */
async function workspaceModels(): Promise<{ label: string; description: string; path: string }[]> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder || folder.uri.scheme !== 'file') return [];
  const root = path.join(folder.uri.fsPath, 'models');
  try {
    const dirs = (await fs.readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    const out = [];
    for (const d of dirs) {
      try {
        const cfg = JSON.parse(await fs.readFile(path.join(root, d, 'config.json'), 'utf8')) as { type?: string; model_type?: string };
        out.push({ label: `models/${d}`, description: cfg.type === 'actfocus-builtin' ? 'built-in model folder' : `Hugging Face model${cfg.model_type ? ` (${cfg.model_type})` : ''}`, path: path.join(root, d) });
      } catch {
        /* not a model folder */
      }
    }
    return out;
  } catch {
    return [];
  }
}

async function pick(name: string, title: string, current: number | string): Promise<string | undefined> {
  const spec = HPARAMS.find((h) => h.name === name)!;
  const items = spec.choices!.map((c) => ({ label: c, description: c === current ? 'default' : undefined }));
  items.sort((a, b) => (a.label === current ? -1 : b.label === current ? 1 : 0));
  const r = await vscode.window.showQuickPick(items, { title, placeHolder: spec.description, ignoreFocusOut: true });
  return r?.label;
}

async function ask(defaults: Record<string, number | string>): Promise<NewRunForm | undefined> {
  const h: Record<string, number | string> = { ...defaults };
  for (const [name, title] of [['env', 'Environment'], ['algo', 'Algorithm'], ['weighting', 'Token credit'], ['device', 'Device']] as const) {
    const v = await pick(name, `New Training Run: ${title}`, h[name]!);
    if (v === undefined) return undefined;
    h[name] = v;
  }
  const found = await workspaceModels();
  const model = await vscode.window.showQuickPick([
    { label: 'Built-in small model', description: 'warm-started on expert demonstrations first (CPU friendly, ~2 min)', id: 'builtin' },
    ...found.map((m) => ({ label: m.label, description: m.description, id: m.path })),
    { label: 'Local model folder…', description: 'a built-in model from `actfocus pretrain`, or a Hugging Face model', id: 'path' },
  ], { title: 'New Training Run: Model', ignoreFocusOut: true });
  if (!model) return undefined;
  let modelPath: string | undefined = model.id !== 'builtin' && model.id !== 'path' ? model.id : undefined;
  if (model.id === 'path') {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Model folder' });
    if (!folder?.[0]) return undefined;
    modelPath = folder[0].fsPath;
  }
  const stepsSpec = HPARAMS.find((p) => p.name === 'steps')!;
  const steps = await vscode.window.showInputBox({
    title: 'New Training Run: Steps', value: String(h.steps), ignoreFocusOut: true,
    validateInput: (s) => (/^\d+$/.test(s) && +s >= stepsSpec.min! && +s <= stepsSpec.max! ? undefined : `A whole number from ${stepsSpec.min} to ${stepsSpec.max}`),
  });
  if (steps === undefined) return undefined;
  h.steps = Number(steps);
  const name = await vscode.window.showInputBox({
    title: 'New Training Run: Name', value: defaultRunName(h, new Date()), ignoreFocusOut: true,
    validateInput: (s) => (/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(s) && !s.includes('..') ? undefined : "Letters, digits, '.', '_' and '-' only"),
  });
  if (name === undefined) return undefined;
  return { name, hparams: h, modelPath };
}

export async function newRun(deps: NewRunDeps, args?: NewRunArgs): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showErrorMessage('ActFocus starts training processes only in a trusted workspace.');
    return undefined;
  }
  const root = deps.runsRoot();
  if (!root) {
    void vscode.window.showErrorMessage('Open a folder first: runs are written to its runs folder (setting "actfocus.runsDirectory").');
    return undefined;
  }
  // Only what differs from the defaults goes on the command line (short, readable `ps` output).
  const defaults: Record<string, number | string> = { ...Object.fromEntries(ASKED.map((n) => [n, hparamDefault(n)])), ...deps.nextRunValues() };
  const form = args?.name ? { name: args.name, hparams: { ...defaults, ...args.hparams }, modelPath: args.modelPath, envConfig: args.envConfig, pretrainSteps: args.pretrainSteps } : await ask(defaults);
  if (!form) return undefined;
  form.hparams = Object.fromEntries(Object.entries(form.hparams).filter(([k, v]) => ASKED.includes(k as (typeof ASKED)[number]) || v !== hparamDefault(k)));
  const built = buildTrainArgs(root, form);
  if (!built.ok) {
    void vscode.window.showErrorMessage(built.error);
    return undefined;
  }
  const python = await resolvePython();
  const cwd = path.dirname(root);
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting ${form.name}…` }, async () => {
      await probeHost(python.path, cwd);
      await launchHost(python.path, built.args, built.runDir, cwd);
    });
  } catch (e) {
    const msg = e instanceof HostError ? e.message : `Could not start the training host: ${(e as Error).message}`;
    const choice = await vscode.window.showErrorMessage(msg, 'Set Up Training Host', 'Open Settings');
    if (choice === 'Set Up Training Host') void vscode.commands.executeCommand('actfocus.setupHost');
    if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'actfocus.pythonPath');
    return undefined;
  }
  deps.onLaunched(form.name);
  return form.name;
}
