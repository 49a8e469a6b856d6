// Trajectory viewer rendering in headless Chromium (the built bundle, the extension's CSP), for
// trajectories of 5,000 and 50,000 tokens, side by side in one run:
//   first paint  message posted → the next frame after the view is built (two rAFs)
//   scroll       the page scrolled 400 px per frame through the whole trajectory: frame intervals
//                (60 Hz vsync = 16.7 ms; longer means dropped frames) and the script time per frame
// and ONNX scoring throughput is measured by bench/onnx_scoring.ts.
//   node --import tsx bench/viewer_render.ts [--json bench/results/viewer_render.json]
import { writeFileSync } from 'node:fs';
import { launchChromium } from '../test/support/browser';
import { serveWebview } from '../test/support/webviewHarness';
import { makePayload } from '../test/support/trajectoryFixture';

const ji = process.argv.indexOf('--json');
const JSON_OUT = ji > 0 ? process.argv[ji + 1] : undefined;

const SCROLL = `(async () => {
  const intervals = [], work = [];
  let last = performance.now();
  const end = document.documentElement.scrollHeight;
  while (window.scrollY + window.innerHeight < document.documentElement.scrollHeight - 2 && intervals.length < 5000) {
    const w0 = performance.now();
    window.scrollBy(0, 400);
    document.body.getBoundingClientRect();
    work.push(performance.now() - w0);
    await new Promise((r) => requestAnimationFrame(() => r()));
    const now = performance.now();
    intervals.push(now - last);
    last = now;
  }
  const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.max(1, Math.ceil(p * xs.length)) - 1]; // nearest rank, as bench/stats.ts
  return { frames: intervals.length, scroll_height_px: end, interval_ms_p50: q(intervals, 0.5), interval_ms_p95: q(intervals, 0.95), interval_ms_max: Math.max(...intervals),
    work_ms_p50: q(work, 0.5), work_ms_p95: q(work, 0.95), work_ms_max: Math.max(...work), spans_in_dom_at_end: document.querySelectorAll('.tok').length };
})()`;

async function main() {
  const browser = await launchChromium();
  const server = await serveWebview('trajectory');
  const result: Record<string, unknown> = {};
  try {
    for (const n of [5000, 50_000]) {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(server.url);
      await page.waitForFunction(() => (window as any).__posted.length > 0);
      const msg = { t: 'open', primary: makePayload(n), siblings: [], hparams: { alpha: 0.1, beta: 0.5, signal: 'energy', weighting: 'actfocus' } };
      await page.evaluate((m) => ((window as unknown as { __msg: unknown }).__msg = m), msg);
      const firstPaint = (await page.evaluate(`(async () => {
        const t0 = performance.now();
        window.postMessage(window.__msg, '*');
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
        return performance.now() - t0;
      })()`)) as number;
      await page.selectOption('#overlay', 'energy');
      // A string, not a function: the page must not see the TypeScript loader's helpers.
      const scroll = (await page.evaluate(SCROLL)) as Record<string, number>;
      result[`tokens_${n}`] = { first_paint_ms: firstPaint, ...scroll };
      console.log(`${n} tokens: first paint ${firstPaint.toFixed(1)} ms; scroll ${scroll.frames} frames, interval p50 ${scroll.interval_ms_p50.toFixed(1)} / p95 ${scroll.interval_ms_p95.toFixed(1)} ms, script+layout per frame p95 ${scroll.work_ms_p95.toFixed(2)} ms; ${scroll.spans_in_dom_at_end} spans in the DOM`);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
