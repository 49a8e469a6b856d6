// Dashboard update latency and extension-host memory with 10 runs x 10,000 steps loaded, in a real
// VS Code (code-server + Chromium), side by side with the same window holding no runs:
//   latency  a metrics line appended to one run's events.jsonl → the point drawn on the dashboard's
//            success chart: the append and the draw are both stamped with the machine clock (the
//            page records when it drew); also reported as seen by Playwright polling, an upper bound
//   memory   RSS of the extension-host process: no runs vs 10 runs x 10k steps, all overlaid
//   node --import tsx bench/dashboard_latency.ts [--runs 10] [--steps 10000] [--samples 20] [--json FILE]
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWebviewFrame, startVsCode, type VsCodeSession } from '../test/support/codeServer';
import { jsonOut, numArg } from './args';

const RUNS = numArg('runs', 10);
const STEPS = numArg('steps', 10_000);
const SAMPLES = numArg('samples', 20);
const JSON_OUT = jsonOut();

function metricsLine(step: number, t: number): string {
  const rec: Record<string, unknown> = { v: 1, t, step, type: 'metrics', success_rate: (step % 100) / 100, reward_mean: Math.sin(step / 50), kl_ref: 0.01, entropy: 1.2, loss: -0.01, pg_loss: -0.01 };
  for (const r of ['reasoning', 'action', 'other']) for (const k of ['share', 'energy', 'weight_mean', 'weight_max']) rec[`diag/${k}_${r}`] = Math.cos(step + k.length);
  for (const s of ['full', 'reasoning', 'action']) rec[`diag/rho_${s}`] = Math.sin(step / 7);
  return JSON.stringify(rec) + '\n';
}

function makeRuns(ws: string): string[] {
  const ids = Array.from({ length: RUNS }, (_, i) => `bench-${String(i).padStart(2, '0')}`);
  const t0 = Date.now() / 1000 - STEPS;
  for (const id of ids) {
    const dir = join(ws, 'runs', id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ schema_version: 1, id, config: { steps: STEPS * 2, env: 'sokoban', algo: 'grpo', weighting: 'actfocus' }, versions: {}, status: 'running', step: STEPS, created: t0, pid: 1, hostname: 'bench' }));
    let text = '';
    for (let s = 1; s <= STEPS; s++) text += metricsLine(s, t0 + s);
    writeFileSync(join(dir, 'events.jsonl'), text);
  }
  return ids;
}

function beat(ws: string, ids: string[]): void {
  for (const id of ids) writeFileSync(join(ws, 'runs', id, 'heartbeat.json'), JSON.stringify({ v: 1, t: Date.now() / 1000, pid: 1, hostname: 'bench', interval_s: 2, step: STEPS, phase: 'training' }));
}

/** RSS (MiB) of code-server's extension-host process for this session. */
function extHostRss(userDataDir: string): number {
  const ps = execFileSync('ps', ['-eo', 'pid,rss,args'], { encoding: 'utf8' }).split('\n');
  const rows = ps.filter((l) => l.includes('extensionHost') || l.includes('--type=extensionHost'));
  if (!rows.length) throw new Error('extension host process not found');
  // One session runs at a time in this script, so the one extension host is ours.
  return Math.max(...rows.map((l) => Number(l.trim().split(/\s+/)[1]) / 1024));
}

async function openDashboard(vs: VsCodeSession) {
  const frame = await findWebviewFrame(vs.page, '#chart-success', 120_000);
  await frame.waitForFunction(() => document.getElementById('status')?.textContent?.includes('run'), null, { timeout: 120_000 });
  return frame;
}

async function main() {
  const result: Record<string, unknown> = { runs: RUNS, steps: STEPS };
  // Baseline: the same window and dashboard, no runs.
  let vs = await startVsCode({ settings: { 'actfocus.dashboard.openOnStartup': true } });
  await openDashboard(vs);
  await new Promise((r) => setTimeout(r, 3000));
  const rssEmpty = extHostRss('');
  await vs.close();

  const ws = mkdtempSync(join(tmpdir(), 'actfocus-bench-ws-'));
  let t = performance.now();
  const ids = makeRuns(ws);
  beat(ws, ids);
  const beater = setInterval(() => beat(ws, ids), 1000);
  console.log(`wrote ${RUNS} runs x ${STEPS} steps in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  vs = await startVsCode({ workspace: ws, settings: { 'actfocus.dashboard.openOnStartup': true } });
  try {
    const frame = await openDashboard(vs);
    t = performance.now();
    for (const id of ids) await frame.check(`#runs li[data-run="${id}"] input`);
    // Loaded: every run's latest step is drawn on the success chart.
    await frame.waitForFunction((n) => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.datasets) === n, RUNS, { timeout: 300_000, polling: 200 })
      .catch(async (e) => {
        await vs.page.screenshot({ path: join(tmpdir(), 'bench-dashboard-failure.png') });
        console.error('datasets drawn:', await frame.$eval('#chart-success', (c) => (c as HTMLCanvasElement).dataset.datasets), 'status:', await frame.textContent('#status'));
        throw e;
      });
    const loadS = (performance.now() - t) / 1000;
    await new Promise((r) => setTimeout(r, 3000));
    const rssLoaded = extHostRss('');
    const lat: number[] = [];
    const toMessage: number[] = [];
    const toDraw: number[] = [];
    const inPage: number[] = []; // appended → drawn, both stamped with the machine clock (ms)
    for (let i = 1; i <= SAMPLES; i++) {
      const step = STEPS + i;
      const wait = frame.waitForFunction((s) => Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.lastX) >= s, step, { timeout: 30_000, polling: 'raf' });
      const t0 = performance.now();
      const wall0 = Date.now();
      appendFileSync(join(ws, 'runs', ids[0]!, 'events.jsonl'), metricsLine(step, Date.now() / 1000));
      await wait;
      lat.push(performance.now() - t0);
      // Where the time goes: file written → data message in the webview → chart drawn.
      const [dataAt, drawnAt] = await frame.evaluate(() => [Number(document.body.dataset.dataAt), Number((document.getElementById('chart-success') as HTMLCanvasElement).dataset.drawn)]);
      toMessage.push(dataAt - wall0);
      toDraw.push(drawnAt - dataAt);
      inPage.push(drawnAt - wall0);
      await new Promise((r) => setTimeout(r, 300));
    }
    const stats = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
      return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: q(0.5), p95: q(0.95), max: s.at(-1) };
    };
    Object.assign(result, {
      load_all_runs_s: loadS,
      file_to_webview_message_ms_mean: toMessage.reduce((a, b) => a + b, 0) / toMessage.length,
      message_to_drawn_ms_mean: toDraw.reduce((a, b) => a + b, 0) / toDraw.length,
      latency_ms: stats(inPage),
      // Upper bound: as seen by Playwright polling the page across iframes (adds its own ~200 ms).
      latency_observed_by_playwright_ms: stats(lat),
      ext_host_rss_mib: { no_runs: rssEmpty, loaded: rssLoaded, ratio_loaded_to_empty: rssLoaded / rssEmpty },
    });
    console.log(JSON.stringify(result, null, 2));
  } finally {
    clearInterval(beater);
    await vs.close();
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
