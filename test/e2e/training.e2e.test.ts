// The whole loop in a real VS Code: settings for the next run from the Hyperparameters view, a real
// host started from the command palette, the Runs view and the dashboard charts updating live, a live
// change of the reasoning-token weight (alpha) acknowledged by the host and marked on the charts, a
// window reload that the host outlives, and Stop. Screenshots go to test-output/e2e/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { findWebviewFrame, inputBox, quickPickAccept, runCommand, screenshot, startVsCode, type VsCodeSession } from '../support/codeServer';
import { PYTHON } from '../support/python';

let vs: VsCodeSession;
const RUN = 'e2e-run';

before(async () => {
  vs = await startVsCode({ settings: { 'actfocus.pythonPath': PYTHON } });
  // A small model in the workspace's models/ folder (the New Run flow offers those directly).
  execFileSync(PYTHON, ['-m', 'actfocus', 'pretrain', '--env', 'frozenlake', '--out', join(vs.workspace, 'models', 'tiny'), '--steps', '20',
    '--episodes', '20', '--d-model', '32', '--n-layer', '1', '--max-context', '384'], { stdio: 'pipe' });
});
after(async () => {
  // Never leave a host running if the test failed half-way.
  try {
    const run = JSON.parse(readFileSync(join(vs.workspace, 'runs', RUN, 'run.json'), 'utf8'));
    if (['running', 'paused', 'starting'].includes(run.status)) process.kill(run.pid, 'SIGKILL');
  } catch { /* no run, or already gone */ }
  await vs?.close();
});

const runRow = (page: Page) => page.locator('.pane-body .monaco-list-row', { hasText: RUN });

test('start a run from the command palette, watch it live, change alpha, stop it', async () => {
  try {
    await scenario(vs.page);
  } catch (e) {
    await screenshot(vs.page, 'training-failure');
    throw e;
  }
});

async function scenario(page: Page): Promise<void> {
  await page.locator('.activitybar [aria-label^="ActFocus"]').first().click();

  // 1. Settings for the next run, in the Hyperparameters view (small and fast for CPU).
  const hp: Frame = await findWebviewFrame(page, '#hparams');
  await hp.waitForFunction(() => (document.getElementById('hp-alpha') as HTMLInputElement)?.value === '0.1', null, { timeout: 60_000 });
  for (const [name, value] of Object.entries({ steps: '2000', prompts_per_step: '2', group_size: '2', max_new_tokens: '16', max_context: '384', eval_every: '0', checkpoint_every: '0', traj_sampling: 'all' })) {
    if (name === 'traj_sampling') await hp.selectOption(`#hp-${name}`, value);
    else await hp.fill(`#hp-${name}`, value);
  }
  await hp.click('#use-next');
  await hp.waitForFunction(() => document.getElementById('result')!.textContent!.startsWith('Saved'), null, { timeout: 10_000 });

  // 2. ActFocus: New Training Run… — Customise…: defaults for env/algo/weighting/device, the workspace model, the steps, a name.
  await runCommand(page, 'ActFocus: New Training Run…');
  await quickPickAccept(page, 'Customise');
  for (let i = 0; i < 4; i++) await quickPickAccept(page);
  await quickPickAccept(page, 'models/tiny');
  await inputBox(page, '2000');
  await inputBox(page, RUN);

  // 3. The Runs view shows it running, and the dashboard (opened on it) receives chart points.
  await runRow(page).filter({ hasText: 'running' }).waitFor({ timeout: 120_000 });
  const dash = await findWebviewFrame(page, '#chart-success', 60_000);
  await dash.waitForFunction(() => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.points) >= 2, null, { timeout: 120_000 });
  // Charts below the fold are drawn once no data has come for a second, or when scrolled into view — while a
  // live run appends, that is when the user scrolls to them, as here.
  await dash.$eval('#chart-share', (c) => c.scrollIntoView());
  await dash.waitForFunction(() => Number((document.getElementById('chart-share') as HTMLCanvasElement).dataset.points) >= 2, null, { timeout: 60_000 })
    .catch(async (e) => {
      const shares = await dash.$eval('#chart-share', (c) => (c as HTMLCanvasElement).dataset.points);
      throw new Error(`action-share chart has ${shares} points: ${e}`);
    });
  await screenshot(page, 'training-live');
  // Back to the success chart, which step 4 reads: scrolled out of view it waits while the run appends.
  await dash.$eval('#chart-success', (c) => c.scrollIntoView());

  // 4. Change the reasoning-token weight from the Hyperparameters view: the host acks, the charts mark it.
  await hp.waitForFunction((run) => (document.getElementById('target') as HTMLSelectElement).value === run, RUN, { timeout: 30_000 });
  await hp.fill('#hp-alpha', '0.3');
  await hp.click('#apply');
  await hp.waitForFunction(() => /applied to/.test(document.getElementById('result')!.textContent!), null, { timeout: 120_000 });
  assert.match((await hp.textContent('#result'))!, /Hyperparameter change applied to e2e-run \(alpha=0.3\)/);
  await dash.waitForFunction(() => (document.getElementById('chart-success') as HTMLCanvasElement).dataset.markers === '1', null, { timeout: 30_000 });
  const events = readFileSync(join(vs.workspace, 'runs', RUN, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(events.some((e) => e.type === 'hparams' && e.source === 'request' && e.values.alpha === 0.3 && e.previous.alpha === 0.1));
  assert.ok(events.some((e) => e.type === 'ack' && e.action === 'set_hparams'));
  await screenshot(page, 'training-alpha-marker');

  // 5. Reload the window: the host keeps training on its own; the extension picks it up again and the
  //    restored dashboard keeps receiving points.
  const before = Number(await dash.$eval('#chart-success', (c) => (c as HTMLCanvasElement).dataset.points));
  await runCommand(page, 'Developer: Reload Window');
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await page.locator('.activitybar [aria-label^="ActFocus"]').first().waitFor({ timeout: 60_000 });
  const restored = await findWebviewFrame(page, '#chart-success', 90_000);
  await restored.waitForFunction((n) => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.points) > n, before, { timeout: 120_000 });
  // The window restores the ActFocus side bar; clicking its icon again would close it.
  if (!(await page.locator('.pane-header', { hasText: 'Runs' }).first().isVisible())) await page.locator('.activitybar [aria-label^="ActFocus"]').first().click();
  await runRow(page).filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
  await screenshot(page, 'training-after-reload');

  // 6. Stop from the command palette: the run ends as stopped.
  await runCommand(page, 'ActFocus: Stop Run');
  await runRow(page).filter({ hasText: 'stopped' }).waitFor({ timeout: 120_000 });
  const run = JSON.parse(readFileSync(join(vs.workspace, 'runs', RUN, 'run.json'), 'utf8'));
  assert.equal(run.status, 'stopped');
  assert.ok(run.step >= 2 && run.step < 2000);
  await screenshot(page, 'training-stopped');
}
