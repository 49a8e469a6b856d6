// Watches the runs folder: lists run directories, reads run.json and the heartbeat, and tails each
// run's events.jsonl into RunData. Live runs are polled (files, not sockets: works over Remote-SSH and
// after a window reload, when the host keeps running on its own); finished runs are read once.
import * as vscode from 'vscode';
import { promises as fs, watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import type { RunSummary } from '../common/messages';
import { applyEvent, emptyRunData, fullSeries, latest, pushLog, type HostAnswer, type RunData, type Series } from '../common/runData';
import { isRunId, summarizeRun } from '../common/runSummary';
import { EventTail, JsonlTail } from '../protocol/jsonlTail';
import { FILES, isFinal } from '../protocol/schema';
import { beforeRunJson } from '../protocol/liveness';
import type { Heartbeat } from '../protocol/types.generated';

export interface RunState {
  id: string;
  dir: string;
  summary: RunSummary;
  data: RunData;
  tail: EventTail;
  hostLog: JsonlTail;
  malformed: number;
  atEnd: boolean;
  /** run.json's modification time when last read: a finished run is read again only when it changes (a resume). */
  runMtime?: number;
  /** What the last read found (run.json's text, the heartbeat) and when (s), a heartbeat-only read included: a watched run's liveness is judged from them between reads. */
  runText?: string;
  heartbeat?: Heartbeat;
  readAt?: number;
}

export interface RunsChange {
  /** Runs whose data received events since the last change (for incremental dashboard updates). */
  appended: Set<string>;
  /** Runs whose event file was truncated or replaced: their data was rebuilt from scratch. */
  reset: Set<string>;
}

/** Events read per run and scan: a huge file arrives over several scans, so the other runs keep updating. */
const EVENTS_BYTES_PER_SCAN = 64 << 20;
/**
 * A watched run's files are read when the watcher reports a change; the periodic scan reads them whole only
 * when the watcher has reported nothing for this long (in case events are missed), or when its liveness
 * changed (a heartbeat gone stale writes nothing). Reading a hundred live runs' files every scan kept the
 * extension host busy enough to delay the one run that had written.
 */
const WATCHED_READ_EVERY_S = 5;
/** How long a heartbeat-only change waits for the rest of its sweep's heartbeats (see readTouchedSoon). */
const HEARTBEAT_BATCH_MS = 15;

export class RunMonitor implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<RunsChange>();
  readonly onDidChange = this.emitter.event;
  private readonly runs = new Map<string, RunState>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private again = false;
  private readonly disposables: vscode.Disposable[] = [this.emitter];
  /** Live runs' folders are watched (inotify etc.) so appends show at once; polling is the fallback. */
  private readonly watchers = new Map<string, FSWatcher>();
  /** The pending read of touched runs, and whether it is the prompt one (for new events). */
  private soon: { timer: NodeJS.Timeout; prompt: boolean } | undefined;
  /** Watched runs whose folders changed since the last targeted read: whether each wrote new events, and anything but its heartbeat. */
  private readonly touched = new Map<string, { events: boolean; other: boolean }>();
  /** Per run, the read in progress: a run's files are read by one scan at a time (its tails keep offsets). */
  private readonly reading = new Map<string, Promise<boolean>>();

  /** Run folders outside the runs folder, attached by the user (persisted by the caller). */
  extraDirs = new Set<string>();

  constructor(private readonly intervalMs = 500) {
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('actfocus.runsDirectory') && this.refresh(true)));
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
  }

  runsRoot(): string | undefined {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder || folder.uri.scheme !== 'file') return undefined;
    return path.join(folder.uri.fsPath, vscode.workspace.getConfiguration('actfocus').get<string>('runsDirectory', 'runs'));
  }

  summaries(): RunSummary[] {
    return [...this.runs.values()].map((r) => r.summary).sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): RunState | undefined {
    return this.runs.get(id);
  }

  private watchRun(id: string, dir: string, live: boolean): void {
    const w = this.watchers.get(id);
    if (live && !w) {
      try {
        const watcher = watch(dir, (_event, file) => {
          const t = this.touched.get(id) ?? { events: false, other: false };
          t.events ||= file === null || file === FILES.events;
          t.other ||= file === null || !isHeartbeatFile(file);
          this.touched.set(id, t);
          this.readTouchedSoon(t.events);
        });
        watcher.on('error', () => this.unwatch(id));
        this.watchers.set(id, watcher);
      } catch {
        /* no watching here (some network file systems): polling covers it */
      }
    } else if (!live && w) this.unwatch(id);
  }

  /**
   * Read the touched runs after the watcher's burst of reports: at once (the next turn of the event loop) when
   * one wrote events, since a new point is what the user waits for; a heartbeat alone waits HEARTBEAT_BATCH_MS,
   * so that a sweep's heartbeats, written in the same instant, are read as one batch.
   */
  private readTouchedSoon(events: boolean): void {
    if (this.soon && (this.soon.prompt || !events)) return;
    if (this.soon) clearTimeout(this.soon.timer);
    const timer = setTimeout(() => {
      this.soon = undefined;
      const all = [...this.touched];
      this.touched.clear();
      // New events first: a sweep's heartbeats (one per run and interval) must not hold up a run's new point.
      const ids = [...all.filter(([, x]) => x.events), ...all.filter(([, x]) => !x.events)].map(([run]) => run);
      void this.refreshRuns(ids, new Set(all.filter(([, x]) => !x.other).map(([run]) => run)));
    }, events ? 0 : HEARTBEAT_BATCH_MS);
    this.soon = { timer, prompt: events };
  }

  private unwatch(id: string): void {
    this.watchers.get(id)?.close();
    this.watchers.delete(id);
  }

  /** One scan (coalesced with a scan in progress). clear: forget everything first (runs folder changed). */
  refresh(clear = false): Promise<void> {
    if (clear) this.runs.clear();
    if (this.polling) {
      this.again = true; // a change may have landed after the running scan read that file
      return this.polling;
    }
    this.polling = (async () => {
      do {
        this.again = false;
        await this.scan();
      } while (this.again);
    })().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async scan(): Promise<void> {
    const root = this.runsRoot();
    const change: RunsChange = { appended: new Set(), reset: new Set() };
    let changed = false;
    let names: string[] = [];
    if (root) {
      try {
        names = (await fs.readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && isRunId(d.name)).map((d) => d.name); // any folder name: no run goes missing
      } catch {
        names = []; // no runs folder yet
      }
    }
    // Run folders attached with "Open Run Folder…" (anywhere: another trainer's output, a mounted share).
    const dirs = new Map(names.map((n) => [n, path.join(root!, n)]));
    for (const extra of this.extraDirs) {
      let id = path.basename(extra);
      if (!isRunId(id)) id = 'run';
      while (dirs.has(id) && dirs.get(id) !== extra) id = `${id}~`;
      dirs.set(id, extra);
    }
    names = [...dirs.keys()];
    for (const id of [...this.runs.keys()]) {
      if (!names.includes(id)) {
        this.runs.delete(id);
        this.unwatch(id);
        changed = true;
      }
    }
    const now = Date.now() / 1000;
    // One run at a time: reading a sweep's runs side by side raised the extension host's memory
    // high-water mark (read buffers and parsed events in flight) more than it saved time.
    for (const id of names) {
      if (this.coveredByWatcher(id, now)) continue;
      if (await this.readRun(id, dirs.get(id)!, now, change)) changed = true;
    }
    if (changed || change.appended.size || change.reset.size) this.emitter.fire(change);
  }

  /** A watched run read recently whose liveness has not changed since: its watcher reports what it writes. */
  private coveredByWatcher(id: string, now: number): boolean {
    const st = this.runs.get(id);
    // (A run whose events file is not read to its end yet is read on by every scan.)
    if (!st || !st.atEnd || !this.watchers.has(id) || st.readAt === undefined || now - st.readAt >= WATCHED_READ_EVERY_S) return false;
    return summarizeRun(id, st.runText, st.heartbeat, now).status === st.summary.status;
  }

  /**
   * Read only these (watched, known) runs: a change in one run of a sweep is shown without reading the
   * hundred others; the periodic scan still covers every run, new and removed ones included.
   */
  private async refreshRuns(ids: string[], beatOnly: ReadonlySet<string> = new Set()): Promise<void> {
    const now = Date.now() / 1000;
    for (const id of ids) {
      const st = this.runs.get(id);
      if (!st) continue;
      // Each run's change goes out as soon as it is read, not after the others touched in the same instant.
      const change: RunsChange = { appended: new Set(), reset: new Set() };
      if ((await this.readRun(id, st.dir, now, change, beatOnly.has(id))) || change.appended.size || change.reset.size) this.emitter.fire(change);
    }
  }

  /** scanRun (or, for a run that only wrote its heartbeat, readHeartbeat), after any read of the same run in progress. */
  private readRun(id: string, dir: string, now: number, change: RunsChange, beatOnly = false): Promise<boolean> {
    const read = () => (beatOnly ? this.readHeartbeat(id, dir, now, change) : this.scanRun(id, dir, now, change));
    const next = (this.reading.get(id) ?? Promise.resolve(false)).catch(() => false).then(read);
    this.reading.set(id, next);
    void next.finally(() => this.reading.get(id) === next && this.reading.delete(id)).catch(() => undefined);
    return next;
  }

  /**
   * A run that wrote only its heartbeat: that file is read, the rest stays as last read; a full read when
   * the run's state changes with it (e.g. it stopped responding) or it was never read whole.
   */
  private async readHeartbeat(id: string, dir: string, now: number, change: RunsChange): Promise<boolean> {
    const st = this.runs.get(id);
    if (!st || st.readAt === undefined || st.runText === undefined) return this.scanRun(id, dir, now, change);
    const hb = readHeartbeatText(await readText(path.join(dir, FILES.heartbeat)), st.heartbeat);
    const summary = summarizeRun(id, st.runText, hb, now);
    if (summary.status !== st.summary.status) return this.scanRun(id, dir, now, change);
    st.heartbeat = hb;
    st.readAt = now; // its watcher reports: the periodic scan need not read it whole (that, for a sweep at once, held up the others)
    Object.assign(summary, { successRate: st.summary.successRate, malformedLines: st.summary.malformedLines, logTail: st.summary.logTail });
    const changed = JSON.stringify(summary) !== JSON.stringify(st.summary);
    st.summary = summary;
    return changed;
  }

  /** Read one run's new files; true when its listing changed (new run or new summary). */
  private async scanRun(id: string, dir: string, now: number, change: RunsChange): Promise<boolean> {
    let changed = false;
    let st = this.runs.get(id);
    const runMtime = await mtimeOf(path.join(dir, FILES.run));
    // Finished and fully read: nothing to do, unless run.json changed since (Continue Run resumed it).
    if (st && st.atEnd && isFinal(st.summary.status) && runMtime === st.runMtime) return false;
    const [runText, hbText] = await Promise.all([readText(path.join(dir, FILES.run)), readText(path.join(dir, FILES.heartbeat))]);
    if (!st) {
      st = { id, dir, summary: summarizeRun(id, runText, undefined, now), data: emptyRunData(), tail: new EventTail(path.join(dir, FILES.events), { maxBytesPerPoll: EVENTS_BYTES_PER_SCAN }),
        hostLog: new JsonlTail(path.join(dir, FILES.hostLog), { maxBytesPerPoll: 1 << 20, chunkSize: 64 << 10 }), malformed: 0, atEnd: false };
      this.runs.set(id, st);
      changed = true;
    }
    const run = st;
    const batch = await st.tail.pollEach((e) => {
      applyEvent(run.data, e);
      change.appended.add(id);
    }, () => {
      run.data = emptyRunData();
      change.reset.add(id);
    });
    // The host's own stdout/stderr (progress lines, tracebacks) joins the log pane.
    const hostLines: string[] = [];
    await st.hostLog.poll((line) => hostLines.push(line));
    for (const line of hostLines) {
      if (!line.trim()) continue;
      pushLog(st.data, { step: st.data.lastStep, t: now, level: /Traceback|Error|error:/.test(line) ? 'error' : 'info', message: line, source: 'host' });
    }
    if (hostLines.length) change.appended.add(id);
    st.malformed = st.tail.malformedTotal;
    st.atEnd = batch.atEnd;
    st.runMtime = runMtime;
    const hb = readHeartbeatText(hbText, st.heartbeat);
    st.runText = runText;
    st.heartbeat = hb;
    st.readAt = now;
    const summary = summarizeRun(id, runText, hb, now);
    if (runText === undefined) {
      // Launched by us, the host has not written run.json yet (it is importing PyTorch): starting, unless that lasts.
      const logAge = await ageOf(path.join(dir, FILES.hostLog), now);
      if (logAge !== undefined) Object.assign(summary, beforeRunJson(logAge));
    }
    summary.successRate = latest(st.data, 'success_rate');
    summary.malformedLines = st.malformed || undefined;
    if (summary.status === 'dead' && !st.summary.logTail) summary.logTail = await tailText(path.join(dir, FILES.hostLog), 2000);
    else summary.logTail = st.summary.logTail;
    this.watchRun(id, dir, !isFinal(summary.status) && summary.status !== 'dead');
    if (JSON.stringify(summary) !== JSON.stringify(st.summary)) changed = true;
    st.summary = summary;
    return changed;
  }

  /**
   * A run's metrics at full resolution, read from its events file now (the monitor keeps only what the
   * charts draw, at the resolution they show). keys: only these metrics.
   */
  async readFullMetrics(id: string, keys?: ReadonlySet<string>): Promise<Record<string, Series>> {
    const run = this.runs.get(id);
    if (!run) return {};
    const tail = new EventTail(path.join(run.dir, FILES.events), { maxBytesPerPoll: EVENTS_BYTES_PER_SCAN });
    const out: Record<string, Series> = {};
    for (;;) {
      const batch = await tail.pollEach((e) => fullSeries([e], out, keys));
      if (batch.atEnd) return out;
    }
  }

  /** Resolves with the host's answer (ack or error event) to a control request. */
  waitForAnswer(id: string, requestId: string, timeoutMs: number): Promise<HostAnswer | undefined> {
    return new Promise((resolve) => {
      const check = () => this.runs.get(id)?.data.answers[requestId];
      const found = check();
      if (found) return resolve(found);
      const sub = this.onDidChange(() => {
        const a = check();
        if (a) {
          sub.dispose();
          clearTimeout(timer);
          resolve(a);
        }
      });
      const timer = setTimeout(() => {
        sub.dispose();
        resolve(undefined);
      }, timeoutMs);
    });
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon.timer);
    for (const id of [...this.watchers.keys()]) this.unwatch(id);
    this.disposables.forEach((d) => d.dispose());
  }
}

