// The dashboard bundle in real Chromium, under the same CSP as in VS Code, fed the extension's messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openPage } from '../support/browser';
import { posted, send, serveWebview } from '../support/webviewHarness';
import type { ToDashboard } from '../../src/common/messages';
import { applyEvents, deltaSince, emptyCursor, emptyRunData, type DataCursor, type RunData } from '../../src/common/runData';
import type { RunEvent } from '../../src/protocol/types.generated';
import { rawPoints, SeriesStore } from '../../src/common/seriesStore';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { python, ROOT } from '../support/python';

let browser: Browser;
let server: Awaited<ReturnType<typeof serveWebview>>;
let page: Page;
const errors: string[] = [];
const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

function metrics(step: number): RunEvent {
  return { v: 1, t: 1000 + step * 6, step, type: 'metrics', success_rate: step / 20, reward_mean: step / 10 - 0.5, 'diag/share_action': 0.1, 'diag/rho_action': 0.5, 'diag/rho_reasoning': 0, 'diag/rho_full': 0.2,
    'diag/rho_action_pooled': 0.4, 'diag/rho_action_pooled_lo': 0.1, 'diag/rho_action_pooled_hi': 0.7,
    'eval/success_of_optimum': step / 25, 'eval/success_of_expert': step / 20 } as RunEvent;
}

/** What the extension holds per run and how much of it the webview has (same pure code as the extension). */
const sent = new Map<string, { data: RunData; cursor: DataCursor }>();

/** The data message the extension would send after these events; reset: the run's files were rewritten. */
function dataMessage(runId: string, events: RunEvent[], reset = true): ToDashboard {
  const run = reset || !sent.has(runId) ? { data: emptyRunData(), cursor: emptyCursor() } : sent.get(runId)!;
  applyEvents(run.data, events);
  const { delta, cursor } = deltaSince(run.data, run.cursor);
  sent.set(runId, { data: run.data, cursor });
  return { t: 'data', runId, reset, delta };
}

/** Every chart marked for drawing has been drawn (on screen within frames, off screen once the page is quiet). */
const settle = () => page.waitForFunction(() => document.body.dataset.pendingCharts === '0');
const pointsOf = (id: string) => page.$eval(`#chart-${id}`, (c) => Number((c as HTMLCanvasElement).dataset.points ?? -1));

before(async () => {
  browser = await launchChromium();
  server = await serveWebview('dashboard');
  page = await openPage(browser);
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
  const msg: ToDashboard = { t: 'init', extensionVersion: '9.9.9', selected: ['run-a'], runs: [
    { id: 'run-a', status: 'running', step: 3, totalSteps: 10, successRate: 0.5 },
    { id: hostile, status: 'dead', step: 1, totalSteps: 10, problem: 'host died' },
  ] };
  await send(page, msg);
  await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Connected'));
  assert.equal(await page.textContent('#status'), 'Connected to ActFocus 9.9.9 · 2 run(s)');
  assert.deepEqual(await page.$$eval('#runs .run-name', (els) => els.map((e) => e.textContent)), ['run-a', hostile]);
  assert.equal(await page.textContent(`#runs li:nth-child(2) .run-status`), 'failed (host died)');
  assert.equal(await page.locator('#runs img, #runs script').count(), 0);
  assert.equal(await page.evaluate(() => (window as any).__pwned), undefined);
  assert.equal(await page.$eval('#runs li:nth-child(1) input', (i) => (i as HTMLInputElement).checked), true);
  // A chart shown only with data is hidden from the start, so the grid does not move when data comes.
  assert.equal(await page.isVisible('#chart-warmstart'), false);
});

