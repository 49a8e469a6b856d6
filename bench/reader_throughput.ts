// Reader throughput on a synthetic events.jsonl of >= 1 GB, side by side in one run:
//   raw      read() of the file in 1 MiB chunks, nothing else (the disk/page-cache ceiling)
//   lines    JsonlTail: chunks split into complete lines
//   events   EventTail: lines parsed and checked into events (what the dashboard does), in polls of
//            8 MiB whose events are dropped, as a consumer that keeps only aggregates would
// and resident memory sampled after every poll (must stay flat: the file is never loaded whole).
//   node --import tsx bench/reader_throughput.ts [--gb 1] [--json bench/results/reader_throughput.json]
import { createWriteStream, promises as fs, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventTail, JsonlTail } from '../src/protocol/jsonlTail';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const GB = Number(arg('gb', '1'));
const JSON_OUT = arg('json', '');
const file = join(tmpdir(), `actfocus-bench-events-${process.pid}.jsonl`);

function metricsLine(step: number): string {
  const rec: Record<string, unknown> = { v: 1, t: 1.7e9 + step, step, type: 'metrics' };
  for (const k of ['reward_mean', 'success_rate', 'valid_turn_rate', 'kl_ref', 'entropy', 'loss', 'pg_loss', 'clipfrac', 'grad_norm']) rec[k] = Math.sin(step + k.length) * 3.14159;
  for (const r of ['reasoning', 'action', 'other']) for (const k of ['share', 'energy', 'ref_entropy', 'weight_mean', 'weight_max']) rec[`diag/${k}_${r}`] = Math.cos(step * k.length);
  for (const s of ['full', 'reasoning', 'action']) { rec[`diag/rho_${s}`] = 0.123456789; rec[`diag/p_${s}`] = 0.0421; }
  return JSON.stringify(rec) + '\n';
}

async function writeFile(bytes: number): Promise<number> {
  const out = createWriteStream(file);
  let written = 0;
  let step = 0;
  while (written < bytes) {
    let block = '';
    for (let i = 0; i < 2000; i++) block += metricsLine(step++);
    written += Buffer.byteLength(block);
    if (!out.write(block)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise<void>((r) => out.end(r));
  return step;
}

async function raw(): Promise<number> {
  const h = await fs.open(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  for (;;) {
    const { bytesRead } = await h.read(buf, 0, buf.length, pos);
    if (!bytesRead) break;
    pos += bytesRead;
  }
  await h.close();
  return pos;
}

const mb = (b: number) => b / 2 ** 20;

async function main() {
  const target = GB * 2 ** 30;
  const t0 = performance.now();
  const lines = await writeFile(target);
  const size = statSync(file).size;
  console.log(`wrote ${mb(size).toFixed(0)} MiB (${lines} lines) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const result: Record<string, unknown> = { file_mib: mb(size), lines, node: process.version };
  try {
    await raw(); // warm the page cache so all three read the same way
    let t = performance.now();
    await raw();
    const rawS = (performance.now() - t) / 1000;

    t = performance.now();
    let n = 0;
    const lt = new JsonlTail(file);
    await lt.poll(() => n++);
    const linesS = (performance.now() - t) / 1000;
    if (n !== lines) throw new Error(`line count ${n} != ${lines}`);

    const rss: number[] = [];
    const et = new EventTail(file, { maxBytesPerPoll: 8 << 20 });
    let events = 0;
    let malformed = 0;
    t = performance.now();
    for (;;) {
      const b = await et.poll();
      events += b.events.length;
      malformed += b.malformed;
      rss.push(process.memoryUsage().rss);
      if (b.atEnd) break;
    }
    const eventsS = (performance.now() - t) / 1000;
    if (events !== lines || malformed) throw new Error(`events ${events} malformed ${malformed}`);
    const tp = (s: number) => mb(size) / s;
    Object.assign(result, {
      raw_mib_s: tp(rawS), lines_mib_s: tp(linesS), events_mib_s: tp(eventsS),
      ratio_events_to_raw: rawS / eventsS, ratio_lines_to_raw: rawS / linesS,
      rss_mib_first_poll: mb(rss[0]!), rss_mib_max: mb(Math.max(...rss)), rss_mib_last: mb(rss[rss.length - 1]!), polls: rss.length,
    });
    console.log(`raw read   ${tp(rawS).toFixed(0)} MiB/s`);
    console.log(`lines      ${tp(linesS).toFixed(0)} MiB/s (${(rawS / linesS).toFixed(3)} x raw)`);
    console.log(`events     ${tp(eventsS).toFixed(0)} MiB/s (${(rawS / eventsS).toFixed(3)} x raw), ${events} events`);
    console.log(`RSS over ${rss.length} polls: first ${mb(rss[0]!).toFixed(0)} MiB, max ${mb(Math.max(...rss)).toFixed(0)} MiB, last ${mb(rss[rss.length - 1]!).toFixed(0)} MiB`);
  } finally {
    await fs.rm(file, { force: true });
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
