import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { execFileSync } from 'node:child_process';
import { findWebviewFrame, runCommand, screenshot, startVsCode, type VsCodeSession } from '../support/codeServer';
import { PYTHON, ROOT } from '../support/python';

let vs: VsCodeSession;

before(async () => {
  vs = await startVsCode();
  // A run directory with a corrupt run.json next to a good one: the view must show both.
  // Any folder name shows (spaces, brackets, non-ASCII); a run of another protocol version says so.
  for (const [id, text] of [['good-run', JSON.stringify({ status: 'completed', step: 5, config: { steps: 5 } })], ['broken-run', '{"status": "runn'],
    ['my run [β] (2)', JSON.stringify({ schema_version: 1, status: 'completed', step: 3, config: { steps: 3 } })],
    ['newer-run', JSON.stringify({ schema_version: 99, status: 'running', step: 1, config: { steps: 9 } })]]) {
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
  assert.equal(await frame.textContent('#status'), 'Connected to ActFocus 0.1.0 · 4 run(s)');
  assert.deepEqual(await frame.$$eval('#runs .run-name', (els) => els.map((e) => e.textContent)), ['broken-run', 'good-run', 'my run [β] (2)', 'newer-run']);
  const shot = await screenshot(vs.page, 'dashboard');
  assert.ok(existsSync(shot));
});

test('the ActFocus activity-bar container shows the Runs view with both runs', async () => {
  await vs.page.locator('.activitybar [aria-label^="ActFocus"]').first().click();
  const tree = vs.page.locator('.pane-body .monaco-list-row');
  await tree.filter({ hasText: 'good-run' }).waitFor({ timeout: 30_000 });
  assert.match((await tree.filter({ hasText: 'good-run' }).textContent()) ?? '', /completed · step 5\/5/);
  assert.match((await tree.filter({ hasText: 'broken-run' }).textContent()) ?? '', /invalid/);
  assert.match((await tree.filter({ hasText: 'my run [β] (2)' }).textContent()) ?? '', /completed · step 3\/3/);
  assert.match((await tree.filter({ hasText: 'newer-run' }).textContent()) ?? '', /written by a newer ActFocus \(protocol 99; this reads 1\)/);
  await screenshot(vs.page, 'runs-view');
});

/** Attaches `folder` through the real file dialog and returns its row in the Runs view. */
async function openRunFolder(folder: string, id: string) {
  await pickInFileDialog(folder);
  const row = vs.page.locator('.pane-body .monaco-list-row', { hasText: id });
  await row.waitFor({ timeout: 30_000 });
  return row;
}

/** The rows code-server's file dialog lists for `folder`: "..", then its sub-folders (a folder pick lists
 * no files; dot-folders show by default), sorted as the dialog sorts them. Undefined: not a folder. */
function dialogRowsFor(folder: string): string[] | undefined {
  try {
    const subfolders = readdirSync(folder, { withFileTypes: true }).filter((d) => d.isDirectory());
    return ['..', ...subfolders.map((d) => d.name).sort((a, b) => a.localeCompare(b))];
  } catch {
    return undefined;
  }
}

interface DialogState { value: string; rows: string[]; message: string }

async function dialogState(): Promise<DialogState> {
  return vs.page.evaluate(() => {
    const w = document.querySelector('.quick-input-widget')!;
    return {
      value: (w.querySelector('input') as HTMLInputElement).value,
      rows: [...w.querySelectorAll('.quick-input-list .monaco-list-row .label-name')].map((e) => e.textContent?.trim() ?? ''),
      message: w.querySelector('.quick-input-message')?.textContent ?? '',
    };
  });
}

/** Waits until the dialog lists `folder` (input and rows both), failing with what it shows instead. */
async function waitForListing(folder: string | ((value: string) => string | undefined), what: string): Promise<DialogState> {
  let last: DialogState | undefined;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await vs.page.waitForTimeout(100)) {
    last = await dialogState();
    const dir = typeof folder === 'string' ? folder : folder(last.value);
    const want = dir && dialogRowsFor(dir);
    if (want && last.value === dir + sep && JSON.stringify(last.rows) === JSON.stringify(want)) return last;
  }
  await screenshot(vs.page, 'open-run-folder-listing');
  throw new Error(`the Open Run Folder dialog never listed ${what}; it shows ${JSON.stringify(last)}`);
}

/** Picks `folder` in code-server's file dialog (a quick pick), waiting on the dialog's own state, never on
 * time. The dialog sets the folder it lists (and will accept) together with its rows, so its state is
 * readable from outside: (1) the palette and the dialog share one widget: wait for the dialog's own
 * button; (2) wait until its first listing has landed (input = a folder, rows = that folder's): typing
 * before that races it, and the listing rewrites what was typed; (3) type the folder with a trailing
 * separator, which makes the dialog list it, and wait for that listing; (4) with no row active, "Open
 * Run" accepts the listed folder. */
async function pickInFileDialog(folder: string): Promise<void> {
  await runCommand(vs.page, 'ActFocus: Open Run Folder…');
  const widget = vs.page.locator('.quick-input-widget');
  const ok = widget.locator('.monaco-button', { hasText: 'Open Run' }).first();
  await ok.waitFor({ state: 'visible', timeout: 30_000 });
  const first = await waitForListing((value) => (value.endsWith(sep) && value.length > 1 ? value.slice(0, -1) : undefined), 'its starting folder');
  if (JSON.stringify(first.rows) === JSON.stringify(dialogRowsFor(folder))) {
    throw new Error(`test set-up: ${folder} lists like the dialog's starting folder, so its listing cannot be told apart`);
  }
  await widget.locator('input').fill(folder + sep);
  await waitForListing(folder, folder);
  await ok.click();
  await widget.waitFor({ state: 'hidden', timeout: 30_000 }).catch(async (e) => {
    await screenshot(vs.page, 'open-run-folder-open');
    throw new Error(`the file dialog stayed open after "Open Run": ${JSON.stringify(await dialogState())}: ${e}`);
  });
}

