import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSafeRunId, runItemFields, summarizeRunJson } from '../../src/common/runSummary';

test('a valid run.json is summarised', () => {
  const s = summarizeRunJson('r1', JSON.stringify({ status: 'running', step: 12, config: { total_steps: 50 } }));
  assert.deepEqual(s, { id: 'r1', status: 'running', step: 12, totalSteps: 50 });
  assert.deepEqual(runItemFields(s), { label: 'r1', description: 'running · step 12/50', icon: 'sync~spin', tooltip: 'r1: running, step 12/50' });
});

test('missing, truncated and wrong-shaped run.json become invalid runs with a reason', () => {
  assert.equal(summarizeRunJson('a', undefined).problem, 'run.json is missing');
  const truncated = summarizeRunJson('b', '{"status": "runn');
  assert.equal(truncated.status, 'invalid');
  assert.match(truncated.problem!, /not valid JSON/);
  assert.equal(summarizeRunJson('c', '[1,2]').problem, 'run.json is not a JSON object');
  const weird = summarizeRunJson('d', JSON.stringify({ status: 3, step: -4, config: null }));
  assert.deepEqual(weird, { id: 'd', status: 'unknown', step: 0, totalSteps: 0 });
  assert.equal(runItemFields(truncated).icon, 'warning');
});

test('hostile run ids are rejected', () => {
  assert.ok(isSafeRunId('sokoban-grpo_2026.11.24'));
  for (const bad of ['', '..', 'a/../b', '../x', 'a b', '-rf', 'x;rm', '$(id)', 'a\nb', '.hidden', 'x'.repeat(200)]) {
    assert.equal(isSafeRunId(bad), false, bad);
  }
});
