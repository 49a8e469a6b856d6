// Processes the extension starts and owns (the set-up's venv and pip): each runs in a process group of
// its own, so that cancelling — or closing the window — ends it together with whatever it started (pip's
// build back-ends, compilers), instead of leaving an install running with no owner. No shell, ever.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

/** How long a group has to end after SIGTERM before it is killed. */
const KILL_AFTER_MS = 3000;

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  if (process.platform === 'win32') {
    spawnSync('taskkill', ['/pid', String(child.pid), '/T', '/F'], { windowsHide: true });
    return;
  }
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s); // the whole group: pip and every process it started
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  setTimeout(() => signal('SIGKILL'), KILL_AFTER_MS).unref();
}

export class OwnedProcesses {
  private readonly live = new Set<ChildProcess>();

  /** Runs to its end; rejects with CancelledError once cancel() (or killAll) ended it, else with the last lines of its output. */
  run(cmd: string, args: string[], onLine: (line: string) => void, opts: { env?: NodeJS.ProcessEnv } = {}): { done: Promise<void>; cancel: () => void } {
    let cancelled = false;
    const child = spawn(cmd, args, { shell: false, detached: process.platform !== 'win32', env: opts.env ?? process.env, windowsHide: true });
    this.live.add(child);
    let tail = '';
    const feed = (b: Buffer) => {
      const s = b.toString();
      tail = (tail + s).slice(-4000);
      for (const line of s.split(/\r?\n/)) if (line.trim()) onLine(line.trimEnd());
    };
    child.stdout?.on('data', feed);
    child.stderr?.on('data', feed);
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', (e) => {
        this.live.delete(child);
        reject(new Error(`${cmd}: ${e.message}`));
      });
      child.on('close', (code) => {
        this.live.delete(child);
        if (cancelled) reject(new CancelledError());
        else if (code === 0) resolve();
        else reject(new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')} failed (exit ${code ?? 'by a signal'}):\n${tail.trim().split('\n').slice(-6).join('\n')}`));
      });
    });
    return {
      done,
      cancel: () => {
        cancelled = true;
        killGroup(child);
      },
    };
  }

  /** Ends every owned process group now (the window is closing). */
  killAll(): void {
    for (const c of this.live) killGroup(c);
  }

  get running(): number {
    return this.live.size;
  }
}
