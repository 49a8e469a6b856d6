// The trajectory viewer bundle in real Chromium under the extension's CSP: overlays and tooltips match
// the record, what-if weights equal the shared vectors, hostile text stays text, keyboard/find/filter,
// side by side, and lazy rendering of a 50,000-token trajectory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from '../support/browser';
import { posted, send, serveWebview } from '../support/webviewHarness';
import type { ToViewer, TrajectoryPayload } from '../../src/common/messages';
import { HOSTILE, makePayload } from '../support/trajectoryFixture';

let browser: Browser;
let server: Awaited<ReturnType<typeof serveWebview>>;
let page: Page;
const errors: string[] = [];

const open = (p: TrajectoryPayload, extra: Partial<Extract<ToViewer, { t: 'open' }>> = {}): ToViewer => ({
  t: 'open', primary: p, siblings: [{ position: 9, index: 4, reward: -1, success: false }], hparams: { alpha: 0.1, beta: 0.5, signal: 'energy', weighting: 'actfocus', sigma_eps: 1e-6, other_weight: 1 }, ...extra,
});

async function tooltipFor(i: number): Promise<Record<string, string>> {
  await page.hover(`.pane[data-index="0"] .tok[data-i="${i}"]`);
  await page.waitForFunction((k) => document.getElementById('tooltip')!.dataset.token === String(k), i);
  const lines = await page.$$eval('#tooltip div', (ds) => ds.map((d) => d.textContent!));
  return Object.fromEntries(lines.slice(2).map((l) => [l.slice(0, l.lastIndexOf(' ')), l.slice(l.lastIndexOf(' ') + 1)]));
}