test('"ActFocus: Open Run Folder…" attaches a run folder from outside the workspace', async () => {
  const outside = join(mkdtempSync(join(tmpdir(), 'actfocus-outside-')), 'foreign-run');
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'run.json'), JSON.stringify({ schema_version: 1, id: 'foreign-run', status: 'completed', step: 7, config: { steps: 7, env: 'shop' } }));
  const row = await openRunFolder(outside, 'foreign-run');
  assert.match((await row.textContent()) ?? '', /completed · step 7\/7/);
  await screenshot(vs.page, 'open-run-folder');
});

test('a run directory written by the verl logger opens like our own: charts, trajectories, token roles', async () => {
  // The plugin's logger (actfocus.integrations.verl.logger) fed verl-shaped batches: masked multi-turn
  // responses, verl metric names, hostile environment text.
  const dir = join(mkdtempSync(join(tmpdir(), 'actfocus-verl-')), 'verl-run');
  execFileSync(PYTHON, [join(ROOT, 'host', 'tests', 'verl_fixture.py'), dir, '3'], { stdio: 'pipe' });
  const row = await openRunFolder(dir, 'verl-run');
  assert.match((await row.textContent()) ?? '', /completed · step 3\/3/);
  await row.click();
  const dash = await findWebviewFrame(vs.page, '#chart-reward', 60_000);
  // the Runs view opened it in the dashboard that was already showing another run: it is selected there now
  await dash.waitForFunction(() => (document.querySelector('#runs li[data-run="verl-run"] input') as HTMLInputElement | null)?.checked === true, null, { timeout: 30_000 });
  await dash.waitForFunction(() => Number((document.getElementById('chart-reward') as HTMLCanvasElement).dataset.points) >= 3, null, { timeout: 60_000 });
  // Trajectories of the newest step: open a group, then a trajectory, in the Trajectory Viewer.
  const trajRows = vs.page.locator('.pane-body .monaco-list-row');
  await trajRows.filter({ hasText: 'group 0' }).first().click();
  await trajRows.filter({ hasText: /#\d+ .* reward/ }).first().click();
  const viewer = await findWebviewFrame(vs.page, '#overlay', 60_000);
  await viewer.waitForSelector('.tok', { timeout: 30_000 });
  assert.ok((await viewer.$$('.tok')).length > 20, 'the viewer shows the response tokens');
  const body = (await viewer.textContent('body')) ?? '';
  assert.ok(body.includes('<think>'), 'token text is shown as text');
  assert.equal(await viewer.$$eval('img', (els) => els.length), 0, 'hostile environment text is not rendered as HTML');
  await screenshot(vs.page, 'verl-run');
});

test('a watched run that fails is reported in a notification with the host\'s one-sentence reason', async () => {
  const dir = join(vs.workspace, 'runs', 'doomed-run');
  mkdirSync(dir, { recursive: true });
  const run = { schema_version: 1, id: 'doomed-run', config: { steps: 9 }, versions: {}, status: 'running', step: 2, created: Date.now() / 1000, pid: 1, hostname: 'e2e' };
  // A heartbeat that stays fresh for the whole test (liveness allows 3 intervals): on a loaded machine a
  // beat written by a timer here can come late, and the run would first be judged dead.
  writeFileSync(join(dir, 'heartbeat.json'), JSON.stringify({ v: 1, t: Date.now() / 1000, pid: 1, hostname: 'e2e', interval_s: 120, step: 2, phase: 'training' }));
  writeFileSync(join(dir, 'run.json'), JSON.stringify(run));
  // Seen alive first, as the extension watches it ...
  await vs.page.locator('.pane-body .monaco-list-row', { hasText: 'doomed-run' }).filter({ hasText: 'running' }).waitFor({ timeout: 30_000 });
  // A heartbeat caught half-written (a writer that does not replace the file atomically) with a new point in
  // the same read: the run stays alive on its last good heartbeat, it is not called dead.
  writeFileSync(join(dir, 'heartbeat.json'), '{"v": 1, "t": ');
  writeFileSync(join(dir, 'events.jsonl'), JSON.stringify({ v: 1, t: Date.now() / 1000, step: 3, type: 'metrics', success_rate: 0.5 }) + '\n');
  await vs.page.locator('.pane-body .monaco-list-row', { hasText: 'doomed-run' }).filter({ hasText: 'success 50%' }).waitFor({ timeout: 30_000 });
  assert.match((await vs.page.locator('.pane-body .monaco-list-row', { hasText: 'doomed-run' }).textContent())!, /running/);
  // ... then the host records its failure the way it does (run.json status and reason).
  const reason = 'the run failed in step 3: ValueError: sequence of 612 tokens exceeds max_seq_len 512';
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ ...run, status: 'failed', reason, ended: Date.now() / 1000 }));
  const toast = vs.page.locator('.notifications-toasts', { hasText: `ActFocus run doomed-run failed: ${reason}` });
  await toast.waitFor({ timeout: 30_000 });
  assert.ok(await toast.locator('.monaco-button', { hasText: 'Show Log' }).count() >= 1);
  await screenshot(vs.page, 'run-failed-notification');
});
