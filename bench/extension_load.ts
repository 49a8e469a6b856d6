// The extension under load, in a real VS Code (code-server + Chromium): 20 live runs (each appending a
// metrics line every 500 ms and beating its heartbeat) plus one run whose events.jsonl is 1 GB, all in
// the workspace at once — against the same window with no runs, side by side in one run of this script.
//   responsiveness  Ctrl+Shift+P → the command palette's input is visible (the workbench answering
//                   input), and a click in the dashboard webview → its state changed; p50/p95
//   progress        how far the extension has read the 1 GB file (the dashboard's status for that run)
//   memory          RSS of the extension-host process
//   node --import tsx bench/extension_load.ts [--live 20] [--big-mib 1024] [--samples 15] [--json FILE]
import { appendFileSync, mkdirSync, mkdtempSync, openSync, writeSync, closeSync, writeFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWebviewFrame, startVsCode, type VsCodeSession } from '../test/support/codeServer';
import { jsonOut, numArg } from './args';
import { summarise } from './stats';

const LIVE = numArg('live', 20);
const BIG_MIB = numArg('big-mib', 1024);
const SAMPLES = numArg('samples', 15);
const JSON_OUT = jsonOut();

function metricsLine(step: number, t: number): string {
  const rec: Record<string, unknown> = { v: 1, t, step, type: 'metrics', success_rate: (step % 100) / 100, reward_mean: Math.sin(step / 50), kl_ref: 0.01, entropy: 1.2, loss: -0.01 };
  for (const r of ['reasoning', 'action', 'other']) for (const k of ['share', 'energy', 'weight_mean']) rec[`diag/${k}_${r}`] = Math.cos(step + k.length);
  return JSON.stringify(rec) + '\n';
}

function runJson(dir: string, id: string, status: string, step: number): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ schema_version: 1, id, config: { steps: 10 ** 7, env: 'sokoban', algo: 'grpo', weighting: 'actfocus' }, versions: {},
    status, step, created: Date.now() / 1000, pid: 1, hostname: 'bench' }));
}

/** A run with a `mib`-MiB events file, written in 8 MiB slabs. Returns the number of steps. */
function bigRun(ws: string, mib: number): number {
  const dir = join(ws, 'runs', 'big-1gb');
  const fd = openSync(join(dir, 'events.jsonl'), 'w');
  let step = 0;
  let written = 0;
  const t0 = Date.now() / 1000 - 1e6;
  while (written < mib * 2 ** 20) {
    let slab = '';
    while (slab.length < 8 * 2 ** 20) slab += metricsLine(++step, t0 + step);
    writeSync(fd, slab);
    written += Buffer.byteLength(slab);
  }
  closeSync(fd);
  return step;
}

function extHostRss(): number {
  const rows = execFileSync('ps', ['-eo', 'pid,rss,args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('extensionHost') || l.includes('--type=extensionHost'));
  if (!rows.length) throw new Error('extension host process not found');
  return Math.max(...rows.map((l) => Number(l.trim().split(/\s+/)[1]) / 1024));
}

const stats = (xs: number[]) => {
  const { p50, p95, max } = summarise(xs)!;
  return { p50, p95, max };
};

/** Input latency: the command palette opening (workbench), and a webview click taking effect (dashboard). */
async function responsiveness(vs: VsCodeSession): Promise<{ palette_ms: ReturnType<typeof stats>; webview_click_ms: ReturnType<typeof stats> }> {
  const frame = await findWebviewFrame(vs.page, '#chart-success', 180_000);
  const palette: number[] = [];
  const click: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = performance.now();
    await vs.page.keyboard.press('Control+Shift+P');
    await vs.page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 60_000 });
    palette.push(performance.now() - t0);
    await vs.page.keyboard.press('Escape');
    await vs.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 60_000 });
    const before = await frame.$eval('#x-axis', (s) => (s as HTMLSelectElement).value).catch(() => 'step');
    const t1 = performance.now();
    await frame.selectOption('#x-axis', before === 'step' ? 'time' : 'step');
    await frame.waitForFunction((b) => (document.getElementById('x-axis') as HTMLSelectElement).value !== b, before, { timeout: 60_000 });
    click.push(performance.now() - t1);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { palette_ms: stats(palette), webview_click_ms: stats(click) };
}

async function main() {
  const result: Record<string, unknown> = { live_runs: LIVE, big_events_mib: BIG_MIB, samples: SAMPLES };
  // Baseline: the same window and dashboard, no runs.
  let vs = await startVsCode({ settings: { 'actfocus.dashboard.openOnStartup': true } });
  try {
    result.no_runs = { ...(await responsiveness(vs)), ext_host_rss_mib: extHostRss() };
  } finally {
    await vs.close();
  }

  const ws = mkdtempSync(join(tmpdir(), 'actfocus-load-ws-'));
  const ids = Array.from({ length: LIVE }, (_, i) => `live-${String(i).padStart(2, '0')}`);
  const steps = new Map(ids.map((id) => [id, 0]));
  for (const id of ids) runJson(join(ws, 'runs', id), id, 'running', 0);
  runJson(join(ws, 'runs', 'big-1gb'), 'big-1gb', 'completed', 0);
  let t = performance.now();
  const bigSteps = bigRun(ws, BIG_MIB);
  runJson(join(ws, 'runs', 'big-1gb'), 'big-1gb', 'completed', bigSteps);
  console.log(`wrote a ${BIG_MIB} MiB events file (${bigSteps} steps) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const tick = () => {
    for (const id of ids) {
      const s = steps.get(id)! + 1;
      steps.set(id, s);
      appendFileSync(join(ws, 'runs', id, 'events.jsonl'), metricsLine(s, Date.now() / 1000));
      writeFileSync(join(ws, 'runs', id, 'heartbeat.json'), JSON.stringify({ v: 1, t: Date.now() / 1000, pid: 1, hostname: 'bench', interval_s: 2, step: s, phase: 'training' }));
    }
  };
  tick();
  const writer = setInterval(tick, 500);
  vs = await startVsCode({ workspace: ws, settings: { 'actfocus.dashboard.openOnStartup': true } });
  try {
    t = performance.now();
    const frame = await findWebviewFrame(vs.page, '#chart-success', 180_000);
    await frame.waitForFunction((n) => document.querySelectorAll('#runs li').length >= n, LIVE + 1, { timeout: 180_000 });
    const listedS = (performance.now() - t) / 1000;
    const loaded = await responsiveness(vs);
    const bigRow = await frame.$eval('#runs li[data-run="big-1gb"]', (li) => li.textContent).catch(() => null);
    Object.assign(result, {
      loaded: { ...loaded, ext_host_rss_mib: extHostRss(), all_runs_listed_s: listedS, big_run_row_after_measuring: bigRow },
    });
    const base = result.no_runs as { palette_ms: { p95: number }; webview_click_ms: { p95: number }; ext_host_rss_mib: number };
    result.ratios_loaded_to_no_runs = {
      palette_p95: loaded.palette_ms.p95 / base.palette_ms.p95,
      webview_click_p95: loaded.webview_click_ms.p95 / base.webview_click_ms.p95,
      ext_host_rss: (result.loaded as { ext_host_rss_mib: number }).ext_host_rss_mib / base.ext_host_rss_mib,
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    clearInterval(writer);
    await vs.close();
    rmSync(ws, { recursive: true, force: true });
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
