// Python writes a run directory with the host's real writer; TypeScript reads it back identically
// (numbers within float16 precision), and both match docs/protocol.schema.json. And the other way:
// a control request written by TypeScript is accepted by the host's request reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventTail } from '../../src/protocol/jsonlTail';
import { TrajectoryFile } from '../../src/protocol/trajectories';
import { FLOAT16_RELATIVE_ERROR } from '../../src/protocol/float16';
import { makeRequest, writeControlRequest } from '../../src/protocol/control';
import { COLUMN_NAMES } from '../../src/protocol/schema';
import { assertValid } from '../support/schema';
import { python } from '../support/python';

const out = mkdtempSync(join(tmpdir(), 'actfocus-roundtrip-'));
python(['scripts/protocol_fixture.py', out]);
const expected = JSON.parse(readFileSync(join(out, 'expected.json'), 'utf8'));
const runDir = join(out, 'run');

test('events written by Python are read by TypeScript identically and match the schema', async () => {
  const tail = new EventTail(join(runDir, 'events.jsonl'), { chunkSize: 97 }); // small chunks: lines and characters cross reads
  const batch = await tail.poll();
  assert.equal(batch.malformed, 0);
  assert.equal(batch.partialBytes, 0);
  assert.deepEqual(batch.events, expected.events);
  for (const e of batch.events) assertValid('event', e);
  const metrics = batch.events.filter((e) => e.type === 'metrics');
  assert.equal(metrics[0]!.loss, null); // NaN is written as null
  assert.equal(metrics[0]!.tiny, 5e-324);
  assertValid('run', JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')));
  assertValid('heartbeat', JSON.parse(readFileSync(join(runDir, 'heartbeat.json'), 'utf8')));
});

test('trajectories written by Python are read by TypeScript within float16 precision', async () => {
  const file = await TrajectoryFile.open(runDir);
  assert.ok(file);
  assert.equal(await file.count(), expected.trajectories.length);
  for (const [i, want] of (expected.trajectories as any[]).entries()) {
    const entry = await file.entry(i);
    assertValid('trajectoryIndexEntry', entry);
    assert.deepEqual({ ...entry, reward: 0 }, { ...want.entry, reward: 0 });
    assert.equal(entry.reward, Math.fround(want.entry.reward));
    const { header, columns } = await file.read(i);
    assertValid('trajectory', header);
    assert.deepEqual(header, want.header);
    assert.deepEqual(Object.keys(columns), [...COLUMN_NAMES]);
    assert.deepEqual(columns.text, want.original.text);
    assert.deepEqual(Array.from(columns.token_id as Uint32Array), want.original.token_id);
    assert.deepEqual(Array.from(columns.role as Uint8Array), want.original.role);
    for (const name of ['logprob', 'ref_logprob', 'entropy', 'ref_entropy', 'energy', 'weight', 'advantage']) {
      const got = columns[name] as Float32Array;
      assert.deepEqual(Array.from(got), want.decoded[name], `${name}: TypeScript and Python decode the same float16 values`);
      for (let k = 0; k < got.length; k++) {
        const x = Math.max(-65504, Math.min(65504, want.original[name][k]));
        const tol = Math.max(Math.abs(x) * FLOAT16_RELATIVE_ERROR, 2 ** -25);
        assert.ok(Math.abs(got[k]! - x) <= tol, `${name}[${k}] ${got[k]} vs ${x}`);
      }
    }
  }
  await file.close();
});

test('a control request written by TypeScript is accepted by the host', async () => {
  const req = makeRequest('set_hparams', { alpha: 0.25, signal: 'ref_entropy' });
  assertValid('controlRequest', req);
  await writeControlRequest(runDir, req);
  const bad = makeRequest('set_hparams', { alpha: 7 });
  await writeControlRequest(runDir, bad);
  const taken = JSON.parse(python(['-c', `
import json, sys
from actfocus.run.control import take_pending
print(json.dumps([r.__dict__ for r in take_pending(sys.argv[1])]))`, runDir]));
  assert.deepEqual(taken, [
    { id: req.id, action: 'set_hparams', values: { alpha: 0.25, signal: 'ref_entropy' }, error: null, field: null },
    { id: bad.id, action: 'set_hparams', values: {}, error: 'alpha: 7.0 is out of range; allowed 0.0 to 1.0', field: 'alpha' },
  ]);
});
