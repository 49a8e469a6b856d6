// Starting the training host: no shell, arguments as an array, its own process group (detached) so it
// outlives the window (VS Code gives deactivate ~5 s), stdout and stderr appended to RUN_DIR/host.log
// so a reloaded window can still show them.
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import * as path from 'node:path';
import { FILES } from '../protocol/schema';
import { t } from '@vscode/l10n';


export class HostError extends Error {}

/** Checks that `python` runs and has the actfocus package; resolves to its version. */
export function probeHost(python: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(python, ['-m', 'actfocus', '--version'], { cwd, timeout: 60_000, shell: false }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new HostError(t('Python was not found at "{0}". Set "actfocus.pythonPath", select an interpreter, or run "ActFocus: Set Up Training Host".', python)));
      } else if (err) {
        const why = /No module named/.test(stderr) ? 'the actfocus training host is not installed there' : (stderr.trim().split('\n').pop() ?? err.message);
        reject(new HostError(t('"{0}" cannot run the training host: {1}. Run "ActFocus: Set Up Training Host" or set "actfocus.pythonPath".', python, why)));
      } else resolve(stdout.trim());
    });
  });
}

export interface Launched {
  pid: number;
  logPath: string;
}

export function launchHost(python: string, args: string[], runDir: string, cwd: string): Promise<Launched> {
  mkdirSync(runDir, { recursive: true });
  const logPath = path.join(runDir, FILES.hostLog);
  const fd = openSync(logPath, 'a');
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, {
      cwd,
      detached: true,
      shell: false,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    child.once('error', (e) => {
      closeSync(fd);
      reject(new HostError(t('Could not start the training host with "{0}": {1}', python, e.message)));
    });
    child.once('spawn', () => {
      closeSync(fd);
      child.unref();
      resolve({ pid: child.pid!, logPath });
    });
  });
}
