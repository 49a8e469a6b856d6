// Reading trajectories.bin through trajectories.idx (docs/protocol.md §Trajectories). Record i costs
// one 32-byte positioned read of the index and one read of its frame: nothing else is parsed.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { crc32, inflateSync } from 'node:zlib';
import { decodeFloat16 } from './float16';
import { FILES } from './schema';
import type { TrajectoryHeader, TrajectoryIndexEntry } from './types.generated';
import { versionProblem } from './schema';

export const INDEX_ENTRY_BYTES = 32;
const FRAME_BYTES = 8;
const FLAG_SUCCESS = 1;

export type Column = Uint32Array | Uint8Array | Float32Array | string[];

export interface Trajectory {
  header: TrajectoryHeader;
  columns: Record<string, Column>;
}

export class CorruptRecordError extends Error {}

export function decodeIndexEntry(buf: Buffer, at = 0): TrajectoryIndexEntry {
  return {
    offset: Number(buf.readBigUInt64LE(at)),
    length: buf.readUInt32LE(at + 8),
    step: buf.readUInt32LE(at + 12),
    group: buf.readUInt32LE(at + 16),
    index: buf.readUInt32LE(at + 20),
    reward: buf.readFloatLE(at + 24),
    success: (buf.readUInt16LE(at + 28) & FLAG_SUCCESS) !== 0,
    turns: buf.readUInt16LE(at + 30),
  };
}

/** Frame (u32 length, u32 CRC-32, zlib payload) → header and per-token columns. */
export function decodeFrame(frame: Buffer): Trajectory {
  if (frame.length < FRAME_BYTES) throw new CorruptRecordError('record is truncated');
  const len = frame.readUInt32LE(0);
  const payload = frame.subarray(FRAME_BYTES);
  if (len !== payload.length) throw new CorruptRecordError('record is truncated');
  if (crc32(payload) !== frame.readUInt32LE(4)) throw new CorruptRecordError('record fails its checksum');
  let raw: Buffer;
  try {
    raw = inflateSync(payload);
  } catch (e) {
    throw new CorruptRecordError(`record does not decompress (${(e as Error).message})`);
  }
  // Every check below was found missing by the fuzz tests (test/unit/fuzz.test.ts): a malformed record
  // must surface as CorruptRecordError, never as a RangeError or SyntaxError from deep inside.
  if (raw.length < 4 || raw.readUInt32LE(0) > raw.length - 4) throw new CorruptRecordError('record header is truncated');
  const hlen = raw.readUInt32LE(0);
  let header: TrajectoryHeader;
  try {
    header = JSON.parse(raw.toString('utf8', 4, 4 + hlen)) as TrajectoryHeader;
  } catch (e) {
    throw new CorruptRecordError(`record header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new CorruptRecordError('record header is not an object');
  const vp = versionProblem(header.v);
  if (vp) throw new CorruptRecordError(`trajectory record ${vp}`);
  const n = header.n_tokens;
  if (!Number.isInteger(n) || n < 0 || n > raw.length) throw new CorruptRecordError(`record header has no valid token count (${JSON.stringify(n)})`);
  if (!Array.isArray(header.columns) || !header.columns.every((c) => typeof c === 'object' && c !== null && typeof c.name === 'string')) {
    throw new CorruptRecordError('record header has no valid column list');
  }
  let pos = 4 + hlen;
  const columns: Record<string, Column> = {};
  const take = (bytes: number): Buffer => {
    if (pos + bytes > raw.length) throw new CorruptRecordError('record columns are shorter than its header says');
    const b = raw.subarray(pos, pos + bytes);
    pos += bytes;
    return b;
  };
  for (const { name, dtype } of header.columns) {
    if (dtype === 'u8') columns[name] = Uint8Array.from(take(n));
    else if (dtype === 'u32') {
      const b = take(4 * n);
      const a = new Uint32Array(n);
      for (let i = 0; i < n; i++) a[i] = b.readUInt32LE(4 * i);
      columns[name] = a;
    } else if (dtype === 'f16') columns[name] = decodeFloat16(take(2 * n), n);
    else if (dtype === 'utf8') {
      const lens = take(2 * n);
      const texts: string[] = new Array(n);
      for (let i = 0; i < n; i++) texts[i] = take(lens.readUInt16LE(2 * i)).toString('utf8');
      columns[name] = texts;
    } else throw new CorruptRecordError(`unknown column type ${String(dtype)}`);
  }
  return { header, columns };
}

export class TrajectoryFile {
  private constructor(
    private readonly bin: fs.FileHandle,
    private readonly idx: fs.FileHandle,
  ) {}

  /** Undefined when the run has stored no trajectories (yet). */
  static async open(runDir: string): Promise<TrajectoryFile | undefined> {
    let bin: fs.FileHandle | undefined;
    try {
      bin = await fs.open(path.join(runDir, FILES.trajectories), 'r');
      const idx = await fs.open(path.join(runDir, FILES.trajectoryIndex), 'r');
      return new TrajectoryFile(bin, idx);
    } catch (e) {
      await bin?.close();
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Complete index entries; a partial last entry (a write cut short) is not counted. */
  async count(): Promise<number> {
    return Math.floor((await this.idx.stat()).size / INDEX_ENTRY_BYTES);
  }

  async entries(start: number, end: number): Promise<TrajectoryIndexEntry[]> {
    const n = Math.max(0, end - start);
    const buf = Buffer.alloc(n * INDEX_ENTRY_BYTES);
    const { bytesRead } = await this.idx.read(buf, 0, buf.length, start * INDEX_ENTRY_BYTES);
    const out: TrajectoryIndexEntry[] = [];
    for (let i = 0; i + INDEX_ENTRY_BYTES <= bytesRead; i += INDEX_ENTRY_BYTES) out.push(decodeIndexEntry(buf, i));
    return out;
  }

  async entry(i: number): Promise<TrajectoryIndexEntry> {
    const [e] = await this.entries(i, i + 1);
    if (!e) throw new RangeError(`no trajectory ${i}`);
    return e;
  }

  async read(i: number): Promise<Trajectory> {
    const e = await this.entry(i);
    const frame = Buffer.alloc(e.length);
    const { bytesRead } = await this.bin.read(frame, 0, e.length, e.offset);
    if (bytesRead !== e.length) throw new CorruptRecordError(`trajectory ${i} is truncated`);
    return decodeFrame(frame);
  }

  async close(): Promise<void> {
    await Promise.all([this.bin.close(), this.idx.close()]);
  }
}
