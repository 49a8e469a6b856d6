// The dashboard at sweep scale, in a real VS Code (code-server + Chromium): for each size (default 10, 30
// and 100 runs x 10,000 steps, each size in a fresh window) it measures
//   listed       window open → the dashboard lists every run (the extension has read every events file)
//   overlay      "Overlay all" clicked → the last run's data received, every run drawn on the success chart (on screen), and on every
//                chart (the off-screen ones are drawn when the page is idle); a build without that button
//                (the one before issue 18) gets each run's checkbox clicked in turn, as its users had to
//   input        while overlaying: round trips of a no-op script into the page (Playwright, from outside):
//                how long input waits for the page
//   toggle       one run's checkbox clicked → the success chart drawn without (or with) it and the frame
//                after it painted, both stamped on the page's clock from the input event
//   latency      a metrics line appended to one run's events.jsonl → the point drawn on the success chart
//                (machine clock on both sides), with every run overlaid and live (heartbeats); and → the
//                data message received by the page (the extension's and the transport's share)
//   memory       RSS of the extension-host process: a window on an empty runs folder, then N runs read, then all overlaid
// Per-run costs (overlay seconds and RSS per run) are reported at each size, to show how the cost grows.
//   node --import tsx bench/dashboard_latency.ts [--sizes 10,30,100] [--steps 10000] [--samples 60] [--toggles 10]
//        [--limit-s 300] [--json FILE] [--trace FILE]          ACTFOCUS_VSIX=path/to/other.vsix: measure another build
//   --trace FILE: a Chromium performance trace of the overlay, with V8's sampling profile (the last size's), for bench/trace_long_tasks.ts
import { appendFileSync, linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { findWebviewFrame, startVsCode, type VsCodeSession } from '../test/support/codeServer';
import { jsonOut, numArg, strArg } from './args';
import { summarise as stats } from './stats';

const SIZES = strArg('sizes', '10,30,100').split(',').map(Number);
const STEPS = numArg('steps', 10_000);
const SAMPLES = numArg('samples', 60); // p95 by nearest rank is then the 57th of 60, not one outlier
const TOGGLES = numArg('toggles', 10);
const LIMIT_S = numArg('limit-s', 300); // per phase; a build that takes longer is reported as not finishing
const JSON_OUT = jsonOut();
const TRACE = strArg('trace', '');

function metricsLine(step: number, t: number): string {
  const rec: Record<string, unknown> = { v: 1, t, step, type: 'metrics', success_rate: (step % 100) / 100, reward_mean: Math.sin(step / 50), kl_ref: 0.01, entropy: 1.2, loss: -0.01, pg_loss: -0.01 };
  // The names the host writes (docs/protocol.md): 16 of them are charted.
  for (const r of ['reasoning', 'action', 'other']) {
    rec[`diag/share_${r}`] = 0.1 + 0.05 * Math.cos(step / 30);
    rec[`diag/energy_${r}`] = Math.cos(step / 40 + r.length);
    rec[`diag/weight_${r}_mean`] = 1 + 0.1 * Math.sin(step / 60 + r.length);
    rec[`diag/weight_${r}_max`] = 2 + 0.1 * Math.sin(step / 60 + r.length);
  }
  for (const s of ['full', 'reasoning', 'action']) rec[`diag/rho_${s}`] = Math.sin(step / 7);
  return JSON.stringify(rec) + '\n';
}

/** N runs; every events file but the first (which receives the appends) is a hard link to one template. */
function makeRuns(ws: string, n: number, template: string): string[] {
  const ids = Array.from({ length: n }, (_, i) => `bench-${String(i).padStart(3, '0')}`);
  const t0 = Date.now() / 1000 - STEPS;
  ids.forEach((id, i) => {
    const dir = join(ws, 'runs', id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ schema_version: 1, id, config: { steps: STEPS * 2, env: 'sokoban', algo: 'grpo', weighting: 'actfocus' }, versions: {}, status: 'running', step: STEPS, created: t0, pid: 1, hostname: 'bench' }));
    if (i === 0) writeFileSync(join(dir, 'events.jsonl'), eventsText(t0));
    else linkSync(template, join(dir, 'events.jsonl'));
  });
  return ids;
}

function eventsText(t0: number): string {
  const parts: string[] = [];
  for (let s = 1; s <= STEPS; s++) parts.push(metricsLine(s, t0 + s));
  return parts.join('');
}

function beat(ws: string, ids: string[]): void {
  for (const id of ids) writeFileSync(join(ws, 'runs', id, 'heartbeat.json'), JSON.stringify({ v: 1, t: Date.now() / 1000, pid: 1, hostname: 'bench', interval_s: 2, step: STEPS, phase: 'training' }));
}

