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
  private readonly chunkSize: number;
  private readonly maxBytes: number;

  constructor(readonly path: string, opts: TailOptions = {}) {
    this.chunkSize = opts.chunkSize ?? 1 << 20;
    this.maxBytes = opts.maxBytesPerPoll ?? Number.POSITIVE_INFINITY;
  }

  get position(): number {
    return this.offset;
  }

  /** onReset: called before any line when the file was truncated or replaced (reading starts over). */
  async poll(onLine: (line: string) => void, onReset?: () => void): Promise<PollResult> {
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
        onReset?.();
      }
      this.ino = st.ino;
      const target = Math.min(st.size, this.offset + this.maxBytes);
      let bytesRead = 0;
      // The read buffer lives only while there is something to read: a sweep tails hundreds of files,
      // and a buffer held per file would cost more than the data the dashboard keeps of it.
      const chunk = this.offset < target ? Buffer.allocUnsafe(Math.min(this.chunkSize, target - this.offset)) : undefined;
      while (chunk && this.offset < target) {
        const want = Math.min(chunk.length, target - this.offset);
        const { bytesRead: n } = await handle.read(chunk, 0, want, this.offset);
        if (n === 0) break;
        this.offset += n;
        bytesRead += n;
        for (const line of this.splitter.push(chunk.subarray(0, n))) onLine(line);
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
    const res = await this.pollEach((e) => events.push(e));
    return { ...res, events };
  }

  /**
   * Each new event handed over as soon as it is parsed (none kept here: reading a long run costs one
   * event's memory at a time, not the batch's); onReset as for JsonlTail.poll.
   */
  async pollEach(onEvent: (e: RunEvent) => void, onReset?: () => void): Promise<Omit<EventBatch, 'events'>> {
    const reasons: string[] = [];
    let malformed = 0;
    const res = await this.tail.poll((line) => {
      if (!line.trim()) return;
      const p = parseEventLine(line);
      if (p.ok) onEvent(p.event);
      else {
        malformed++;
        if (reasons.length < 5) reasons.push(p.reason);
      }
    }, () => {
      this.malformedTotal = 0;
      onReset?.();
    });
    this.malformedTotal += malformed;
    return { ...res, malformed, malformedReasons: reasons };
  }
}
