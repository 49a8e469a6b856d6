// Property-based tests (fast-check) over every reader and validator that takes outside input: the line
// splitter and events parser, trajectory frames, run.json/heartbeat summaries, JSON Lines scanning and
// the webview message validators. Random and adversarial input never throws anything but the
// documented error, and nothing already read is lost. Seeded: the same cases on every run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineSplitter, OVERSIZED_LINE } from '../../src/protocol/lineSplitter';
import { parseEventLine } from '../../src/protocol/events';
import { CorruptRecordError, decodeFrame } from '../../src/protocol/trajectories';
import { summarizeRun, runItemFields } from '../../src/common/runSummary';
import { parseFromDashboard, parseFromHParams, parseFromViewer } from '../../src/common/messages';
import { scanLine } from '../../src/inline/trajectoryJsonl';
import { escapeInvisibleInJson, hasInvisible, visibleText } from '../../src/common/visibleText';

const RUNS = { numRuns: 300, seed: 20261125 };

test('the line splitter gives the same complete lines however the bytes are chunked, and holds back the rest', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(400), { maxLength: 12 }), (bytes, cuts) => {
    const whole = Buffer.from(bytes);
    const once = new LineSplitter();
    const expected = once.push(whole);
    const chunked = new LineSplitter();
    const got: string[] = [];
    let at = 0;
    for (const c of [...cuts.map((x) => x % (whole.length + 1))].sort((a, b) => a - b)) {
      got.push(...chunked.push(whole.subarray(at, c)));
      at = Math.max(at, c);
    }
    got.push(...chunked.push(whole.subarray(at)));
    assert.deepEqual(got, expected);
    const lastNl = whole.lastIndexOf(0x0a);
    assert.equal(chunked.partialBytes, whole.length - lastNl - 1);
  }), RUNS);
});

test('memory stays bounded: a line longer than the limit is dropped and reported, however it is chunked', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 12 }), fc.integer({ min: 1, max: 40 }), (bytes, cuts, max) => {
    const whole = Buffer.from(bytes);
    const once = new LineSplitter(max).push(whole);
    const chunked = new LineSplitter(max);
    const got: string[] = [];
    let at = 0;
    for (const c of [...cuts.map((x) => x % (whole.length + 1))].sort((a, b) => a - b)) {
      got.push(...chunked.push(whole.subarray(at, c)));
      assert.ok(chunked.partialBytes <= max, `holding ${chunked.partialBytes} bytes > ${max}`);
      at = Math.max(at, c);
    }
    got.push(...chunked.push(whole.subarray(at)));
    assert.deepEqual(got, once);
  }), RUNS);
  assert.equal(parseEventLine(OVERSIZED_LINE).ok, false);
});

test('any line is an event or a reason, never an exception', () => {
  const lines = fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.record({ v: fc.integer({ min: -2, max: 3 }), t: fc.double(), step: fc.oneof(fc.integer(), fc.double()), type: fc.string() }).map((v) => JSON.stringify(v)));
  fc.assert(fc.property(lines, (line) => {
    const r = parseEventLine(line);
    if (r.ok) assert.equal(typeof r.event.type, 'string');
    else assert.ok(typeof r.reason === 'string' && r.reason.length > 0);
  }), RUNS);
});

test('any bytes are a trajectory record or a CorruptRecordError that says why', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    try {
      decodeFrame(Buffer.from(bytes));
    } catch (e) {
      assert.ok(e instanceof CorruptRecordError, `${(e as Error).name}: ${(e as Error).message}`);
      assert.ok((e as Error).message.length > 0);
    }
  }), RUNS);
});