before(async () => {
  browser = await launchChromium();
  server = await serveWebview('trajectory');
  page = await openPage(browser, { viewport: { width: 1200, height: 800 } });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(server.url);
  await page.waitForFunction(() => (window as any).__posted.length > 0);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('hostile token and observation text renders as text and runs nothing', async () => {
  assert.deepEqual((await posted(page))[0], { t: 'ready' });
  await send(page, open(makePayload(60)));
  await page.waitForSelector('.pane .tok[data-i="59"]');
  assert.equal(await page.locator('#panes img, #panes script, #panes b').count(), 0);
  assert.equal(await page.evaluate(() => (window as any).__pwned), undefined);
  assert.equal(await page.textContent('.tok[data-i="0"]'), HOSTILE[0]);
  assert.equal(await page.textContent('.tok[data-i="1"]'), HOSTILE[1]);
  assert.match((await page.textContent('.obs'))!, /<img src=x onerror/);
});

test('a bidi override or invisible character in a token is shown as a marker and cannot reorder the tokens after it', async () => {
  const p = makePayload(12);
  const texts = p.columns.text as string[];
  // A right-to-left override, then plain tokens: unchecked, the override would display them reversed.
  texts.splice(0, 12, ' move', '\u202e', ' Left', ' Up', ' Down', '\u200b', ' Right', '\u2067x', ' end', '\u0007', ' a', ' b');
  p.columns.role = Array(12).fill(0);
  await send(page, open(p, { primary: { ...p, position: 77 } }));
  await page.waitForSelector('.pane .tok[data-i="11"]');
  await page.waitForFunction(() => document.querySelector('.pane .tok[data-i="2"]')?.textContent === ' Left');
  // What the user reads is what the model produced: the tokens after the override run left to right.
  const xs = await page.$$eval('.pane[data-index="0"] .tok', (ts) => ts.slice(2, 5).map((t) => t.getBoundingClientRect().left));
  assert.ok(xs[0]! < xs[1]! && xs[1]! < xs[2]!, `tokens 2..4 are laid out right to left: ${xs.join(', ')}`);
  assert.equal(await page.textContent('.pane[data-index="0"] .tok[data-i="1"]'), '⟨RLO⟩');
  assert.equal(await page.textContent('.pane[data-index="0"] .tok[data-i="5"]'), '⟨ZWSP⟩');
  assert.equal(await page.textContent('.pane[data-index="0"] .tok[data-i="7"]'), '⟨RLI⟩x');
  assert.equal(await page.textContent('.pane[data-index="0"] .tok[data-i="9"]'), '⟨U+0007⟩');
  // The tooltip names the hidden character instead of carrying it.
  await page.hover('.pane[data-index="0"] .tok[data-i="1"]');
  await page.waitForFunction(() => document.getElementById('tooltip')!.dataset.token === '1');
  assert.equal(await page.$eval('#tooltip div', (d) => d.textContent), 'token 1: "⟨RLO⟩"');
  await page.mouse.move(0, 0);
  await send(page, open(makePayload(60))); // the next tests read the first test's trajectory
  await page.waitForSelector('.pane .tok[data-i="59"]');
});

test('a token whose text the store cut is marked, with its original length', async () => {
  const p = makePayload(8);
  p.header.cut = [[3, 80_000]];
  await send(page, open(p, { primary: { ...p, position: 78 } }));
  await page.waitForFunction(() => document.querySelector('.pane .tok[data-i="3"] .cut') !== null);
  assert.equal(await page.textContent('.pane[data-index="0"] .tok[data-i="3"] .cut'), '⟨cut: 80000 bytes⟩');
  assert.equal(await page.locator('.pane[data-index="0"] .cut').count(), 1);
  await send(page, open(makePayload(60))); // the next tests read the first test's trajectory
  await page.waitForSelector('.pane .tok[data-i="59"]');
});

test('role overlay and tooltips show the record', async () => {
  const p = makePayload(60);
  const roles = await page.$$eval('.pane[data-index="0"] .tok', (s) => s.map((x) => /role-(\w+)/.exec(x.className)![1]));
  assert.deepEqual(roles, (p.columns.role as number[]).map((r) => ['reasoning', 'action', 'other'][r]));
  const tip = await tooltipFor(13);
  for (const k of ['logprob', 'ref_logprob', 'entropy', 'ref_entropy', 'energy', 'weight', 'advantage']) {
    assert.equal(tip[k], (p.columns[k] as number[])[13]!.toFixed(4), k);
  }
});

test('numeric overlays colour each token by its value on the legend scale', async () => {
  const p = makePayload(60);
  for (const overlay of ['energy', 'advantage']) {
    await page.selectOption('#overlay', overlay);
    const values = p.columns[overlay] as number[];
    // Expected from the documented rule, not from the code under test: the scale runs from the 2nd to the
    // 98th percentile (of 60 values: the 2nd smallest to the 2nd largest), heat = position in it, 0..10.
    const sorted = [...values].sort((a, b) => a - b);
    const lo = sorted[1]!, hi = sorted[58]!;
    const got = await page.$$eval('.pane[data-index="0"] .tok', (s) => s.map((x) => Number(/heat-(\d+)/.exec(x.className)![1])));
    assert.deepEqual(got, values.map((v) => Math.round(Math.min(1, Math.max(0, (v - lo) / (hi - lo))) * 10)));
    assert.ok(got.includes(0) && got.includes(10), 'the scale spans the values');
    assert.equal(await page.textContent('#legend-lo'), lo.toPrecision(3));
    assert.equal(await page.textContent('#legend-hi'), hi.toPrecision(3));
  }
});

test('what-if weights equal the shared vectors (test/vectors/weights.json)', async () => {
  const cases = JSON.parse(readFileSync(join(__dirname, '..', 'vectors', 'weights.json'), 'utf8')).cases as any[];
  for (const [k, c] of cases.entries()) {
    const n = c.roles.length;
    await send(page, open(makePayload(n, { roles: c.roles, energy: c.signal }), { hparams: { alpha: c.alpha, beta: c.beta, signal: 'energy', weighting: 'actfocus', sigma_eps: c.eps, other_weight: c.other_weight },
      signalStats: c.stats ? { mu: c.stats[0], sigma: c.stats[1] } : undefined }));
    await page.waitForSelector(`.pane .tok[data-i="${n - 1}"]`);
    for (const i of [0, 1, Math.floor(n / 2), n - 1]) {
      const tip = await tooltipFor(i);
      assert.ok(Math.abs(Number(tip['what-if weight']) - c.expected[i]) <= 5e-5, `case ${k} token ${i}: ${tip['what-if weight']} vs ${c.expected[i]}`);
    }
  }
});

test('moving the what-if sliders recomputes the weights and the mass readout at once', async () => {
  await send(page, open(makePayload(60)));
  await page.waitForSelector('.pane .tok[data-i="59"]');
  const before = Number(await page.getAttribute('#mass-readout', 'data-action'));
  await page.$eval('#wi-alpha', (s) => { (s as HTMLInputElement).value = '0.02'; s.dispatchEvent(new Event('input')); });
  const after = Number(await page.getAttribute('#mass-readout', 'data-action'));
  assert.ok(after > before, `action mass ${before} → ${after}`);
  assert.equal(await page.inputValue('#overlay'), 'whatif');
  const tip = await tooltipFor(0); // token 0 is reasoning: its weight is alpha
  assert.equal(tip['what-if weight'], '0.0200');
  await page.click('#send-hparams');
  assert.deepEqual((await posted(page)).at(-1), { t: 'sendToHParams', values: { weighting: 'actfocus', alpha: 0.02, beta: 0.5, signal: 'energy' } });
});

test('keyboard navigation, find and role filter', async () => {
  await page.focus('#panes');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.getElementById('tooltip')!.dataset.token === '0');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.getElementById('tooltip')!.dataset.token === '1');
  await page.keyboard.press('End');
  await page.waitForFunction(() => document.getElementById('tooltip')!.dataset.token === '59');
  await page.fill('#find', 'down');
  assert.equal(await page.textContent('#find-count'), '10 tokens'); // " Down" is every 6th token
  await page.press('#find', 'Enter');
  await page.waitForFunction(() => document.querySelector('.tok.cursor')?.getAttribute('data-i') === '3');
  assert.equal(await page.locator('.tok.match').count(), 10);
  await page.fill('#find', '');
  await page.uncheck('#filter-reasoning');
  const dimmed = await page.$$eval('.tok.dim', (s) => s.map((x) => /role-(\w+)|heat/.exec(x.className) && x.getAttribute('data-i')));
  const p = makePayload(60);
  assert.equal(dimmed.length, (p.columns.role as number[]).filter((r) => r === 0).length);
  await page.check('#filter-reasoning');
});

