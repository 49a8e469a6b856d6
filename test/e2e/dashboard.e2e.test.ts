import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWebviewFrame, runCommand, screenshot, startVsCode, type VsCodeSession } from '../support/codeServer';

let vs: VsCodeSession;

before(async () => {
  vs = await startVsCode();
  // A run directory with a corrupt run.json next to a good one: the view must show both.
  for (const [id, text] of [['good-run', JSON.stringify({ status: 'completed', step: 5, config: { steps: 5 } })], ['broken-run', '{"status": "runn']]) {
    mkdirSync(join(vs.workspace, 'runs', id!), { recursive: true });
    writeFileSync(join(vs.workspace, 'runs', id!, 'run.json'), text!);
  }
});
after(async () => {
  await vs?.close();
});

test('"ActFocus: Show Dashboard" opens the dashboard webview, which talks to the extension', async () => {
  await runCommand(vs.page, 'ActFocus: Show Dashboard');
  const frame = await findWebviewFrame(vs.page, '#status');
  // "Connected…" only appears after the ready → init handshake with the activated extension.
  await frame.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Connected'), null, { timeout: 60_000 });
  assert.equal(await frame.textContent('#status'), 'Connected to ActFocus 0.1.0 · 2 run(s)');
  assert.deepEqual(await frame.$$eval('#runs .run-name', (els) => els.map((e) => e.textContent)), ['broken-run', 'good-run']);
  const shot = await screenshot(vs.page, 'dashboard');
  assert.ok(existsSync(shot));
});

test('the ActFocus activity-bar container shows the Runs view with both runs', async () => {
  await vs.page.locator('.activitybar [aria-label^="ActFocus"]').first().click();
  const tree = vs.page.locator('.pane-body .monaco-list-row');
  await tree.filter({ hasText: 'good-run' }).waitFor({ timeout: 30_000 });
  assert.match((await tree.filter({ hasText: 'good-run' }).textContent()) ?? '', /completed · step 5\/5/);
  assert.match((await tree.filter({ hasText: 'broken-run' }).textContent()) ?? '', /invalid/);
  await screenshot(vs.page, 'runs-view');
});

test('"ActFocus: Open Run Folder…" attaches a run folder from outside the workspace', async () => {
  const outside = join(mkdtempSync(join(tmpdir(), 'actfocus-outside-')), 'foreign-run');
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'run.json'), JSON.stringify({ schema_version: 1, id: 'foreign-run', status: 'completed', step: 7, config: { steps: 7, env: 'shop' } }));
  await runCommand(vs.page, 'ActFocus: Open Run Folder…');
  // code-server's file dialog is a quick input: type the folder, then accept it.
  const input = vs.page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 20_000 });
  await input.fill(outside);
  await vs.page.waitForTimeout(500);
  await vs.page.locator('.quick-input-widget .monaco-button', { hasText: 'Open Run' }).first().click();
  const row = vs.page.locator('.pane-body .monaco-list-row', { hasText: 'foreign-run' });
  await row.waitFor({ timeout: 30_000 });
  assert.match((await row.textContent()) ?? '', /completed · step 7\/7/);
  await screenshot(vs.page, 'open-run-folder');
});
