// "ActFocus: New Training Run…": first the interpreter is probed (and the host's version checked), with
// Set Up Training Host or another interpreter offered right there; then one pick — start with the
// defaults, repeat the last run's choices, or customise them — and the host is spawned in the runs folder.
import * as vscode from 'vscode';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { HPARAMS, hparamDefault } from '../common/hparams';
import { ASKED, buildTrainArgs, choosePython, defaultRunName, describeChoices, hostVersionProblem, type NewRunForm } from './launchArgs';
import { isSafeRunId } from '../common/runSummary';
import { HostError, launchHost, probeHost } from './hostProcess';

export interface NewRunDeps {
  runsRoot: () => string | undefined;
  nextRunValues: () => Record<string, number | string>;
  onLaunched: (runId: string) => void;
  /** The extension's version: the host must match it. */
  version: string;
  /** Where the last run's choices are remembered (global state). */
  memory: vscode.Memento;
}

const LAST_CHOICES = 'actfocus.lastRunChoices';

/** The last run's answers: its asked hyperparameters and model (undefined: the built-in one). */
interface Remembered {
  hparams: Record<string, number | string>;
  modelPath?: string;
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
        out.push({ label: `models/${d}`, description: cfg.type === 'actfocus-builtin' ? vscode.l10n.t('built-in model folder')
          : cfg.model_type ? vscode.l10n.t('Hugging Face model ({0})', cfg.model_type) : vscode.l10n.t('Hugging Face model'), path: path.join(root, d) });
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
  const items = spec.choices!.map((c) => ({ label: c, description: c === current ? vscode.l10n.t('default') : undefined }));
  items.sort((a, b) => (a.label === current ? -1 : b.label === current ? 1 : 0));
  const r = await vscode.window.showQuickPick(items, { title, placeHolder: spec.description, ignoreFocusOut: true });
  return r?.label;
}

/**
 * The interpreter that runs the host, probed before any question. When it cannot (no Python, no host, a
 * host of another version), the user may set the host up or pick another interpreter right there, and the
 * flow goes on with it; undefined when they decline.
 */
export async function ensureHost(version: string, cwd: string): Promise<string | undefined> {
  for (;;) {
    const python = await resolvePython();
    let problem: string | undefined;
    try {
      const found = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('ActFocus: checking the training host') }, () => probeHost(python.path, cwd));
      problem = hostVersionProblem(python.path, found, version);
    } catch (e) {
      problem = e instanceof HostError ? e.message : vscode.l10n.t('Could not check the training host: {0}', (e as Error).message);
    }
    if (!problem) return python.path;
    const [setUp, chooseOther, openSettings] = [vscode.l10n.t('Set Up Training Host'), vscode.l10n.t('Choose Interpreter…'), vscode.l10n.t('Open Settings')];
    const choice = await vscode.window.showWarningMessage(problem, setUp, chooseOther, openSettings);
    if (choice === setUp) {
      const ready = await vscode.commands.executeCommand<string | undefined>('actfocus.setupHost');
      if (!ready) return undefined; // failed or cancelled: the set-up said why
    } else if (choice === chooseOther) {
      if (!(await chooseInterpreter())) return undefined;
    } else {
      if (choice === openSettings) void vscode.commands.executeCommand('workbench.action.openSettings', 'actfocus.pythonPath');
      return undefined;
    }
  }
}

/** The Python extension's picker where it is installed (actfocus.pythonPath cleared so its choice counts), else a file dialog. */
async function chooseInterpreter(): Promise<boolean> {
  const settings = vscode.workspace.getConfiguration('actfocus');
  if (vscode.extensions.getExtension('ms-python.python')) {
    await vscode.commands.executeCommand('python.setInterpreter');
    if (settings.get<string>('pythonPath')) await settings.update('pythonPath', undefined, vscode.ConfigurationTarget.Global);
    return true;
  }
  const picked = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: false, title: vscode.l10n.t('Python interpreter with the ActFocus host (python, python3, python.exe)'), openLabel: vscode.l10n.t('Use This Interpreter') });
  if (!picked?.[0]) return false;
  await settings.update('pythonPath', picked[0].fsPath, vscode.ConfigurationTarget.Global);
  return true;
}

/** One pick for the common case; the seven questions only when asked for. */
async function chooseForm(defaults: Record<string, number | string>, last: Remembered | undefined): Promise<NewRunForm | undefined> {
  type Item = vscode.QuickPickItem & { id: 'defaults' | 'last' | 'custom' };
  const items: Item[] = [
    { id: 'defaults', label: `$(play) ${vscode.l10n.t('Start with defaults')}`, description: describeChoices(defaults, undefined),
      detail: vscode.l10n.t('The embedded default: a built-in model, warm-started on expert demonstrations first (CPU friendly).') },
    ...(last ? [{ id: 'last' as const, label: `$(history) ${vscode.l10n.t('Repeat last choices')}`, description: describeChoices({ ...defaults, ...last.hparams }, last.modelPath) }] : []),
    { id: 'custom', label: `$(settings) ${vscode.l10n.t('Customise…')}`, description: vscode.l10n.t('environment, algorithm, token credit, device, model, steps, name') },
  ];
  const pickedItem = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('New Training Run'), placeHolder: vscode.l10n.t('Start a run with…'), ignoreFocusOut: true });
  if (!pickedItem) return undefined;
  if (pickedItem.id === 'defaults') return { name: defaultRunName(defaults, new Date()), hparams: { ...defaults } };
  if (pickedItem.id === 'last') {
    const h = { ...defaults, ...last!.hparams };
    return { name: defaultRunName(h, new Date()), hparams: h, modelPath: last!.modelPath };
  }
  return ask({ ...defaults, ...last?.hparams }, last?.modelPath);
}

