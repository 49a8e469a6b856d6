// The extension's run-directory reader: tailing (new bytes only, partial lines, truncation,
// replacement, malformed lines), liveness, control ids, float16, and agreement with the schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineSplitter } from '../../src/protocol/lineSplitter';
import { EventTail, JsonlTail } from '../../src/protocol/jsonlTail';
import { parseEventLine } from '../../src/protocol/events';
import { beforeRunJson, liveness, STARTUP_GRACE_S } from '../../src/protocol/liveness';
import { newRequestId } from '../../src/protocol/control';
import { decodeFloat16 } from '../../src/protocol/float16';
import { decodeFrame, CorruptRecordError } from '../../src/protocol/trajectories';
import { COLUMN_NAMES, CONTROL_ACTIONS, EVENT_TYPES, PROTOCOL_VERSION } from '../../src/protocol/schema';
import { ROOT } from '../support/python';

const ev = (step: number, extra: object = {}) => JSON.stringify({ v: 1, t: 1, step, type: 'metrics', x: step, ...extra }) + '\n';
const tmp = () => mkdtempSync(join(tmpdir(), 'actfocus-tail-'));

test('generated protocol types are up to date with the schema', () => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'gen-protocol-types.mjs'), '--check'], { stdio: 'pipe' });
});

test('facts derived from the schema', () => {
  assert.equal(PROTOCOL_VERSION, 1);
  assert.deepEqual([...EVENT_TYPES].sort(), ['ack', 'checkpoint', 'error', 'export', 'hparams', 'log', 'metrics', 'progress', 'resume', 'status']);
  assert.ok(CONTROL_ACTIONS.includes('export_onnx') && CONTROL_ACTIONS.length === 6);
  assert.equal(COLUMN_NAMES[0], 'token_id');
});

test('line splitter holds back a partial line and decodes characters split across chunks', () => {
  const s = new LineSplitter();
  const bytes = Buffer.from('{"a":"é🙂"}\r\n{"b":1}\n{"c"', 'utf8');
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i++) lines.push(...s.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(lines, ['{"a":"é🙂"}', '{"b":1}']);
  assert.equal(s.partialBytes, 4);
  assert.deepEqual(s.push(Buffer.from(':2}\n')), ['{"c":2}']);
  assert.equal(s.partialBytes, 0);
});

test('tail reads only new bytes and waits for the end of a partial last line', async () => {
  const f = join(tmp(), 'events.jsonl');
  writeFileSync(f, ev(1) + ev(2));
  const tail = new EventTail(f, { chunkSize: 16 });
  let b = await tail.poll();
  assert.deepEqual(b.events.map((e) => e.step), [1, 2]);
  const size = Buffer.byteLength(ev(1) + ev(2));
  assert.equal(b.bytesRead, size);
  b = await tail.poll();
  assert.equal(b.bytesRead, 0);
  assert.equal(b.events.length, 0);
  const line = ev(3);
  appendFileSync(f, line.slice(0, 10)); // a writer mid-line (or one killed mid-line)
  b = await tail.poll();
  assert.equal(b.events.length, 0);
  assert.equal(b.partialBytes, 10);
  assert.equal(b.malformed, 0);
  appendFileSync(f, line.slice(10) + ev(4));
  b = await tail.poll();
  assert.deepEqual(b.events.map((e) => e.step), [3, 4]);
  assert.equal(b.bytesRead, Buffer.byteLength(line + ev(4)) - 10);
});

test('malformed lines are skipped and counted, never fatal', async () => {
  const f = join(tmp(), 'events.jsonl');
  writeFileSync(f, ev(1) + '{broken\n' + '[1,2]\n' + '\n' + JSON.stringify({ v: 1, t: 1, type: 'metrics' }) + '\n' +
    JSON.stringify({ v: 9, t: 1, step: 2, type: 'metrics' }) + '\n' + '\u0000\u0001garbage\n' + ev(5));
  const tail = new EventTail(f);
  const b = await tail.poll();
  assert.deepEqual(b.events.map((e) => e.step), [1, 5]);
  assert.equal(b.malformed, 5);
  assert.deepEqual(b.malformedReasons, ['not JSON', 'not an object', 'no valid step', 'event written by a newer ActFocus (protocol 9; this reads 1)', 'not JSON']);
  assert.equal(tail.malformedTotal, 5);
});