test("a model's scores: the largest difference from the logged energies, over how many tokens; a model that scored nothing says so", async () => {
  await send(page, open(makePayload(60)));
  const p = makePayload(60);
  const logged = p.columns.energy as number[];
  const scores = (energy: number[]): ToViewer => ({ t: 'scores', model: 'm', model_energy: energy, model_logprob: energy.map(() => -1), model_entropy: energy.map(() => 1), tokensPerSecond: 100 });
  await send(page, scores(logged.map((e, i) => e + (i === 7 ? 0.03 : 0.001))));
  assert.equal(await page.textContent('#score-info'), 'scored with m: 100 tokens/s; max |model − logged energy| 0.0300 over 60 of 60 tokens');
  assert.equal(await page.inputValue('#overlay'), 'energy_diff');
  await send(page, scores(logged.map((e, i) => (i < 5 ? NaN : e))));
  assert.equal(await page.textContent('#score-info'), 'scored with m: 100 tokens/s; max |model − logged energy| 0.0000 over 55 of 60 tokens');
  assert.equal(await page.getAttribute('#score-info', 'class'), 'error');
  await send(page, scores(logged.map(() => NaN)));
  assert.equal(await page.textContent('#score-info'), 'scored with m: no token got a finite energy (60 tokens)');
  await page.selectOption('#overlay', 'role');
});

test('side by side with another rollout of the group', async () => {
  await page.selectOption('#compare', '9');
  assert.deepEqual((await posted(page)).at(-1), { t: 'compare', position: 9 });
  await send(page, { t: 'compare', trajectory: makePayload(30, { position: 9 }) });
  await page.waitForSelector('.pane[data-index="1"] .tok[data-i="29"]');
  assert.equal(await page.locator('#panes.two .pane').count(), 2);
});

test('a 50,000-token trajectory renders lazily and scrolls to its end', async () => {
  await send(page, open(makePayload(50_000)));
  await page.waitForSelector('.pane .tok[data-i="0"]');
  const inDom = await page.locator('.tok').count();
  assert.ok(inDom < 6000, `${inDom} token spans in the DOM`);
  await page.focus('#panes');
  await page.keyboard.press('End');
  await page.waitForSelector('.tok[data-i="49999"]');
  assert.ok((await page.locator('.tok').count()) < 12_000);
  assert.deepEqual(errors, []);
});
