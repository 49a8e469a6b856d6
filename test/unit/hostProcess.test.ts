// Starting the host for real (no shell, own process group, output to host.log) and the messages a
// user gets when the interpreter is missing or lacks the host package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostError, launchHost, probeHost } from '../../src/launch/hostProcess';
import { describeChoices, hostVersionProblem } from '../../src/launch/launchArgs';
import { PYTHON, ROOT } from '../support/python';

test('a missing interpreter gives an actionable message', async () => {
  await assert.rejects(probeHost('/nonexistent/python3', ROOT), (e: Error) =>
    e instanceof HostError && /Python was not found at "\/nonexistent\/python3"\. Set "actfocus.pythonPath".*Set Up Training Host/.test(e.message));
});

test('an interpreter without the host package gives an actionable message', async () => {
  const bare = join(mkdtempSync(join(tmpdir(), 'actfocus-bare-')), 'venv');
  execFileSync(PYTHON, ['-m', 'venv', '--without-pip', bare]);
  await assert.rejects(probeHost(join(bare, 'bin', 'python'), tmpdir()), (e: Error) =>
    e instanceof HostError && /cannot run the training host: the actfocus training host is not installed there\. Run "ActFocus: Set Up Training Host"/.test(e.message));
});

test('the project interpreter passes the probe', async () => {
  assert.match(await probeHost(PYTHON, ROOT), /^actfocus \d+\.\d+\.\d+$/);
});

test('launchHost runs without a shell in its own process group and appends output to host.log', async () => {
  const run = join(mkdtempSync(join(tmpdir(), 'actfocus-launch-')), 'runs', 'r1');
  const hostile = '$(touch /tmp/actfocus-pwned); `id`; echo x > /tmp/actfocus-pwned2';
  const script = 'import os, sys; print(os.getpgid(0) == os.getpid(), sys.argv[1])';
  const { pid, logPath } = await launchHost(PYTHON, ['-c', script, hostile], run, ROOT);
  assert.ok(pid > 0);
  for (let i = 0; i < 100 && !readFileSync(logPath, 'utf8').includes('\n'); i++) await new Promise((r) => setTimeout(r, 50));
  // Its own process group (detached: outlives the window), and the argument arrived verbatim.
  assert.equal(readFileSync(logPath, 'utf8').trim(), `True ${hostile}`);
  assert.throws(() => readFileSync('/tmp/actfocus-pwned'));
});

test('a host of another version than the extension is named, with the way out', () => {
  assert.equal(hostVersionProblem('/v/bin/python', 'actfocus 0.1.0\n', '0.1.0'), undefined);
  assert.equal(hostVersionProblem('/v/bin/python', 'actfocus 0.0.9', '0.1.0'),
    '"/v/bin/python" has the ActFocus training host 0.0.9, and this extension is 0.1.0: run "ActFocus: Set Up Training Host" to install the matching host, or choose another interpreter.');
  assert.match(hostVersionProblem('py', 'Python 3.11.7', '0.1.0')!, /an unrecognised host \("Python 3\.11\.7"\)/);
});

test('the project host reports the extension\'s own version (they are released together)', async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.equal(hostVersionProblem(PYTHON, await probeHost(PYTHON, ROOT), pkg.version), undefined);
});

test('the one-pick summary of a run\'s choices', () => {
  assert.equal(describeChoices({ env: 'frozenlake', algo: 'grpo', weighting: 'actfocus', steps: 50, device: 'auto' }, undefined), 'frozenlake · grpo · actfocus · built-in model · 50 steps');
  assert.equal(describeChoices({ env: 'sokoban', algo: 'ppo', weighting: 'uniform', steps: 9, device: 'cuda' }, '/m/qwen-0.5b'), 'sokoban · ppo · uniform · qwen-0.5b · 9 steps · cuda');
});