test('run data draws every chart; live appends add points; hyperparameter changes become markers', async () => {
  const events = Array.from({ length: 20 }, (_, i) => metrics(i + 1));
  await send(page, dataMessage('run-a', events));
  // Charts are drawn over several frames (and off-screen ones when the page is quiet): wait for all of them.
  await settle();
  assert.equal(await pointsOf('success'), 20);
  assert.equal(await pointsOf('rho_step'), 60); // three scopes
  assert.equal(await pointsOf('rho'), 60); // the pooled action line and its interval's two edges
  assert.equal(await pointsOf('share'), 20);
  assert.equal(await pointsOf('reference'), 40); // success as a fraction of the optimum and of the expert
  // A live append (not a reset) with a hyperparameter change.
  await send(page, dataMessage('run-a', [{ v: 1, t: 2000, step: 20, type: 'hparams', source: 'request', values: { alpha: 0.3 }, previous: { alpha: 0.1 }, request: 'r1' }, metrics(21),
    { v: 1, t: 2001, step: 21, type: 'log', level: 'warning', message: hostile }], false));
  await page.waitForFunction(() => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.points) === 21);
  assert.equal(await page.$eval('#chart-success', (c) => (c as HTMLCanvasElement).dataset.markers), '1');
  assert.match((await page.textContent('#log'))!, /warning/);
  assert.ok((await page.textContent('#log'))!.includes(hostile));
  assert.equal(await page.locator('#log img, #log script').count(), 0);
});

test('smoothing a short run keeps one point per step, and is remembered', async () => {
  await page.$eval('#smoothing', (s) => {
    (s as HTMLInputElement).value = '0.9';
    s.dispatchEvent(new Event('input'));
  });
  await page.waitForFunction(() => document.getElementById('smoothing-value')!.textContent === '0.90');
  await settle();
  assert.equal(await pointsOf('success'), 21);
  assert.equal(await page.evaluate(() => (window as any).__state.smoothing), 0.9);
});

test('drag to zoom; live appends keep the zoom; reset shows everything', async () => {
  const box = (await page.locator('#chart-reward').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => (document.getElementById('chart-success') as HTMLCanvasElement).dataset.xRange !== '');
  const range = (await page.$eval('#chart-success', (c) => (c as HTMLCanvasElement).dataset.xRange))!.split(',').map(Number);
  assert.ok(range[0]! > 1 && range[1]! < 21 && range[0]! < range[1]!, `zoomed to ${range}`);
  await send(page, dataMessage('run-a', [metrics(22)], false));
  await page.waitForFunction(() => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.points) === 22);
  assert.equal(await page.$eval('#chart-success', (c) => (c as HTMLCanvasElement).dataset.xRange), range.map((v) => v.toFixed(2)).join(','));
  await page.click('#reset-zoom');
  await page.waitForFunction(() => (document.getElementById('chart-success') as HTMLCanvasElement).dataset.xRange === '');
});

test('log filter by level and search', async () => {
  await page.selectOption('#log-level', 'error');
  assert.doesNotMatch((await page.textContent('#log'))!, /warning/);
  await page.selectOption('#log-level', 'debug');
  await page.fill('#log-search', 'onerror');
  assert.equal(await page.locator('#log .log-line').count(), 1);
  await page.fill('#log-search', '');
});

test('a live append draws again only the charts of its metrics; log lines alone draw no chart', async () => {
  const draws = () => page.$$eval('canvas[id^="chart-"]', (cs) => Object.fromEntries(cs.map((c) => [c.id, Number((c as HTMLCanvasElement).dataset.draws ?? 0)])));
  await settle();
  const before = await draws();
  await send(page, dataMessage('run-a', [{ v: 1, t: 2002, step: 21, type: 'log', level: 'info', message: 'only a log line' }], false));
  await page.waitForFunction(() => document.getElementById('log')!.textContent!.includes('only a log line'));
  await settle();
  assert.deepEqual(await draws(), before);
  await send(page, dataMessage('run-a', [{ v: 1, t: 2003, step: 22, type: 'metrics', kl_ref: 0.02 } as RunEvent], false));
  await page.waitForFunction((n) => Number((document.getElementById('chart-kl') as HTMLCanvasElement).dataset.draws) > n, before['chart-kl']!);
  await settle();
  const after = await draws();
  assert.deepEqual(Object.keys(after).filter((id) => after[id] !== before[id]), ['chart-kl']);
});

