// "ActFocus: Set Up Training Host": a virtual environment in the extension's storage with the PyTorch
// build this machine can use (torchPlan.ts) and the host package bundled in the extension, then
// actfocus.pythonPath points at it. Cancellable; its processes are owned (ownedProcess.ts); an environment
// it created is removed again when it fails or is cancelled, and one that exists is reused when complete
// (its marker file matches) or repaired in place.
import * as vscode from 'vscode';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { setupAction, setupSteps, venvPython } from './setupSteps';
import { planTorch, torchInstallArgs, torchRequirement, type GpuProbe, type TorchChoice } from './torchPlan';
import { CancelledError, OwnedProcesses } from './ownedProcess';
import { probeHost } from './hostProcess';

/** Written last: an environment without it (or with other contents) was not finished and is repaired. */
const MARKER = 'actfocus-setup.json';

interface Marker {
  host: string;
  torch: string;
  requirement: string;
}

export const owned = new OwnedProcesses();

function probeGpu(): Promise<GpuProbe> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', [], { timeout: 20_000, shell: false, windowsHide: true }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') resolve({ kind: 'absent' });
      else if (err) resolve({ kind: 'failed', message: `${stdout}\n${stderr}`.trim() || err.message });
      else resolve({ kind: 'ok', stdout });
    });
  });
}

function readMarker(venv: string): string | undefined {
  try {
    return readFileSync(path.join(venv, MARKER), 'utf8');
  } catch {
    return undefined;
  }
}

/** Returns the set-up interpreter, or undefined when the set-up failed or was cancelled (the user was told). */
export async function setupHost(context: vscode.ExtensionContext, basePython: string): Promise<string | undefined> {
  const settings = vscode.workspace.getConfiguration('actfocus');
  const choice = settings.get<TorchChoice>('setup.torch', 'auto');
  const storage = context.globalStorageUri.fsPath;
  const venv = path.join(storage, 'host-venv');
  const hostCopy = path.join(storage, 'host-src');
  const py = venvPython(venv);
  const version = String((context.extension.packageJSON as { version?: string }).version ?? '');
  const out = vscode.window.createOutputChannel('ActFocus Host Setup');
  let createdHere = false;
  let why = '';
  try {
    const reused = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('ActFocus: setting up the training host'), cancellable: true }, async (progress, token) => {
      progress.report({ message: vscode.l10n.t('looking for an NVIDIA GPU…') });
      const plan = planTorch(process.platform, await probeGpu(), choice);
      why = plan.why;
      const requirement = settings.get<string>('setup.torchRequirement', '').trim()
        || torchRequirement(readFileSync(path.join(context.extensionPath, 'host', 'pyproject.toml'), 'utf8')) || 'torch';
      out.appendLine(`PyTorch: ${plan.why}.`);
      const want: Marker = { host: version, torch: plan.build, requirement };
      const action = setupAction(readMarker(venv), want, existsSync(py));
      if (action === 'check') {
        try {
          await probeHost(py, storage);
          out.appendLine(`${venv} is complete and up to date: reused.`);
          return true;
        } catch (e) {
          out.appendLine(`${venv} is marked complete but does not run the host (${(e as Error).message}): repairing it.`);
        }
      }
      const fresh = action === 'fresh';
      if (fresh) {
        rmSync(venv, { recursive: true, force: true }); // a folder left without an interpreter is not worth repairing
        createdHere = true;
      } else {
        rmSync(path.join(venv, MARKER), { force: true });
        out.appendLine(`Repairing ${venv} (an earlier set-up did not finish, or the extension or the PyTorch build changed).`);
      }
      // pip builds in the source folder; the installed extension may be read-only, so copy it first.
      rmSync(hostCopy, { recursive: true, force: true });
      cpSync(path.join(context.extensionPath, 'host'), hostCopy, { recursive: true });
      const steps = setupSteps(basePython, venv, hostCopy, torchInstallArgs(plan, requirement), fresh);
      for (const [i, s] of steps.entries()) {
        if (token.isCancellationRequested) throw new CancelledError();
        const build = plan.build === 'pip' ? vscode.l10n.t('as pip is configured') : plan.build === 'cpu' ? vscode.l10n.t('CPU build') : vscode.l10n.t('CUDA build {0}', plan.build);
        const title = s.id === 'torch' ? vscode.l10n.t('Installing PyTorch ({0})', build) : s.title;
        progress.report({ message: vscode.l10n.t('{0} ({1}/{2})', title, i + 1, steps.length), increment: 100 / steps.length });
        out.appendLine(`$ ${s.cmd} ${s.args.join(' ')}`);
        const p = owned.run(s.cmd, s.args, (line) => {
          out.appendLine(line);
          progress.report({ message: `${title}: ${line.slice(0, 80)}` });
        }, { env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_PROGRESS_BAR: 'off' } });
        const stop = token.onCancellationRequested(p.cancel);
        try {
          await p.done;
        } finally {
          stop.dispose();
        }
      }
      writeFileSync(path.join(venv, MARKER), JSON.stringify(want, null, 2));
      return false;
    });
    await settings.update('pythonPath', py, vscode.ConfigurationTarget.Global);
    void vscode.window.showInformationMessage(reused ? vscode.l10n.t('The ActFocus training host is already set up ({0}): {1}.', py, why) : vscode.l10n.t('The ActFocus training host is ready ({0}): {1}.', py, why));
    return py;
  } catch (e) {
    // Never a half-installed environment: one made here goes; one repaired here keeps no marker (the next set-up repairs it).
    if (createdHere) rmSync(venv, { recursive: true, force: true });
    if (e instanceof CancelledError) {
      void vscode.window.showInformationMessage(createdHere
        ? vscode.l10n.t('ActFocus set-up cancelled: the half-made environment was removed. Run "ActFocus: Set Up Training Host" again to finish it.')
        : vscode.l10n.t('ActFocus set-up cancelled. Run "ActFocus: Set Up Training Host" again to finish it.'));
    } else {
      out.show(true);
      void vscode.window.showErrorMessage(vscode.l10n.t('Setting up the training host failed: {0}', (e as Error).message));
    }
    return undefined;
  }
}