async function ask(defaults: Record<string, number | string>, lastModel?: string): Promise<NewRunForm | undefined> {
  const h: Record<string, number | string> = { ...defaults };
  const questions = [['env', vscode.l10n.t('New Training Run: Environment')], ['algo', vscode.l10n.t('New Training Run: Algorithm')],
    ['weighting', vscode.l10n.t('New Training Run: Token credit')], ['device', vscode.l10n.t('New Training Run: Device')]] as const;
  for (const [name, title] of questions) {
    const v = await pick(name, title, h[name]!);
    if (v === undefined) return undefined;
    h[name] = v;
  }
  const found = await workspaceModels();
  const models = [
    { label: vscode.l10n.t('Built-in small model'), description: vscode.l10n.t('warm-started on expert demonstrations first (CPU friendly, ~2 min)'), id: 'builtin' },
    ...found.map((m) => ({ label: m.label, description: m.description, id: m.path })),
    ...(lastModel && !found.some((m) => m.path === lastModel) ? [{ label: path.basename(lastModel), description: vscode.l10n.t('last used: {0}', lastModel), id: lastModel }] : []),
    { label: vscode.l10n.t('Local model folder…'), description: vscode.l10n.t('a built-in model from `actfocus pretrain`, or a Hugging Face model'), id: 'path' },
  ];
  const lastId = lastModel ?? 'builtin';
  models.sort((a, b) => Number(b.id === lastId) - Number(a.id === lastId)); // the last choice first
  const model = await vscode.window.showQuickPick(models, { title: vscode.l10n.t('New Training Run: Model'), ignoreFocusOut: true });
  if (!model) return undefined;
  let modelPath: string | undefined = model.id !== 'builtin' && model.id !== 'path' ? model.id : undefined;
  if (model.id === 'path') {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: vscode.l10n.t('Model folder') });
    if (!folder?.[0]) return undefined;
    modelPath = folder[0].fsPath;
  }
  const stepsSpec = HPARAMS.find((p) => p.name === 'steps')!;
  const steps = await vscode.window.showInputBox({
    title: vscode.l10n.t('New Training Run: Steps'), value: String(h.steps), ignoreFocusOut: true,
    validateInput: (s) => (/^\d+$/.test(s) && +s >= stepsSpec.min! && +s <= stepsSpec.max! ? undefined : vscode.l10n.t('A whole number from {0} to {1}', stepsSpec.min!, stepsSpec.max!)),
  });
  if (steps === undefined) return undefined;
  h.steps = Number(steps);
  const name = await vscode.window.showInputBox({
    title: vscode.l10n.t('New Training Run: Name'), value: defaultRunName(h, new Date()), ignoreFocusOut: true,
    validateInput: (s) => (isSafeRunId(s) ? undefined : vscode.l10n.t("Letters, digits, '.', '_' and '-' only")),
  });
  if (name === undefined) return undefined;
  return { name, hparams: h, modelPath };
}

export async function newRun(deps: NewRunDeps, args?: NewRunArgs): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showErrorMessage(vscode.l10n.t('ActFocus starts training processes only in a trusted workspace.'));
    return undefined;
  }
  const root = deps.runsRoot();
  if (!root) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Open a folder first: runs are written to its runs folder (setting "actfocus.runsDirectory").'));
    return undefined;
  }
  const cwd = path.dirname(root);
  // Probe first: nobody answers questions for a run that cannot start.
  const python = await ensureHost(deps.version, cwd);
  if (!python) return undefined;
  // Only what differs from the defaults goes on the command line (short, readable `ps` output).
  const defaults: Record<string, number | string> = { ...Object.fromEntries(ASKED.map((n) => [n, hparamDefault(n)])), ...deps.nextRunValues() };
  const last = deps.memory.get<Remembered>(LAST_CHOICES);
  const form = args?.name ? { name: args.name, hparams: { ...defaults, ...args.hparams }, modelPath: args.modelPath, envConfig: args.envConfig, pretrainSteps: args.pretrainSteps } : await chooseForm(defaults, last);
  if (!form) return undefined;
  const asked = Object.fromEntries(ASKED.map((n) => [n, form.hparams[n]!]));
  form.hparams = Object.fromEntries(Object.entries(form.hparams).filter(([k, v]) => ASKED.includes(k as (typeof ASKED)[number]) || v !== hparamDefault(k)));
  const built = buildTrainArgs(root, form);
  if (!built.ok) {
    void vscode.window.showErrorMessage(built.error);
    return undefined;
  }
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Starting {0}…', form.name) }, () => launchHost(python, built.args, built.runDir, cwd));
  } catch (e) {
    void vscode.window.showErrorMessage(e instanceof HostError ? e.message : vscode.l10n.t('Could not start the training host: {0}', (e as Error).message));
    return undefined;
  }
  if (!args?.name) await deps.memory.update(LAST_CHOICES, { hparams: asked, modelPath: form.modelPath } satisfies Remembered);
  deps.onLaunched(form.name);
  return form.name;
}
