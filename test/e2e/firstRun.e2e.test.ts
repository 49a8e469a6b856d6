// A new user's first run, in a real VS Code: a fresh profile and an empty folder, no settings but the
// PyTorch source (this machine's own wheel of torch, so the set-up needs no GPU build download). New
// Training Run probes the interpreter before any question and offers the set-up; the set-up, cancelled
// while pip runs, leaves no process and no environment; run again (a real venv, real pip), the flow goes
// on to one pick, "Start with defaults"; the warm start's progress shows in the dashboard, the Runs view and the status bar; Stop during the warm start ends the run, and the Runs
// view says so; Continue Run starts it again. Timings are printed (they are measured, not asserted).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { findWebviewFrame, quickPickAccept, runCommand, screenshot, startVsCode, type VsCodeSession } from '../support/codeServer';

let vs: VsCodeSession;

/** Command lines of live processes that mention `text` (pip installing into the environment, say). */
function processesUsing(text: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(text) && !l.startsWith('ps '));
}

before(async () => {
  vs = await startVsCode({ settings: { 'actfocus.setup.torch': 'pip', 'actfocus.setup.torchRequirement': 'torch==2.13.0' } });
});
after(async () => {
  // Never leave a host running if the test failed half-way.
  for (const id of existsSync(join(vs.workspace, 'runs')) ? readdirSync(join(vs.workspace, 'runs')) : []) {
    try {
      const run = JSON.parse(readFileSync(join(vs.workspace, 'runs', id, 'run.json'), 'utf8'));
      if (['running', 'paused', 'starting'].includes(run.status)) process.kill(run.pid, 'SIGKILL');
    } catch { /* no run.json, or already gone */ }
  }
  await vs?.close();
});

test('first run: set-up offered before any question, defaults in one pick, warm-start progress, Stop during the warm start', async () => {
  try {
    await scenario(vs.page);
  } catch (e) {
    await screenshot(vs.page, 'first-run-failure');
    // What the run's files say (the profile and workspace are removed with the session).
    for (const id of existsSync(join(vs.workspace, 'runs')) ? readdirSync(join(vs.workspace, 'runs')) : []) {
      for (const f of ['run.json', 'host.log']) {
        try {
          console.log(`--- ${id}/${f}\n${readFileSync(join(vs.workspace, 'runs', id, f), 'utf8').slice(-3000)}`);
        } catch { /* absent */ }
      }
    }
    console.log(`--- notifications: ${(await vs.page.locator('.notification-toast').allTextContents()).join(' | ')}`);
    throw e;
  }
});

