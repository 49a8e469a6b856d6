// Splits a byte stream into complete lines. Bytes after the last newline are held back until the rest
// of the line arrives, so a reader never sees half a record; splitting happens on bytes, before UTF-8
// decoding, so a character cut across two reads is decoded whole.

const NL = 0x0a;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Complete lines in this chunk (with any held-back start), without their line endings. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NL, start); nl !== -1; nl = chunk.indexOf(NL, start)) {
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
    if (start < chunk.length) {
      this.pending.push(Buffer.from(chunk.subarray(start))); // a copy: callers reuse their read buffer
      this.pendingBytes += chunk.length - start;
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
  }
}
