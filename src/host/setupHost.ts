// "ActFocus: Set Up Training Host": a virtual environment in the extension's storage with the host
// package bundled in the extension installed into it, then actfocus.pythonPath points at it.
import * as vscode from 'vscode';
import { spawn } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { setupSteps } from './setupSteps';

function run(cmd: string, args: string[], onLine: (s: string) => void, token: vscode.CancellationToken): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { shell: false });
    let tail = '';
    const feed = (b: Buffer) => {
      const s = b.toString();
      tail = (tail + s).slice(-2000);
      for (const line of s.split('\n')) if (line.trim()) onLine(line.trim());
    };
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    token.onCancellationRequested(() => child.kill());
    child.on('error', (e) => reject(new Error(`${cmd}: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')} failed (exit ${code}):\n${tail.trim().split('\n').slice(-5).join('\n')}`))));
  });
}

export async function setupHost(context: vscode.ExtensionContext, basePython: string): Promise<void> {
  const storage = context.globalStorageUri.fsPath;
  const venv = path.join(storage, 'host-venv');
  const hostCopy = path.join(storage, 'host-src');
  const out = vscode.window.createOutputChannel('ActFocus Host Setup');
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'ActFocus: setting up the training host', cancellable: true }, async (progress, token) => {
      // pip builds in the source folder; the installed extension may be read-only, so copy it first.
      rmSync(hostCopy, { recursive: true, force: true });
      cpSync(path.join(context.extensionPath, 'host'), hostCopy, { recursive: true });
      const steps = setupSteps(basePython, venv, hostCopy);
      for (const [i, s] of steps.entries()) {
        progress.report({ message: `${s.title} (${i + 1}/${steps.length})`, increment: 100 / steps.length });
        out.appendLine(`$ ${s.cmd} ${s.args.join(' ')}`);
        await run(s.cmd, s.args, (line) => {
          out.appendLine(line);
          progress.report({ message: `${s.title}: ${line.slice(0, 80)}` });
        }, token);
      }
    });
    const py = setupSteps(basePython, venv, hostCopy)[3]!.cmd;
    await vscode.workspace.getConfiguration('actfocus').update('pythonPath', py, vscode.ConfigurationTarget.Global);
    void vscode.window.showInformationMessage(`The ActFocus training host is ready (${py}).`);
  } catch (e) {
    out.show(true);
    void vscode.window.showErrorMessage(`Setting up the training host failed: ${(e as Error).message}`);
  }
}