test('a truncated or replaced file is read again from the start, and the poll says so', async () => {
  const dir = tmp();
  const f = join(dir, 'events.jsonl');
  writeFileSync(f, ev(1) + ev(2) + ev(3));
  const tail = new EventTail(f);
  assert.equal((await tail.poll()).events.length, 3);
  truncateSync(f, Buffer.byteLength(ev(1)));
  appendFileSync(f, ev(7));
  let b = await tail.poll();
  assert.equal(b.reset, true);
  assert.deepEqual(b.events.map((e) => e.step), [1, 7]);
  // replaced (written elsewhere and renamed over it), even when the new file is longer
  writeFileSync(join(dir, 'new'), ev(8) + ev(9) + ev(10) + ev(11));
  renameSync(join(dir, 'new'), f);
  b = await tail.poll();
  assert.equal(b.reset, true);
  assert.deepEqual(b.events.map((e) => e.step), [8, 9, 10, 11]);
});

test('a missing file is not an error, and reading resumes when it appears', async () => {
  const f = join(tmp(), 'events.jsonl');
  const tail = new EventTail(f);
  const b = await tail.poll();
  assert.equal(b.missing, true);
  writeFileSync(f, ev(1));
  assert.equal((await tail.poll()).events.length, 1);
});

test('maxBytesPerPoll reads a large file progressively', async () => {
  const f = join(tmp(), 'events.jsonl');
  writeFileSync(f, Array.from({ length: 1000 }, (_, i) => ev(i)).join(''));
  const tail = new JsonlTail(f, { chunkSize: 4096, maxBytesPerPoll: 10_000 });
  let lines = 0;
  let polls = 0;
  for (;;) {
    const r = await tail.poll(() => lines++);
    polls++;
    assert.ok(r.bytesRead <= 10_000);
    if (r.atEnd) break;
  }
  assert.equal(lines, 1000);
  assert.ok(polls > 1);
});

test('parseEventLine accepts every event type of the schema', () => {
  for (const type of EVENT_TYPES) assert.equal(parseEventLine(JSON.stringify({ v: 1, t: 0, step: 0, type })).ok, true);
});

test('liveness: a stale heartbeat means the host is gone; finished runs say how they ended', () => {
  const hb = { v: 1 as const, t: 1000, pid: 42, hostname: 'gpu-box', interval_s: 2, step: 7, phase: 'training' as const };
  assert.equal(liveness({ status: 'running', step: 7 }, hb, 1003).state, 'running');
  const dead = liveness({ status: 'running', step: 7 }, hb, 1007);
  assert.equal(dead.state, 'not-responding');
  assert.match(dead.detail, /no heartbeat for 7 s \(host gpu-box, pid 42\)/);
  assert.equal(liveness({ status: 'paused', step: 7 }, { ...hb, phase: 'paused' }, 1001).state, 'paused');
  assert.equal(liveness({ status: 'completed', step: 9 }, hb, 99999).state, 'completed');
  assert.equal(liveness({ status: 'running', step: 0 }, undefined, 5).state, 'not-responding');
});

test('before run.json exists a launched host is starting while its log is young, then dead', () => {
  assert.deepEqual(beforeRunJson(5), { status: 'starting', problem: 'The training host is starting' });
  assert.equal(beforeRunJson(STARTUP_GRACE_S - 1).status, 'starting');
  assert.deepEqual(beforeRunJson(STARTUP_GRACE_S), { status: 'dead', problem: 'The training host exited before creating the run' });
});

test('request ids sort by time and are valid ids', () => {
  const a = newRequestId(1_700_000_000_000, () => 0.5);
  const b = newRequestId(1_700_000_000_001, () => 0.1);
  assert.ok(a < b);
  assert.match(a, /^[A-Za-z0-9_-]{1,64}$/);
});

test('float16 decoding: normal, subnormal, signed zero, infinity', () => {
  const h = new Uint8Array(Buffer.from([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x80, 0x00, 0x7c, 0xff, 0x7b]));
  assert.deepEqual(Array.from(decodeFloat16(h, 6)), [1, -2, 2 ** -24, -0, Infinity, 65504]);
});

test('corrupt frames are refused with a clear error', () => {
  assert.throws(() => decodeFrame(Buffer.from([1, 2, 3])), CorruptRecordError);
  const frame = Buffer.alloc(12);
  frame.writeUInt32LE(4, 0);
  assert.throws(() => decodeFrame(frame), /checksum/);
});

test('a trajectory record of another protocol version is refused by name', async () => {
  const { deflateSync } = await import('node:zlib');
  const { crc32 } = await import('node:zlib');
  const header = Buffer.from(JSON.stringify({ v: 7, step: 1, index: 0, n_tokens: 0, columns: [] }));
  const raw = Buffer.concat([Buffer.alloc(4), header]);
  raw.writeUInt32LE(header.length, 0);
  const payload = deflateSync(raw);
  const frame = Buffer.alloc(8);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload) >>> 0, 4);
  assert.throws(() => decodeFrame(Buffer.concat([frame, payload])), /trajectory record written by a newer ActFocus \(protocol 7; this reads 1\)/);
});