/** RSS (MiB) of code-server's extension-host process (one session runs at a time in this script). */
function extHostRss(): number {
  const ps = execFileSync('ps', ['-eo', 'pid,rss,args'], { encoding: 'utf8' }).split('\n');
  const rows = ps.filter((l) => l.includes('extensionHost') || l.includes('--type=extensionHost'));
  if (!rows.length) throw new Error('extension host process not found');
  return Math.max(...rows.map((l) => Number(l.trim().split(/\s+/)[1]) / 1024));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const datasetsOn = (frame: Frame, chart: string) => frame.$eval(`#chart-${chart}`, (c) => Number((c as HTMLCanvasElement).dataset.datasets ?? 0));

/** Round trips of a no-op into the page until `done` resolves: how long input would wait. */
async function probeInput(frame: Frame, done: Promise<unknown>): Promise<number[]> {
  let over = false;
  void done.finally(() => (over = true));
  const out: number[] = [];
  while (!over) {
    const t = performance.now();
    await frame.evaluate(() => 0);
    out.push(performance.now() - t);
    await sleep(50);
  }
  return out;
}

/** Stamps, on the page's clock, each checkbox change, the success chart's first draw after it, and the frame after that draw. */
async function instrument(frame: Frame): Promise<void> {
  await frame.evaluate(() => {
    const w = window as unknown as { __inputAt: number; __drawnAt: number; __paintedAt: number };
    document.addEventListener('change', () => {
      w.__inputAt = Date.now();
      w.__drawnAt = w.__paintedAt = 0;
    }, true);
    const canvas = document.getElementById('chart-success')!;
    new MutationObserver(() => {
      if (!w.__inputAt || w.__drawnAt) return;
      w.__drawnAt = Date.now();
      requestAnimationFrame(() => setTimeout(() => (w.__paintedAt = Date.now())));
    }).observe(canvas, { attributes: true, attributeFilter: ['data-drawn'] });
  });
}

async function measureSize(n: number, template: string, rssEmpty: number): Promise<Record<string, unknown>> {
  const ws = mkdtempSync(join(tmpdir(), 'actfocus-bench-ws-'));
  const ids = makeRuns(ws, n, template);
  beat(ws, ids);
  const beater = setInterval(() => beat(ws, ids), 1000);
  const out: Record<string, unknown> = { runs: n, steps: STEPS };
  const t0 = performance.now();
  const vs: VsCodeSession = await startVsCode({ workspace: ws, settings: { 'actfocus.dashboard.openOnStartup': true } });
  vs.page.on('console', (m) => { if (m.type() === 'error' || process.env.BENCH_DEBUG) console.error('page:', m.text().slice(0, 300)); });
  vs.page.on('pageerror', (e) => console.error('pageerror:', e.message.slice(0, 300)));
  try {
    const frame = await findWebviewFrame(vs.page, '#chart-success', 120_000);
    await frame.waitForFunction((k) => document.querySelectorAll('#runs li').length === k, n, { timeout: LIMIT_S * 1000, polling: 250 });
    out.listed_s = +((performance.now() - t0) / 1000).toFixed(2);
    await sleep(3000);
    out.rss_listed_mib = +extHostRss().toFixed(0);
    // Start from nothing overlaid (the dashboard opens with one run selected).
    const hasAll = (await frame.$('#runs-all')) !== null;
    if (hasAll) await frame.click('#runs-none');
    else while (await frame.$('#runs li input:checked')) { // the list is rebuilt after each click
      await frame.click('#runs li input:checked');
      await sleep(300);
    }
    await frame.waitForFunction(() => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.datasets ?? 0) === 0, null, { timeout: 60_000 });
    await instrument(frame);

    out.overlay_by = hasAll ? 'Overlay all (one click)' : `${n} checkbox clicks`;
    // Each data message's arrival (the page stamps body[data-data-at] on every one).
    await frame.evaluate(() => {
      const w = window as unknown as { __dataTimes: number[] };
      w.__dataTimes = [];
      new MutationObserver(() => w.__dataTimes.push(Number(document.body.dataset.dataAt))).observe(document.body, { attributes: true, attributeFilter: ['data-data-at'] });
    });
    const browser = vs.page.context().browser();
    if (TRACE && browser) await browser.startTracing(vs.page, { path: TRACE, categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'toplevel', 'disabled-by-default-v8.cpu_profiler'] });
    const t1 = performance.now();
    const clicked = Date.now();
    const overlay = (async () => {
      if (hasAll) await frame.click('#runs-all');
      else for (const id of ids) await frame.check(`#runs li[data-run="${id}"] input`, { timeout: LIMIT_S * 1000 });
      await frame.waitForFunction((k) => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.datasets) === k, n, { timeout: LIMIT_S * 1000, polling: 100 });
      out.overlay_success_chart_s = +((performance.now() - t1) / 1000).toFixed(2);
      // Every chart: 16 lines in all per run (the charted metrics this bench writes).
      await frame.waitForFunction((k) => [...document.querySelectorAll('canvas[id^="chart-"]')].reduce((a, c) => a + Number((c as HTMLCanvasElement).dataset.datasets ?? 0), 0) === k,
        16 * n, { timeout: LIMIT_S * 1000, polling: 100 });
      out.overlay_all_charts_s = +((performance.now() - t1) / 1000).toFixed(2);
      // When the last run's data reached the page: the rest of the overlay time is the page drawing.
      const times = await frame.evaluate(() => (window as unknown as { __dataTimes: number[] }).__dataTimes);
      out.overlay_data_first_s = +((times[0]! - clicked) / 1000).toFixed(2);
      out.overlay_data_in_s = +((times.at(-1)! - clicked) / 1000).toFixed(2);
      out.overlay_data_messages = times.length;
    })();
    const input = await probeInput(frame, overlay.catch(() => undefined));
    try {
      await overlay;
    } catch (e) {
      out.overlay_did_not_finish = `not within ${LIMIT_S} s: ${await datasetsOn(frame, 'success')} of ${n} runs on the success chart`;
      out.input_wait_ms_while_overlaying = stats(input);
      return out;
    }
    out.input_wait_ms_while_overlaying = stats(input);
    if (TRACE && browser) await browser.stopTracing();
    out.overlay_s_per_run = +((out.overlay_all_charts_s as number) / n).toFixed(3);
    await sleep(3000);
    const rss = extHostRss();
    out.rss_overlaid_mib = +rss.toFixed(0);
    out.rss_per_run_mib = +((rss - rssEmpty) / n).toFixed(2);

    // Toggle one run out and in again.
    const inPage: number[] = [];
    const painted: number[] = [];
    const outside: number[] = [];
    for (let i = 0; i < TOGGLES; i++) {
      const want = i % 2 === 0 ? n - 1 : n;
      const t = performance.now();
      await frame.click(`#runs li[data-run="${ids[1 + (Math.floor(i / 2) % (n - 1))]}"] input`);
      await frame.waitForFunction((k) => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.datasets) === k
        && (window as unknown as { __paintedAt: number }).__paintedAt > 0, want, { timeout: 60_000, polling: 'raf' });
      outside.push(performance.now() - t);
      const [inputAt, drawnAt, paintedAt] = await frame.evaluate(() => {
        const w = window as unknown as { __inputAt: number; __drawnAt: number; __paintedAt: number };
        return [w.__inputAt, w.__drawnAt, w.__paintedAt];
      });
      inPage.push(drawnAt - inputAt);
      painted.push(paintedAt - inputAt);
      await sleep(1500); // let the off-screen charts catch up, as a user's next click would
    }
    out.toggle_input_to_drawn_ms = stats(inPage);
    out.toggle_input_to_painted_ms = stats(painted);
    out.toggle_seen_by_playwright_ms = stats(outside);

    // A live append to one run, every run overlaid.
    const lat: number[] = [];
    const received: number[] = [];
    for (let i = 1; i <= SAMPLES; i++) {
      const step = STEPS + i;
      // The stamp of the first whole draw that holds the point (a chart whose layers are left for the next
      // frames is stamped only once whole; its earlier stamp must not be read as this point's).
      const drawnWith = frame.evaluate((s) => new Promise<number>((resolve) => {
        const c = document.getElementById('chart-success') as HTMLCanvasElement;
        const o = new MutationObserver(() => {
          if (Number(c.dataset.lastX) < s) return;
          o.disconnect();
          resolve(Number(c.dataset.drawn));
        });
        o.observe(c, { attributes: true, attributeFilter: ['data-drawn'] });
      }), step);
      await frame.evaluate(() => 0); // the observer is in place before the write
      const wall0 = Date.now();
      appendFileSync(join(ws, 'runs', ids[0]!, 'events.jsonl'), metricsLine(step, Date.now() / 1000));
      const drawnAt = await drawnWith;
      const dataAt = await frame.evaluate(() => Number(document.body.dataset.dataAt));
      lat.push(drawnAt - wall0);
      received.push(dataAt - wall0); // the last data message before the draw: the extension's share of the latency
      await sleep(300);
    }
    out.write_to_drawn_ms = stats(lat);
    out.write_to_received_ms = stats(received);
    return out;
  } finally {
    clearInterval(beater);
    await vs.close();
    rmSync(ws, { recursive: true, force: true });
  }
}

