import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { posted, send, serveWebview } from '../support/webviewHarness';
import type { ToDashboard } from '../../src/common/messages';

let browser: Browser;
let server: Awaited<ReturnType<typeof serveWebview>>;
let page: Page;
const errors: string[] = [];

before(async () => {
  browser = await launchChromium();
  server = await serveWebview('dashboard');
  page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(server.url);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('the dashboard posts the ready handshake first', async () => {
  await page.waitForFunction(() => (window as any).__posted.length > 0);
  assert.deepEqual((await posted(page))[0], { t: 'ready' });
});

test('init renders the connection status and runs; run names are text, never HTML', async () => {
  const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  const msg: ToDashboard = { t: 'init', extensionVersion: '9.9.9', runs: [{ id: hostile, status: 'running', step: 3, totalSteps: 10 }] };
  await send(page, msg);
  await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Connected'));
  assert.equal(await page.textContent('#status'), 'Connected to ActFocus 9.9.9 · 1 run(s)');
  assert.equal(await page.textContent('#runs .run-name'), hostile);
  assert.equal(await page.locator('#runs img, #runs script').count(), 0);
  assert.equal(await page.evaluate(() => (window as any).__pwned), undefined);
});

test('Refresh posts a typed command', async () => {
  await page.click('#refresh');
  assert.deepEqual((await posted(page)).at(-1), { t: 'command', command: 'refresh' });
});

test('the chart renders under the strict CSP without errors', async () => {
  const size = await page.evaluate(() => {
    const c = document.getElementById('success-chart') as HTMLCanvasElement;
    return [c.width, c.height];
  });
  assert.ok(size[0]! > 0 && size[1]! > 0, `canvas size ${size}`);
  assert.deepEqual(errors, []);
});