test('a well-framed record with any content inside is decoded or refused as corrupt', async () => {
  const { crc32, deflateSync } = await import('node:zlib');
  const inner = fc.oneof(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.tuple(fc.jsonValue(), fc.uint8Array({ maxLength: 64 })).map(([h, tail]) => {
      const head = Buffer.from(JSON.stringify(h));
      const len = Buffer.alloc(4);
      len.writeUInt32LE(head.length, 0);
      return Buffer.concat([len, head, Buffer.from(tail)]);
    }),
    fc.tuple(fc.integer({ min: 0, max: 40 }), fc.uint8Array({ maxLength: 64 })).map(([n, tail]) => {
      const head = Buffer.from(JSON.stringify({ v: 1, n_tokens: n, columns: [{ name: 'text', dtype: 'utf8' }, { name: 'energy', dtype: 'f16' }, { name: 'x', dtype: 'nope' }] }));
      const len = Buffer.alloc(4);
      len.writeUInt32LE(head.length, 0);
      return Buffer.concat([len, head, Buffer.from(tail)]);
    }));
  fc.assert(fc.property(inner, (raw) => {
    const payload = deflateSync(raw);
    const frame = Buffer.alloc(8);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(crc32(payload) >>> 0, 4);
    try {
      decodeFrame(Buffer.concat([frame, payload]));
    } catch (e) {
      assert.ok(e instanceof CorruptRecordError, `${(e as Error).name}: ${(e as Error).message}`);
    }
  }), RUNS);
});

test('any run.json text and heartbeat summarise to a status, with the problem named when invalid', () => {
  const runText = fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.record({ schema_version: fc.option(fc.integer({ min: -1, max: 3 })), status: fc.string(), step: fc.jsonValue(), config: fc.jsonValue(), reason: fc.jsonValue() },
      { requiredKeys: [] }).map((v) => JSON.stringify(v)));
  const hb = fc.option(fc.record({ v: fc.jsonValue(), t: fc.double(), pid: fc.integer(), hostname: fc.string(), interval_s: fc.double(), step: fc.integer(), phase: fc.string() }, { requiredKeys: [] }));
  fc.assert(fc.property(fc.string(), fc.option(runText), hb, fc.double({ min: 0, max: 1e10 }), (id, text, h, now) => {
    const s = summarizeRun(id, text ?? undefined, (h ?? undefined) as never, now);
    assert.equal(typeof s.status, 'string');
    if (s.status === 'invalid') assert.ok(s.problem && s.problem.length > 0);
    const item = runItemFields(s);
    assert.equal(hasInvisible(item.label + item.description + item.tooltip), false);
  }), RUNS);
});

test('webview messages: anything posted is a checked message or refused, never an exception', () => {
  const posted = fc.oneof(fc.anything(), fc.record({ t: fc.constantFrom('ready', 'select', 'control', 'apply', 'open', 'exportCsv', 'savePng', 'command', 'score', 'nextRun', 'whatIf'),
    runId: fc.oneof(fc.string(), fc.anything()), runIds: fc.anything(), action: fc.anything(), values: fc.anything(), name: fc.anything(), dataUrl: fc.anything(), position: fc.anything() }, { requiredKeys: ['t'] }));
  fc.assert(fc.property(posted, (v) => {
    for (const parse of [parseFromDashboard, parseFromHParams, parseFromViewer]) {
      const m = parse(v) as { runId?: unknown; runIds?: unknown } | undefined;
      if (m?.runId !== undefined) assert.ok(typeof m.runId === 'string' && !m.runId.includes('/'));
      if (m?.runIds !== undefined) assert.ok(Array.isArray(m.runIds) && m.runIds.every((x) => typeof x === 'string' && !x.includes('/')));
    }
  }), RUNS);
});

test('any line of a .trajectories.jsonl file scans to a record or a reason', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v))), (line) => {
    const s = scanLine(line);
    if (!s.ok) assert.ok(s.reason.length > 0);
  }), RUNS);
});

test('visible text hides nothing, and escaped JSON carries the same text', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
    assert.equal(hasInvisible(visibleText(s)), false);
    const json = escapeInvisibleInJson(JSON.stringify(s));
    assert.equal(hasInvisible(json), false);
    assert.equal(JSON.parse(json), s);
  }), RUNS);
});
