import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, summarise } from '../../bench/stats';

test('percentiles are by nearest rank: p95 of 20 samples is the 19th smallest, not the largest', () => {
  const xs = Array.from({ length: 20 }, (_, i) => i + 1); // 1..20
  assert.equal(percentile(xs, 0.95), 19);
  assert.equal(percentile(xs, 0.5), 10);
  assert.equal(percentile(xs, 1), 20);
  assert.equal(percentile(xs, 0), 1);
  assert.equal(percentile([7], 0.95), 7);
  const s = summarise([3, 1, 2, 100]);
  assert.deepEqual(s, { n: 4, mean: 26.5, p50: 2, p95: 100, max: 100 });
  assert.equal(summarise([]), undefined);
  assert.throws(() => percentile([], 0.5));
});