test('overlaying a second run posts the selection and draws both', async () => {
  await send(page, { t: 'runs', runs: [{ id: 'run-a', status: 'running', step: 21, totalSteps: 30 }, { id: 'run-b', status: 'completed', step: 5, totalSteps: 5 }] });
  await page.check('#runs li[data-run="run-b"] input');
  assert.deepEqual((await posted(page)).at(-1), { t: 'select', runIds: ['run-a', 'run-b'] });
  await send(page, dataMessage('run-b', Array.from({ length: 5 }, (_, i) => metrics(i + 1))));
  await page.waitForFunction(() => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.points) === 27);
});

test('controls, CSV export and PNG post typed messages', async () => {
  await page.click('#ctl-pause');
  assert.deepEqual((await posted(page)).at(-1), { t: 'control', runId: 'run-a', action: 'pause' });
  await send(page, { t: 'answer', runId: 'run-a', action: 'pause', type: 'ack', message: 'Pause applied to run-a' });
  await page.waitForFunction(() => document.getElementById('answer')!.textContent === 'Pause applied to run-a');
  await page.click('#export-csv');
  assert.deepEqual((await posted(page)).at(-1), { t: 'exportCsv', runIds: ['run-a', 'run-b'] });
  await page.click('#png-reward');
  const png = (await posted(page)).at(-1) as { t: string; name: string; dataUrl: string };
  assert.equal(png.t, 'savePng');
  assert.equal(png.name, 'reward');
  assert.ok(png.dataUrl.startsWith('data:image/png;base64,') && png.dataUrl.length > 1000);
});

test('a reset replaces the run data (its files were rewritten)', async () => {
  await send(page, dataMessage('run-b', [metrics(1)]));
  await page.waitForFunction(() => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.points) === 23);
});

test('the run list changes in place: a new status or number touches its row only; metrics alone leave the log as it is', async () => {
  // Marks on the nodes survive only if the list and the log are updated, not rebuilt.
  await page.evaluate(() => {
    for (const n of document.querySelectorAll('#runs li, #log .log-line')) (n as HTMLElement & { __kept?: boolean }).__kept = true;
  });
  const kept = (sel: string) => page.$$eval(sel, (ns) => ns.map((n) => (n as HTMLElement & { __kept?: boolean }).__kept === true));
  const checked = await page.$$eval('#runs li input', (bs) => bs.map((b) => (b as HTMLInputElement).checked));
  await send(page, { t: 'runs', runs: [{ id: 'run-a', status: 'paused', step: 22, totalSteps: 30, successRate: 0.25 }, { id: 'run-b', status: 'completed', step: 5, totalSteps: 5 }] });
  await page.waitForFunction(() => document.querySelector('#runs li[data-run="run-a"] .run-status')!.textContent === 'paused');
  assert.match((await page.textContent('#runs li[data-run="run-a"] .run-where'))!, /success 25%/);
  assert.deepEqual(await kept('#runs li'), [true, true]);
  assert.deepEqual(await page.$$eval('#runs li input', (bs) => bs.map((b) => (b as HTMLInputElement).checked)), checked);
  const logLines = await page.locator('#log .log-line').count();
  assert.ok(logLines > 0);
  await send(page, dataMessage('run-a', [metrics(23)], false));
  await settle();
  assert.deepEqual(await kept('#log .log-line'), Array(logLines).fill(true));
  // A run that goes away loses its row; one that comes back gets a new one.
  await send(page, { t: 'runs', runs: [{ id: 'run-a', status: 'running', step: 23, totalSteps: 30 }] });
  await page.waitForFunction(() => document.querySelectorAll('#runs li').length === 1);
  await send(page, { t: 'runs', runs: [{ id: 'run-a', status: 'running', step: 23, totalSteps: 30 }, { id: 'run-b', status: 'completed', step: 5, totalSteps: 5 }] });
  await page.waitForFunction(() => document.querySelectorAll('#runs li').length === 2);
  assert.deepEqual(await kept('#runs li'), [true, false]);
  await send(page, dataMessage('run-b', [metrics(1)])); // its data went with it; the next test draws it
});

test('a selection made by the extension (a run opened from the Runs view) is shown and drawn', async () => {
  await send(page, { t: 'selected', runIds: ['run-b'] });
  await page.waitForFunction(() => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.points) === 1);
  assert.equal(await page.isChecked('#runs li[data-run="run-b"] input'), true);
  assert.equal(await page.isChecked('#runs li[data-run="run-a"] input'), false);
});

