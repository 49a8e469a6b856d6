// The Hyperparameters view bundle in real Chromium: every knob from hparams.json, inline validation,
// apply (live settings only) and use-for-next-run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from '../support/browser';
import { posted, send, serveWebview } from '../support/webviewHarness';
import { HPARAMS } from '../../src/common/hparams';

let browser: Browser;
let server: Awaited<ReturnType<typeof serveWebview>>;
let page: Page;
const errors: string[] = [];

before(async () => {
  browser = await launchChromium();
  server = await serveWebview('hparams');
  page = await openPage(browser);
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.waitForFunction(() => (window as any).__posted.length > 0);
  await send(page, { t: 'init', values: Object.fromEntries(HPARAMS.map((h) => [h.name, h.default])), runs: [{ id: 'run-a', status: 'running' }], target: 'run-a' });
  await page.waitForFunction(() => (document.getElementById('target') as HTMLSelectElement).value === 'run-a');
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('every hyperparameter has a field, filled with its value; live ones are marked', async () => {
  assert.equal(await page.locator('.hp-row').count(), HPARAMS.length);
  assert.equal(await page.inputValue('#hp-alpha'), '0.1');
  assert.equal(await page.inputValue('#hp-signal'), 'energy');
  assert.equal(await page.locator('.hp-row[data-name="alpha"] .live-badge').count(), 1);
  assert.equal(await page.locator('.hp-row[data-name="env"] .live-badge').count(), 0);
});

test('out-of-range values are flagged inline and nothing is sent', async () => {
  await page.fill('#hp-alpha', '1.5');
  assert.equal(await page.textContent('#hp-alpha-error'), 'alpha: 1.5 is out of range; allowed 0 to 1');
  const before = (await posted(page)).length;
  await page.click('#apply');
  assert.equal((await posted(page)).length, before);
  assert.equal(await page.textContent('#result'), 'Fix the highlighted values first');
});

test('apply sends the live settings to the selected run', async () => {
  await page.fill('#hp-alpha', '0.3');
  assert.equal(await page.textContent('#hp-alpha-error'), '');
  await page.click('#apply');
  const msg = (await posted(page)).at(-1) as { t: string; runId: string; values: Record<string, unknown> };
  assert.equal(msg.t, 'apply');
  assert.equal(msg.runId, 'run-a');
  assert.equal(msg.values.alpha, 0.3);
  assert.deepEqual(Object.keys(msg.values).sort(), HPARAMS.filter((h) => h.live).map((h) => h.name).sort());
  await send(page, { t: 'result', ok: true, message: 'Hyperparameter change applied to run-a (alpha=0.3)' });
  await page.waitForFunction(() => document.getElementById('result')!.textContent!.includes('applied'));
});

test('use for next run sends every setting', async () => {
  await page.selectOption('#hp-env', 'sokoban');
  await page.click('#use-next');
  const msg = (await posted(page)).at(-1) as { t: string; values: Record<string, unknown> };
  assert.equal(msg.t, 'useForNext');
  assert.equal(msg.values.env, 'sokoban');
  assert.equal(Object.keys(msg.values).length, HPARAMS.length);
  assert.deepEqual(errors, []);
});
