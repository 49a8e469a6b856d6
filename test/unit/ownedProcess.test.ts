// The set-up's processes are owned: cancelling ends the process and everything it started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError, OwnedProcesses } from '../../src/launch/ownedProcess';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`never: ${what}`);
}

test('cancel ends the process and the processes it started (its whole group)', { skip: process.platform === 'win32' }, async () => {
  const owned = new OwnedProcesses();
  const lines: string[] = [];
  // A parent that starts a grandchild and prints its pid: pip starting a build back-end, say.
  const p = owned.run('bash', ['-c', 'sleep 600 & echo "child $!"; wait'], (l) => lines.push(l));
  await until(() => lines.some((l) => l.startsWith('child ')), 'the grandchild started');
  const grandchild = Number(lines.find((l) => l.startsWith('child '))!.split(' ')[1]);
  assert.ok(alive(grandchild));
  p.cancel();
  await assert.rejects(p.done, (e) => e instanceof CancelledError);
  await until(() => !alive(grandchild), 'the grandchild ended');
  assert.equal(owned.running, 0);
});

test('killAll (the window closing) ends every owned group; a failure reports its last lines', { skip: process.platform === 'win32' }, async () => {
  const owned = new OwnedProcesses();
  const a = owned.run('sleep', ['600'], () => {});
  const b = owned.run('sleep', ['600'], () => {});
  await until(() => owned.running === 2, 'both started');
  owned.killAll();
  await Promise.allSettled([a.done, b.done]);
  assert.equal(owned.running, 0);
  const failed = owned.run('bash', ['-c', 'echo "ERROR: No matching distribution found for torch" >&2; exit 1'], () => {});
  await assert.rejects(failed.done, /bash -c .* failed \(exit 1\):\nERROR: No matching distribution found for torch/);
});