test('a run in its warm start shows the phase, its progress and the loss chart above the others; training hides them', async () => {
  const warm = { id: 'run-w', status: 'running', step: 0, totalSteps: 50, phase: 'pretraining', progress: { done: 120, total: 400, unit: 'steps' } };
  await send(page, { t: 'runs', runs: [{ id: 'run-a', status: 'running', step: 3, totalSteps: 10 }, warm] });
  await send(page, { t: 'selected', runIds: ['run-w'] });
  const progress = (done: number, loss: number): RunEvent => ({ v: 1, t: 900 + done, step: 0, type: 'progress', phase: 'pretraining', done, total: 400, loss });
  await send(page, dataMessage('run-w', [progress(40, 2.5), progress(80, 0.9), progress(120, 0.2841)]));
  await page.waitForFunction(() => Number((document.getElementById('chart-warmstart') as HTMLCanvasElement).dataset.points) === 3);
  assert.equal(await page.isVisible('#chart-warmstart'), true);
  assert.equal(await page.isVisible('#phase'), true);
  assert.equal(await page.textContent('#phase-text'), 'Warm start 120/400 (30%) · loss 0.284');
  assert.equal(await page.$eval('#phase-progress', (e) => (e as HTMLProgressElement).value), 0.3);
  assert.equal(await page.textContent('#runs li[data-run="run-w"] .run-where'), 'warm start 120/400 (30%)');
  // The warm-start chart is the first one: in view without scrolling while nothing else has data.
  assert.equal(await page.$eval('.chart-grid figure', (f) => f.querySelector('canvas')!.id), 'chart-warmstart');

  // Training started: the phase line goes; the warm-start chart stays for this run (it has data).
  await send(page, { t: 'runs', runs: [{ ...warm, step: 1, phase: 'training', progress: undefined }] });
  await page.waitForFunction(() => document.getElementById('phase')!.hidden);
  assert.equal(await page.isVisible('#phase'), false); // hidden for real, whatever the class's display says
  // A run without a warm start (a model of its own) has no warm-start chart at all.
  await send(page, { t: 'selected', runIds: ['run-b'] });
  await page.waitForFunction(() => (document.getElementById('chart-warmstart') as HTMLElement).closest('figure')!.hidden);
  assert.equal(await page.isVisible('#chart-warmstart'), false);
  assert.equal(await page.isVisible('#chart-success'), true);
});

