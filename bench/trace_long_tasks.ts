// What the page's long tasks (over 50 ms) were spent on, from a Chromium trace (bench/dashboard_latency.ts
// --trace FILE): per renderer main thread, the long tasks' count and time, and what ran inside them —
// scripts by source file and function, style/layout/paint, garbage collection — so that the input wait the
// bench measures can be traced to the frame (workbench or webview) and the code that holds the thread.
//   node --import tsx bench/trace_long_tasks.ts TRACE.json [--top 25]
import { readFileSync } from 'node:fs';
import { numArg } from './args';

interface Ev { name: string; cat: string; ph: string; ts: number; dur?: number; pid: number; tid: number; args?: { name?: string; data?: Record<string, unknown> } }

const file = process.argv[2];
if (!file) throw new Error('usage: trace_long_tasks.ts TRACE.json');
const TOP = numArg('top', 25);
const raw = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: Ev[] } | Ev[];
const events = Array.isArray(raw) ? raw : raw.traceEvents;
const threadName = new Map<string, string>();
for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadName.set(`${e.pid}:${e.tid}`, String(e.args?.name));
const complete = events.filter((e) => e.ph === 'X' && e.dur !== undefined);
const byThread = new Map<string, Ev[]>();
for (const e of complete) {
  const k = `${e.pid}:${e.tid}`;
  if (threadName.get(k) !== 'CrRendererMain') continue;
  (byThread.get(k) ?? byThread.set(k, []).get(k)!).push(e);
}

/** What an event inside a long task is, for the table: a script by file and function, else its name. */
function label(e: Ev): string {
  const d = e.args?.data ?? {};
  if (e.name === 'FunctionCall' || e.name === 'EvaluateScript' || e.name === 'v8.callFunction') {
    const url = String(d.url ?? '').replace(/^.*\/(out|static|webview|dist|media)\//, '$1/').slice(-70);
    return `script ${url || '(no url)'} ${String(d.functionName ?? '')}`.trim();
  }
  if (e.name === 'EventDispatch') return `event ${String(d.type ?? '')}`;
  if (e.name === 'TimerFire' || e.name === 'FireAnimationFrame' || e.name === 'FireIdleCallback') return e.name;
  return e.name;
}

for (const [k, evs] of byThread) {
  evs.sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  const tasks = evs.filter((e) => (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') && e.dur! > 50_000);
  if (!tasks.length) continue;
  const total = tasks.reduce((a, t) => a + t.dur!, 0);
  console.log(`\nrenderer ${k}: ${tasks.length} long tasks, ${(total / 1000).toFixed(0)} ms, longest ${(Math.max(...tasks.map((t) => t.dur!)) / 1000).toFixed(0)} ms`);
  // Inside each long task: the outermost events below it (self time of nested ones is not split further).
  const spent = new Map<string, number>();
  for (const t of tasks) {
    const end = t.ts + t.dur!;
    let coveredTo = t.ts;
    for (const e of evs) {
      if (e === t || e.ts < t.ts || e.ts >= end || e.ts < coveredTo) continue;
      if (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') continue;
      spent.set(label(e), (spent.get(label(e)) ?? 0) + e.dur!);
      coveredTo = e.ts + e.dur!;
    }
  }
  const rows = [...spent].sort((a, b) => b[1] - a[1]).slice(0, TOP);
  for (const [what, us] of rows) console.log(`  ${(us / 1000).toFixed(0).padStart(7)} ms  ${(100 * us / total).toFixed(0).padStart(3)} %  ${what}`);
}

// ---- V8's samples inside long tasks (the trace's Profile/ProfileChunk events) ----
interface ProfNode { id: number; parent?: number; callFrame: { functionName: string; url: string; lineNumber: number } }
const longTasks = complete.filter((e) => threadName.get(`${e.pid}:${e.tid}`) === 'CrRendererMain' && e.name === 'RunTask' && e.dur! > 50_000).map((t) => [t.ts, t.ts + t.dur!] as const);
const inLongTask = (ts: number) => longTasks.some(([a, b]) => ts >= a && ts < b);
const profiles = new Map<string, { start: number; nodes: Map<number, ProfNode>; samples: number[]; deltas: number[] }>();
for (const e of events as (Ev & { id?: string })[]) {
  const d = e.args?.data as Record<string, any> | undefined;
  if (e.name === 'Profile' && d) profiles.set(`${e.pid}:${e.id}`, { start: Number(d.startTime), nodes: new Map(), samples: [], deltas: [] });
  const p = e.name === 'ProfileChunk' ? profiles.get(`${e.pid}:${e.id}`) : undefined;
  if (!p || !d) continue;
  for (const n of (d.cpuProfile?.nodes ?? []) as ProfNode[]) p.nodes.set(n.id, n);
  p.samples.push(...((d.cpuProfile?.samples ?? []) as number[]));
  p.deltas.push(...((d.timeDeltas ?? []) as number[]));
}
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let sampled = 0;
const fn = (n: ProfNode) => `${n.callFrame.functionName || '(anonymous)'} ${String(n.callFrame.url ?? '').split('/').pop() ?? ''}${(n.callFrame.lineNumber ?? -1) >= 0 ? `:${n.callFrame.lineNumber + 1}` : ''}`.trim();
for (const p of profiles.values()) {
  let t = p.start;
  p.samples.forEach((id, i) => {
    t += p.deltas[i] ?? 0;
    const us = p.deltas[i + 1] ?? 0; // a sample stands for the time until the next one
    let n = p.nodes.get(id);
    if (!n || !inLongTask(t) || n.callFrame.functionName === '(idle)') return;
    sampled += us;
    self.set(fn(n), (self.get(fn(n)) ?? 0) + us);
    const seen = new Set<string>();
    for (; n; n = n.parent === undefined ? undefined : p.nodes.get(n.parent)) {
      if (!seen.has(fn(n))) inclusive.set(fn(n), (inclusive.get(fn(n)) ?? 0) + us);
      seen.add(fn(n));
    }
  });
}
if (sampled > 0) {
  for (const [title, m] of [['self', self], ['inclusive', inclusive]] as const) {
    console.log(`\nsampled in long tasks, by ${title} time (of ${(sampled / 1000).toFixed(0)} ms sampled):`);
    for (const [what, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`  ${(us / 1000).toFixed(0).padStart(7)} ms  ${(100 * us / sampled).toFixed(0).padStart(3)} %  ${what}`);
  }
}