async function scenario(page: Page): Promise<void> {
  await page.locator('.activitybar [aria-label^="ActFocus"]').first().click();

  // 1. No interpreter with the host: said before the first question, with the set-up offered right there.
  const notice = page.locator('.notification-toast', { hasText: 'cannot run the training host' });
  const setUp = async () => {
    await runCommand(page, 'ActFocus: New Training Run…');
    await notice.waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('.quick-input-widget input').isVisible(), false); // no question was asked
    await notice.locator('.monaco-button', { hasText: 'Set Up Training Host' }).click();
  };
  await setUp();

  // 2. The set-up is cancellable and owns its processes: cancelled while pip installs PyTorch, pip is gone
  // and so is the half-made environment.
  const progress = page.locator('.notification-toast', { hasText: 'setting up the training host' });
  await progress.filter({ hasText: 'Installing PyTorch' }).waitFor({ timeout: 120_000 });
  const venv = join(vs.userDir, 'User', 'globalStorage', 'actfocus.actfocus-vscode', 'host-venv');
  assert.ok(existsSync(venv));
  await progress.locator('.monaco-button', { hasText: 'Cancel' }).click();
  await page.locator('.notification-toast', { hasText: 'set-up cancelled: the half-made environment was removed' }).waitFor({ timeout: 60_000 });
  assert.equal(existsSync(venv), false);
  // pip's group was sent SIGTERM before the message: give its processes a moment to finish exiting.
  for (let i = 0; i < 150 && processesUsing(venv).length; i++) await page.waitForTimeout(100);
  assert.deepEqual(processesUsing(venv), []);

  // 3. Again, to the end; then the same flow goes on: one pick for the common case.
  const t0 = Date.now();
  await setUp();
  await progress.waitFor({ timeout: 30_000 });
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Start with defaults' }).waitFor({ timeout: 600_000 });
  const tSetup = Date.now();
  assert.equal(await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Repeat last choices' }).count(), 0); // nothing to repeat yet
  await quickPickAccept(page, 'Start with defaults');
  const tStart = Date.now();

  // 4. The warm start, where the user looks: the dashboard's phase line and loss chart, the Runs view, the status bar.
  const dash = await findWebviewFrame(page, '#phase', 60_000);
  await dash.waitForFunction(() => !document.getElementById('phase')!.hidden && /^Warm start \d+\/400/.test(document.getElementById('phase-text')!.textContent!), null, { timeout: 120_000 });
  const tPhase = Date.now();
  // The loss chart appears with the first loss and is drawn when looked at, as a user would (below the
  // fold, charts are drawn once data stops for a second, which a warm start never gives).
  await dash.waitForSelector('#chart-warmstart', { state: 'visible', timeout: 60_000 });
  await dash.$eval('#chart-warmstart', (c) => c.scrollIntoView());
  await dash.waitForFunction(() => Number((document.getElementById('chart-warmstart') as HTMLCanvasElement).dataset.points) >= 2, null, { timeout: 120_000 });
  const tChart = Date.now();
  assert.match((await dash.textContent('#phase-text'))!, /^Warm start \d+\/400 \(\d+%\) · loss \d+\.\d{3}$/);
  const row = page.locator('.pane-body .monaco-list-row', { hasText: 'frozenlake-actfocus-grpo-' });
  await row.filter({ hasText: /warm start \d+\/400/ }).waitFor({ timeout: 30_000 });
  await page.locator('.statusbar-item', { hasText: /warm start \d+\/400/ }).first().waitFor({ timeout: 30_000 });
  await screenshot(page, 'first-run-warm-start');

  // 5. Stop during the warm start: the Runs view says "stopped".
  await runCommand(page, 'ActFocus: Stop Run');
  const tStop = Date.now();
  await row.filter({ hasText: 'stopped' }).waitFor({ timeout: 60_000 });
  const tStopped = Date.now();
  const runs = readdirSync(join(vs.workspace, 'runs'));
  assert.equal(runs.length, 1);
  const run = JSON.parse(readFileSync(join(vs.workspace, 'runs', runs[0]!, 'run.json'), 'utf8'));
  assert.equal(run.status, 'stopped');
  assert.match(run.reason, /^request \S+ \(stopped after \d+ of 400 warm-start steps, before the first checkpoint/);
  assert.equal(run.config.env, 'frozenlake');
  await screenshot(page, 'first-run-stopped');

  // 6. Continue Run from the Runs view's menu: stopped before its first checkpoint, it starts its warm start
  // again in the same folder (`actfocus resume`); then stop it for good.
  await runCommand(page, 'ActFocus: Continue Run');
  await row.filter({ hasText: /warm start \d+\/400/ }).waitFor({ timeout: 120_000 });
  const resumed = JSON.parse(readFileSync(join(vs.workspace, 'runs', runs[0]!, 'run.json'), 'utf8'));
  assert.equal(resumed.resumed, 1);
  assert.equal(resumed.reason, undefined); // running again: the last stop's reason is history (in the events)
  await runCommand(page, 'ActFocus: Stop Run');
  await row.filter({ hasText: 'stopped' }).waitFor({ timeout: 60_000 });
  console.log(`first run: set-up ${((tSetup - t0) / 1000).toFixed(1)} s; run started → phase line ${((tPhase - tStart) / 1000).toFixed(1)} s, → loss chart ${((tChart - tStart) / 1000).toFixed(1)} s; `
    + `Stop → Runs view "stopped" ${((tStopped - tStop) / 1000).toFixed(2)} s`);
}