async function main() {
  const result: Record<string, unknown> = { build: process.env.ACTFOCUS_VSIX ?? 'this checkout', sizes: SIZES, steps: STEPS };
  // The baseline: the same window on a workspace whose runs folder is empty.
  const empty = mkdtempSync(join(tmpdir(), 'actfocus-bench-empty-'));
  mkdirSync(join(empty, 'runs'));
  const vs = await startVsCode({ workspace: empty, settings: { 'actfocus.dashboard.openOnStartup': true } });
  await findWebviewFrame(vs.page, '#chart-success', 120_000);
  await sleep(3000);
  const rssEmpty = extHostRss();
  await vs.close();
  rmSync(empty, { recursive: true, force: true });
  result.rss_no_runs_mib = +rssEmpty.toFixed(0);
  const scratch = mkdtempSync(join(tmpdir(), 'actfocus-bench-template-'));
  const template = join(scratch, 'events.jsonl');
  writeFileSync(template, eventsText(Date.now() / 1000 - STEPS));
  const rows: Record<string, unknown>[] = [];
  try {
    for (const n of SIZES) {
      console.error(`${n} runs x ${STEPS} steps…`);
      const row = await measureSize(n, template, rssEmpty);
      console.error(JSON.stringify(row));
      rows.push(row);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  result.by_size = rows;
  console.log(JSON.stringify(result, null, 2));
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