test('a warm start that reports its loss more often than once a second shows its loss chart while it runs', async () => {
  // Off-screen charts wait for a quiet second; the warm-start chart is hidden until it has data, so it had
  // to be shown on its data first, else it stayed hidden until the warm start ended.
  const warm = { id: 'run-w2', status: 'running', step: 0, totalSteps: 50, phase: 'pretraining', progress: { done: 0, total: 400, unit: 'steps' } };
  await send(page, { t: 'runs', runs: [{ id: 'run-a', status: 'running', step: 3, totalSteps: 10 }, warm] });
  await send(page, { t: 'selected', runIds: ['run-w2'] });
  await page.evaluate(() => window.scrollTo(0, 0));
  const progress = (done: number): RunEvent => ({ v: 1, t: 2000 + done / 10, step: 0, type: 'progress', phase: 'pretraining', done, total: 400, loss: 3 / done });
  // The run's data is here before its first loss (as a run's start is), so the loss comes as a delta.
  await send(page, dataMessage('run-w2', [{ v: 1, t: 2000, step: 0, type: 'log', level: 'info', message: 'warm start' } as RunEvent]));
  await settle();
  assert.equal(await page.isVisible('#chart-warmstart'), false); // no loss yet: no chart
  let done = 0;
  let streaming = true;
  const stream = (async () => {
    while (streaming && done < 400) {
      done += 8;
      await send(page, dataMessage('run-w2', [progress(done)], false));
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  try {
    await page.waitForFunction(() => Number((document.getElementById('chart-warmstart') as HTMLCanvasElement).dataset.points) >= 2, null, { timeout: 5_000 });
    assert.equal(await page.isVisible('#chart-warmstart'), true);
    assert.ok(done < 400 && streaming, 'drawn while the loss kept coming');
  } finally {
    streaming = false;
    await stream;
  }
});

test('100 overlaid runs draw the same points, line by line, as each run drawn alone', async () => {
  const p = await openPage(browser);
  p.on('pageerror', (e) => errors.push(e.message));
  try {
    await p.goto(server.url);
    const ids = Array.from({ length: 100 }, (_, i) => `sweep-${String(i).padStart(3, '0')}`);
    // Long enough that the store aggregates (1500 points: M4 buckets of 16), values differ per run, spikes.
    const eventsOf = (r: number): RunEvent[] => Array.from({ length: 1500 }, (_, i) => ({ v: 1, t: 1000 + 7 * i, step: i + 1, type: 'metrics',
      success_rate: ((i * (r + 3)) % 97) / 97, reward_mean: i === 40 * r ? 50 : Math.sin(i / (r + 5)),
      'diag/rho_action': Math.cos(i * r), 'diag/rho_reasoning': ((i + r) % 11) / 11 - 0.5, 'diag/rho_full': 0 }) as RunEvent);
    await send(p, { t: 'init', extensionVersion: '1', selected: [], runs: ids.map((id) => ({ id, status: 'completed', step: 1500, totalSteps: 1500 })) });
    for (const [r, id] of ids.entries()) {
      const d = emptyRunData();
      applyEvents(d, eventsOf(r));
      await send(p, { t: 'data', runId: id, reset: true, delta: deltaSince(d, emptyCursor()).delta });
    }
    type Lines = { run: string; label: string; data: { x: number; y: number }[] }[];
    const expected = { success: 1, reward: 1, rho_step: 3 };
    /** Once every chart draws exactly these runs' lines. */
    const drawnWith = async (runs: string[]): Promise<Record<string, Lines>> => {
      await p.waitForFunction(([e, want]) => Object.entries(e).every(([c, k]) => {
        const lines = (document.getElementById(`chart-${c}`) as unknown as { drawnLines: Lines }).drawnLines;
        return lines.length === k * want.length && want.every((id) => lines.filter((l) => l.run === id).length === k);
      }), [expected, runs] as const, { timeout: 60_000 });
      return p.evaluate((charts) => Object.fromEntries(charts.map((c) => [c, (document.getElementById(`chart-${c}`) as unknown as { drawnLines: Lines }).drawnLines])), Object.keys(expected));
    };
    await p.click('#runs-all');
    assert.deepEqual((await posted(p)).at(-1), { t: 'select', runIds: ids });
    const overlaid = await drawnWith(ids);
    assert.equal(await p.textContent('#run-count'), '100 of 100 overlaid');
    // Independently: the points are M4 of each run's full series (what a SeriesStore fed the events draws).
    for (const r of [0, 57]) {
      const store = new SeriesStore();
      for (const e of eventsOf(r)) store.push(e.step, e.t, (e as unknown as { reward_mean: number }).reward_mean);
      assert.deepEqual(overlaid.reward!.find((l) => l.label === `${ids[r]} · train`)!.data, rawPoints(store));
    }
    for (const id of ids) {
      await send(p, { t: 'selected', runIds: [id] });
      const alone = await drawnWith([id]);
      for (const chart of Object.keys(expected)) {
        for (const line of alone[chart]!) {
          const same = overlaid[chart]!.find((l) => l.label === `${id} · ${line.label}`);
          assert.ok(same, `${chart}: ${id} · ${line.label} is overlaid`);
          assert.deepEqual(same.data, line.data, `${chart}: ${id} · ${line.label}`);
        }
      }
    }
  } finally {
    await p.close();
  }
});

test('a chart of many lines is drawn from cached layers: the same pixels as chart.js drawing it directly, and an append or a toggle redraws one layer', async () => {
  const p = await openPage(browser);
  p.on('pageerror', (e) => errors.push(e.message));
  try {
    await p.goto(server.url);
    const ids = Array.from({ length: 60 }, (_, i) => `layer-${String(i).padStart(2, '0')}`);
    // 290 steps: the x axis ends at its 300 tick, so an appended step 291 leaves the view as it is.
    const eventsOf = (r: number, from = 1, to = 290): RunEvent[] => Array.from({ length: to - from + 1 }, (_, i) => ({ v: 1, t: 1000 + 7 * (from + i), step: from + i, type: 'metrics',
      success_rate: (((from + i) * (r + 3)) % 97) / 97, 'diag/rho_action': Math.cos((from + i) * r), 'diag/rho_reasoning': ((from + i + r) % 11) / 11 - 0.5, 'diag/rho_full': Math.sin((from + i) / (r + 2)) }) as RunEvent);
    await send(p, { t: 'init', extensionVersion: '1', selected: [], runs: ids.map((id) => ({ id, status: 'running', step: 290, totalSteps: 1000 })) });
    for (const [r, id] of ids.entries()) await send(p, dataMessage(id, eventsOf(r)));
    const chart = '#chart-rho_step'; // 3 lines a run: 180 lines
    type Canvas = HTMLCanvasElement & { layersRedrawn: number; linesUpdated: number; drawnLines: unknown[] };
    /** Lines whose points chart.js placed again (its update per dataset), since the chart was made. */
    const updated = () => p.$eval(chart, (c) => (c as Canvas).linesUpdated);
    const draws = () => p.$eval(chart, (c) => Number((c as HTMLCanvasElement).dataset.draws ?? 0));
    /** Does `act`, waits until the chart has drawn again (a message is handled after `send` returns) with `lines`
     *  lines and nothing is left to draw; the layers drawn so far. */
    const settled = async (lines: number, act: () => Promise<unknown>) => {
      const n = await draws();
      await act();
      await p.waitForFunction(([sel, k, was]) => Number((document.querySelector(sel) as HTMLCanvasElement).dataset.draws) > was
        && (document.querySelector(sel) as Canvas).drawnLines.length === k && document.body.dataset.pendingCharts === '0', [chart, lines, n] as const, { timeout: 60_000 });
      return p.$eval(chart, (c) => (c as Canvas).layersRedrawn);
    };
    /** How the chart differs from the picture kept under `name`: pixels off by more than 2 of 255, the largest
     *  difference, pixels painted. Layers are blended in another order than line by line, and a canvas rounds
     *  each blend to 8 bits: where many lines cross one pixel that rounding adds up to a few units (10 seen at
     *  the chart's edges, where 180 lines run together); a line misplaced, missing or stale differs by far more. */
    const keep = (name: string) => p.$eval(chart, (c, n) => { (window as any)[n] = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data; }, name);
    const differing = (name: string) => p.$eval(chart, (c, n) => {
      const now = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
      const was = (window as any)[n] as Uint8ClampedArray;
      let off = 0, max = 0, painted = 0;
      for (let i = 0; i < now.length; i += 4) {
        if (now[i + 3]! > 0) painted++;
        let d = 0;
        for (let k = 0; k < 4; k++) d = Math.max(d, Math.abs(now[i + k]! - was[i + k]!));
        if (d > 2) off++;
        max = Math.max(max, d);
      }
      return { off, max, painted };
    }, name);
    /** The same view drawn by chart.js directly, then again from layers (a view change redraws every chart). */
    const checked = () => p.evaluate(() => [...document.querySelectorAll<HTMLInputElement>('#runs input:checked')].map((b) => b.closest('li')!.dataset.run!));
    const redraw = async () => send(p, { t: 'selected', runIds: await checked() }); // a view change: every chart drawn again
    const direct = async (name: string, lines: number) => {
      await p.evaluate(() => { document.body.dataset.layers = 'off'; });
      await settled(lines, redraw);
      await keep(name);
      await p.evaluate(() => { delete document.body.dataset.layers; });
    };

    const first = await settled(180, () => p.click('#runs-all'));
    assert.ok(first >= 5, `each of the 5 layers (12 runs each) drawn: ${first}`);
    await keep('layered');
    await direct('direct', 180);
    const same = (d: { off: number; max: number; painted: number }, what: string) =>
      assert.ok(d.painted > 10_000 && d.off <= d.painted / 100 && d.max <= 16, `${what}: ${JSON.stringify(d)}`);
    same(await differing('layered'), 'drawn from layers, the chart is the picture chart.js draws directly');

    // Back on layers (every layer drawn again for the view change), then one run's point appended.
    const before = await settled(180, redraw);
    const updatedBefore = await updated();
    const afterAppend = await settled(180, () => send(p, dataMessage(ids[17]!, eventsOf(17, 291, 291), false)));
    assert.equal(await p.$eval(chart, (c) => (c as HTMLCanvasElement).dataset.lastX), '291');
    assert.equal(afterAppend - before, 1, 'an appended point redraws its run\'s layer only');
    assert.equal(await updated() - updatedBefore, 3, 'and chart.js places the points of that run\'s 3 lines only');
    await keep('appended');
    await direct('direct2', 180);
    same(await differing('appended'), 'after the append too');

    // One run unchecked: its layer is drawn again, no other; the other runs keep their colours.
    const n0 = await settled(180, redraw);
    const swatches = () => p.$$eval('#runs li', (lis) => lis.map((li) => [li.getAttribute('data-run'), (li.querySelector('.swatch') as HTMLElement).style.background]));
    const colours = new Map((await swatches()) as [string, string][]);
    const n1 = await settled(177, () => p.click(`li[data-run="${ids[30]}"] input`));
    assert.equal(n1 - n0, 1, 'unchecking a run redraws its layer only');
    for (const [id, colour] of (await swatches()) as [string, string][]) if (id !== ids[30]) assert.equal(colour, colours.get(id), `${id} keeps its colour`);
    await keep('toggled');
    await direct('direct3', 177);
    same(await differing('toggled'), 'after the toggle too');

    // The view alone changes (zoomed in on x; the data as it was): every layer is drawn again.
    const updatedBeforeZoom = await updated();
    const n2 = await settled(177, async () => {
      await p.locator(chart).scrollIntoViewIfNeeded();
      const box = (await p.locator(chart).boundingBox())!;
      await p.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
      await p.mouse.down();
      await p.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
      await p.mouse.up();
      await p.mouse.move(0, 0); // no point hovered
    });
    assert.ok(await p.$eval(chart, (c) => (c as HTMLCanvasElement).dataset.xRange !== ''), 'zoomed');
    assert.ok(n2 - n1 >= 5, `every layer drawn for the new view: ${n2 - n1}`);
    assert.ok(await updated() - updatedBeforeZoom >= 177, 'and every line placed again');
    await keep('zoomed');
    await direct('direct4', 177);
    same(await differing('zoomed'), 'zoomed');

    // With no time budget, a render draws one new layer and leaves the rest to the next frames: the chart
    // is not counted as drawn until it is whole, and then it is the same picture.
    await p.evaluate((sel) => {
      document.body.dataset.layerBudgetMs = '0';
      const c = document.querySelector(sel) as Canvas;
      (window as any).__atDraw = [];
      new MutationObserver(() => (window as any).__atDraw.push([c.layersRedrawn, document.body.dataset.pendingCharts, c.dataset.drawn])).observe(c, { attributes: true, attributeFilter: ['data-draws'] });
    }, chart);
    const drawnBefore = await p.$eval(chart, (c) => (c as HTMLCanvasElement).dataset.drawn);
    const n3 = await settled(177, redraw);
    const [[atDraw, pendingAtDraw, drawnAtDraw]] = await p.evaluate(() => (window as any).__atDraw) as [number, string, string][];
    // (Drawn directly just before, the chart starts its layers afresh: the count starts at 0.)
    assert.equal(atDraw, 1, 'the first render drew one of the five new layers');
    assert.notEqual(pendingAtDraw, '0', 'the chart counts as pending while layers are left');
    assert.equal(drawnAtDraw, drawnBefore, 'and is not stamped drawn');
    assert.equal(n3, 5, 'then the others, one a frame');
    await keep('progressive');
    await direct('direct5', 177);
    same(await differing('progressive'), 'drawn over several frames');
  } finally {
    await p.close();
  }
});

test('the pooled ρ and its interval band are what `actfocus diagnose` computes from the same real run', async () => {
  // A real run's files (test/vectors/pooled-rho-run: 12 steps of GRPO+ActFocus on FrozenLake with a small
  // built-in model, diag_window 4; written by `actfocus train`, see host/tests/test_pooled_rho.py).
  const dir = join(ROOT, 'test', 'vectors', 'pooled-rho-run');
  const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as RunEvent);
  const report = JSON.parse(python(['-m', 'actfocus', 'diagnose', dir, '--json'])) as { window: number; windowed: Record<string, number | null>[] };
  assert.equal(report.window, 4);
  const p = await openPage(browser);
  p.on('pageerror', (e) => errors.push(e.message));
  try {
    await p.goto(server.url);
    await send(p, { t: 'init', extensionVersion: '1', selected: ['real'], runs: [{ id: 'real', status: 'completed', step: 12, totalSteps: 12 }] });
    const d = emptyRunData();
    applyEvents(d, events);
    await send(p, { t: 'data', runId: 'real', reset: true, delta: deltaSince(d, emptyCursor()).delta });
    type Lines = { label: string; data: { x: number; y: number }[] }[];
    await p.waitForFunction(() => ((document.getElementById('chart-rho') as unknown as { drawnLines: Lines }).drawnLines.length === 9));
    const drawn = await p.evaluate(() => (document.getElementById('chart-rho') as unknown as { drawnLines: Lines }).drawnLines);
    let finite = 0;
    for (const scope of ['action', 'reasoning', 'full']) {
      for (const [label, key] of [[scope, `diag/rho_${scope}_pooled`], [`${scope} · 95 % lo`, `diag/rho_${scope}_pooled_lo`], [`${scope} · 95 % hi`, `diag/rho_${scope}_pooled_hi`]]) {
        const line = drawn.find((l) => l.label === label);
        assert.ok(line, `${label} is drawn`);
        assert.deepEqual(line.data.map((pt) => pt.x), report.windowed.map((r) => r.step), label);
        line.data.forEach((pt, i) => {
          const want = report.windowed[i]![key!];
          if (want === null) assert.ok(Number.isNaN(pt.y) || pt.y === null, `${label} at step ${pt.x}: no value in the report, none drawn`);
          else {
            finite++;
            assert.ok(Math.abs(pt.y - want!) <= 1e-12, `${label} at step ${pt.x}: drawn ${pt.y}, report ${want}`);
          }
        });
      }
    }
    assert.ok(finite >= 60, `the run has values to compare (${finite} of 108)`);
    // The band is filled between its edges and kept out of the legend (the three lines are the legend).
    assert.deepEqual(await p.evaluate(() => (document.getElementById('chart-rho') as unknown as { legendLabels: string[] }).legendLabels), ['action', 'reasoning', 'full']);
    assert.deepEqual(drawn.map((l) => (l as unknown as { fill: unknown }).fill), [false, false, '-1', false, false, '-1', false, false, '-1']);
  } finally {
    await p.close();
  }
});

test('while a live run keeps appending, a chart below the fold is drawn with the latest point once scrolled into view', async () => {
  // Off-screen charts wait while data keeps coming (drawing them then held up the charts on screen): the
  // user's scroll is what draws them.
  await send(page, { t: 'selected', runIds: ['run-live'] });
  await send(page, dataMessage('run-live', Array.from({ length: 30 }, (_, i) => ({ ...metrics(i + 1), loss: 0, pg_loss: 0 } as RunEvent))));
  await settle();
  await page.evaluate(() => window.scrollTo(0, 0));
  assert.ok(await page.$eval('#chart-loss', (c) => c.getBoundingClientRect().top > innerHeight), 'the loss chart starts below the fold');
  let step = 30;
  let streaming = true;
  const stream = (async () => {
    while (streaming) {
      await send(page, dataMessage('run-live', [{ ...metrics(++step), loss: -step / 100, pg_loss: -step / 50 } as RunEvent], false));
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  try {
    await page.waitForFunction(() => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.lastX) >= 33);
    await page.$eval('#chart-loss', (c) => c.scrollIntoView());
    const target = step;
    await page.waitForFunction((s) => Number((document.getElementById('chart-loss') as HTMLCanvasElement).dataset.lastX) >= s, target);
  } finally {
    streaming = false;
    await stream;
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await settle(); // and once the data stops, every chart is drawn
});

test('no errors under the strict CSP', () => {
  assert.deepEqual(errors, []);
});
