import { test } from 'node:test';
import assert from 'node:assert/strict';
import { energyBucket, formatLine, scanLine, tokenAt } from '../../src/inline/trajectoryJsonl';
import type { Trajectory } from '../../src/protocol/trajectories';

const texts = ['<think>', ' I "go"', '\n', '<img src=x onerror=alert(1)>', '', 'é🙂', '\\', '{"t":"x"}'];
const tr: Trajectory = {
  header: { v: 1, step: 2, index: 5, group: 1, seed: 0, env: 'sokoban', reward: 0.5, success: true, advantage: null, system: '', turns: [], n_tokens: texts.length, columns: [] },
  columns: { text: texts, role: Uint8Array.from([0, 0, 2, 1, 2, 1, 0, 0]), energy: Float32Array.from(texts, (_, i) => -i), weight: new Float32Array(8).fill(1),
    logprob: new Float32Array(8).fill(-0.5), entropy: new Float32Array(8).fill(0.25), advantage: new Float32Array(8).fill(NaN), token_id: new Uint32Array(8) },
};

test('each token is found at its place in the line, whatever its text', () => {
  const line = formatLine('run-a', 3, tr);
  const s = scanLine(line);
  assert.ok(s.ok);
  assert.equal(s.record.run, 'run-a');
  assert.equal(s.record.position, 3);
  assert.deepEqual(s.record.tokens.map((t) => JSON.parse(`"${line.slice(t.start, t.end)}"`)), texts);
  assert.deepEqual(s.record.tokens.map((t) => t.role), [0, 0, 2, 1, 2, 1, 0, 0]);
  assert.equal(s.record.tokens[3]!.energy, -3);
  assert.ok(Number.isNaN(s.record.tokens[0]!.advantage)); // NaN is written as null
  const t = s.record.tokens[1]!;
  assert.equal(tokenAt(s.record, t.start + 2), t);
  assert.equal(tokenAt(s.record, 0), undefined);
});

test('lines that are not records are reported, not thrown', () => {
  assert.deepEqual(scanLine('{oops'), { ok: false, reason: 'not JSON' });
  assert.equal(scanLine('{"a":1}').ok, false);
  assert.equal(scanLine('   ').ok, false);
  const edited = formatLine('r', 0, tr).replace('"text":["<think>",', '"text":[ "<think>",');
  assert.deepEqual(scanLine(edited), { ok: false, reason: 'a token does not appear as written by ActFocus (was the line edited?)' });
});

test('energy buckets', () => {
  assert.equal(energyBucket(-10, -10, 0), 0);
  assert.equal(energyBucket(0, -10, 0), 4);
  assert.equal(energyBucket(-5, -10, 0), 2);
  assert.equal(energyBucket(NaN, -10, 0), 0);
});
