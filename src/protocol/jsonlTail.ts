// Incremental reading of an append-only JSON-lines file (events.jsonl): each poll reads only the bytes
// added since the last one, in fixed-size chunks, so a large file is never loaded whole. A partial last
// line waits for its end; a file that shrank (truncated) or was replaced (new inode) starts over, and
// the poll says so, so that the consumer can drop what it derived from the old contents.
import { promises as fs } from 'node:fs';
import { LineSplitter } from './lineSplitter';
import { parseEventLine } from './events';
import type { RunEvent } from './types.generated';

export interface TailOptions {
  /** Bytes per read() call. */
  chunkSize?: number;
  /** At most this many new bytes per poll (the rest comes with the next polls); default unlimited. */
  maxBytesPerPoll?: number;
}

export interface PollResult {
  /** The file was truncated or replaced since the last poll: reading restarted at byte 0. */
  reset: boolean;
  bytesRead: number;
  /** Everything up to the current end of the file has been read. */
  atEnd: boolean;
  /** Bytes of an unfinished last line held back. */
  partialBytes: number;
  /** The file does not exist (yet). */
  missing: boolean;
}

export class JsonlTail {
  private offset = 0;
  private ino: number | undefined;
  private readonly splitter = new LineSplitter();
  private readonly chunk: Buffer;
  private readonly maxBytes: number;

  constructor(readonly path: string, opts: TailOptions = {}) {
    this.chunk = Buffer.allocUnsafe(opts.chunkSize ?? 1 << 20);
    this.maxBytes = opts.maxBytesPerPoll ?? Number.POSITIVE_INFINITY;
  }

  get position(): number {
    return this.offset;
  }

  async poll(onLine: (line: string) => void): Promise<PollResult> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        const reset = this.offset > 0;
        if (reset) this.restart(undefined);
        return { reset, bytesRead: 0, atEnd: true, partialBytes: 0, missing: true };
      }
      throw e;
    }
    try {
      const st = await handle.stat();
      let reset = false;
      if ((this.ino !== undefined && st.ino !== this.ino) || st.size < this.offset) {
        this.restart(st.ino);
        reset = true;
      }
      this.ino = st.ino;
      const target = Math.min(st.size, this.offset + this.maxBytes);
      let bytesRead = 0;
      while (this.offset < target) {
        const want = Math.min(this.chunk.length, target - this.offset);
        const { bytesRead: n } = await handle.read(this.chunk, 0, want, this.offset);
        if (n === 0) break;
        this.offset += n;
        bytesRead += n;
        for (const line of this.splitter.push(this.chunk.subarray(0, n))) onLine(line);
      }
      return { reset, bytesRead, atEnd: this.offset >= st.size, partialBytes: this.splitter.partialBytes, missing: false };
    } finally {
      await handle.close();
    }
  }

  private restart(ino: number | undefined): void {
    this.offset = 0;
    this.ino = ino;
    this.splitter.reset();
  }
}

export interface EventBatch extends PollResult {
  events: RunEvent[];
  /** Malformed lines in this batch, with why (the first few). */
  malformed: number;
  malformedReasons: string[];
}

/** events.jsonl as parsed events; malformed lines are skipped and counted, never fatal. */
export class EventTail {
  private readonly tail: JsonlTail;
  malformedTotal = 0;

  constructor(path: string, opts?: TailOptions) {
    this.tail = new JsonlTail(path, opts);
  }

  async poll(): Promise<EventBatch> {
    const events: RunEvent[] = [];
    const reasons: string[] = [];
    let malformed = 0;
    const res = await this.tail.poll((line) => {
      if (!line.trim()) return;
      const p = parseEventLine(line);
      if (p.ok) events.push(p.event);
      else {
        malformed++;
        if (reasons.length < 5) reasons.push(p.reason);
      }
    });
    if (res.reset) this.malformedTotal = 0;
    this.malformedTotal += malformed;
    return { ...res, events, malformed, malformedReasons: reasons };
  }
}
