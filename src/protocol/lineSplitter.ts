// Splits a byte stream into complete lines. Bytes after the last newline are held back until the rest
// of the line arrives, so a reader never sees half a record; splitting happens on bytes, before UTF-8
// decoding, so a character cut across two reads is decoded whole.

const NL = 0x0a;

/** Stands for a line longer than the splitter keeps: its bytes were dropped (readers report it as malformed). */
export const OVERSIZED_LINE = '\u0000actfocus:oversized-line';

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside a line already longer than maxLineBytes: its bytes are dropped up to the next newline. */
  private dropping = false;

  /** maxLineBytes bounds memory: a file with no newline (corrupt, or not an events file) is never held whole. */
  constructor(private readonly maxLineBytes = 64 * 2 ** 20) {}

  /** Complete lines in this chunk (with any held-back start), without their line endings. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NL, start); nl !== -1; nl = chunk.indexOf(NL, start)) {
      if (this.dropping) {
        this.dropping = false;
        lines.push(OVERSIZED_LINE);
        start = nl + 1;
        continue;
      }
      if (this.pendingBytes + (nl - start) > this.maxLineBytes) {
        this.reset();
        lines.push(OVERSIZED_LINE);
        start = nl + 1;
        continue;
      }
      let piece = chunk.subarray(start, nl);
      if (this.pendingBytes) {
        piece = Buffer.concat([...this.pending, piece]);
        this.pending = [];
        this.pendingBytes = 0;
      }
      const end = piece.length && piece[piece.length - 1] === 0x0d ? piece.length - 1 : piece.length;
      lines.push(piece.toString('utf8', 0, end));
      start = nl + 1;
    }
    if (start < chunk.length && !this.dropping) {
      if (this.pendingBytes + chunk.length - start > this.maxLineBytes) {
        this.reset();
        this.dropping = true;
      } else {
        this.pending.push(Buffer.from(chunk.subarray(start))); // a copy: callers reuse their read buffer
        this.pendingBytes += chunk.length - start;
      }
    }
    return lines;
  }

  /** Bytes of an unfinished last line (a writer mid-line, or one killed mid-line). */
  get partialBytes(): number {
    return this.pendingBytes;
  }

  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.dropping = false;
  }
}