/**
 * The heartbeat in `text` (undefined: no file). The host replaces the file atomically, but another writer
 * may not: text caught half-written (empty, cut JSON) keeps the last good heartbeat, which goes stale by
 * itself if nothing better comes, rather than calling a live run dead at once.
 */
function readHeartbeatText(text: string | undefined, last: Heartbeat | undefined): Heartbeat | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Heartbeat;
  } catch {
    return last;
  }
}

/** heartbeat.json, or the temporary file the host writes it through (writer.py: `<name>.tmp<pid>.<thread>`). */
function isHeartbeatFile(name: string): boolean {
  return name === FILES.heartbeat || name.startsWith(`${FILES.heartbeat}.tmp`);
}

async function mtimeOf(file: string): Promise<number | undefined> {
  try {
    return (await fs.stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function ageOf(file: string, nowS: number): Promise<number | undefined> {
  try {
    return nowS - (await fs.stat(file)).mtimeMs / 1000;
  } catch {
    return undefined;
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The last `bytes` of a file as text (never the whole file). */
export async function tailText(file: string, bytes: number): Promise<string | undefined> {
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(file, 'r');
    const size = (await h.stat()).size;
    const buf = Buffer.alloc(Math.min(bytes, size));
    await h.read(buf, 0, buf.length, size - buf.length);
    return buf.toString('utf8');
  } catch {
    return undefined;
  } finally {
    await h?.close();
  }
}
