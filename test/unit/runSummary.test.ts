import { test } from 'node:test';
import assert from 'node:assert/strict';
import { continueRefusal, failureNotice, isSafeRunId, runItemFields, summarizeRun } from '../../src/common/runSummary';
import { progressFraction, whereText } from '../../src/common/runProgress';

const hb = (t: number, phase = 'training') => ({ v: 1 as const, t, pid: 7, hostname: 'h', interval_s: 2, step: 12, phase: phase as 'training' });

test('a valid run.json with a fresh heartbeat is summarised as running', () => {
  const s = summarizeRun('r1', JSON.stringify({ status: 'running', step: 12, config: { steps: 50, env: 'sokoban', algo: 'grpo', weighting: 'actfocus' } }), hb(100), 101);
  assert.deepEqual(s, { id: 'r1', status: 'running', step: 12, totalSteps: 50, env: 'sokoban', algo: 'grpo', weighting: 'actfocus', phase: 'training' });
  const f = runItemFields({ ...s, successRate: 0.25 });
  assert.equal(f.description, 'running · step 12/50 · success 25%');
  assert.equal(f.icon, 'sync~spin');
  assert.equal(f.contextValue, 'run-live');
  assert.match(f.tooltip, /sokoban · grpo · actfocus/);
});

test('a long phase is shown with its progress from the heartbeat, not as "step 0/N"', () => {
  const run = (status: string, phase: string, progress?: unknown) =>
    summarizeRun('w', JSON.stringify({ status, step: 0, config: { steps: 50 } }), { ...hb(100, phase), step: 0, ...(progress ? { progress } : {}) } as never, 101);
  const warm = run('running', 'pretraining', { done: 120, total: 400, unit: 'steps' });
  assert.deepEqual([warm.phase, warm.progress], ['pretraining', { done: 120, total: 400, unit: 'steps' }]);
  assert.equal(runItemFields(warm).description, 'running · warm start 120/400 (30%)');
  assert.equal(progressFraction(warm), 0.3);
  assert.equal(whereText(run('running', 'evaluating', { done: 12, total: 32, unit: 'episodes' })), 'evaluating 12/32 episodes');
  assert.equal(whereText(run('running', 'checkpointing')), 'saving a checkpoint');
  assert.equal(whereText(run('starting', 'starting')), 'starting');
  assert.equal(whereText(run('running', 'training')), 'step 0/50');
  assert.equal(whereText(run('paused', 'paused')), 'step 0/50');
  // Progress that is not whole non-negative numbers is ignored, never shown as NaN.
  for (const bad of [{ done: -1, total: 4, unit: 'steps' }, { done: 1.5, total: 4, unit: 'steps' }, { done: 1, total: '4', unit: 'steps' }, { done: 1, total: 4 }, 'x']) {
    const r = run('running', 'pretraining', bad);
    assert.equal(r.progress, undefined);
    assert.equal(whereText(r), 'warm start');
  }
  // A host that stopped beating keeps no phase: it is a dead run at its step.
  const dead = summarizeRun('d', JSON.stringify({ status: 'running', step: 0, config: { steps: 50 } }), { ...hb(100, 'pretraining'), progress: { done: 1, total: 2, unit: 'steps' } } as never, 500);
  assert.equal(runItemFields(dead).description, 'failed (host died) · step 0/50');
  // A finished run reads by its step even if its last heartbeat said otherwise.
  assert.equal(whereText({ ...warm, status: 'stopped' }), 'step 0/50');
});

test('a live status with a stale heartbeat is a dead host, shown as failed with the log tail', () => {
  const s = summarizeRun('r2', JSON.stringify({ status: 'running', step: 3, config: { steps: 9 } }), hb(100), 200);
  assert.equal(s.status, 'dead');
  assert.match(s.problem!, /stopped responding: no heartbeat for 100 s/);
  const f = runItemFields({ ...s, logTail: 'Traceback...\nRuntimeError: CUDA out of memory' });
  assert.equal(f.description, 'failed (host died) · step 3/9');
  assert.match(f.tooltip, /CUDA out of memory/);
  assert.equal(f.contextValue, 'run-continuable'); // its menu offers Continue Run
  assert.equal(runItemFields(summarizeRun('r5', JSON.stringify({ status: 'completed', step: 9, config: { steps: 9 } }), undefined, 1e9)).contextValue, 'run-done');
  assert.equal(summarizeRun('r3', JSON.stringify({ status: 'paused', step: 3, config: {} }), hb(100, 'paused'), 101).status, 'paused');
  assert.equal(summarizeRun('r4', JSON.stringify({ status: 'completed', step: 3, config: {} }), undefined, 1e9).status, 'completed');
});

test('missing, truncated and wrong-shaped run.json become invalid runs with a reason', () => {
  assert.match(summarizeRun('a', undefined, undefined, 0).problem!, /run.json is missing/);
  const truncated = summarizeRun('b', '{"status": "runn', undefined, 0);
  assert.equal(truncated.status, 'invalid');
  assert.match(truncated.problem!, /not valid JSON/);
  assert.equal(summarizeRun('c', '[1,2]', undefined, 0).problem, 'run.json is not a JSON object');
  const weird = summarizeRun('d', JSON.stringify({ status: 3, step: -4, config: null }), undefined, 0);
  assert.deepEqual(weird, { id: 'd', status: 'unknown', step: 0, totalSteps: 0, env: undefined, algo: undefined, weighting: undefined });
  assert.equal(runItemFields(truncated).icon, 'warning');
});

test('hostile run ids are rejected', () => {
  assert.ok(isSafeRunId('sokoban-grpo_2026.11.24'));
  for (const bad of ['', '..', 'a/../b', '../x', 'a b', '-rf', 'x;rm', '$(id)', 'a\nb', '.hidden', 'x'.repeat(200)]) {
    assert.equal(isSafeRunId(bad), false, bad);
  }
});

test('a failed run carries the host\'s one-sentence reason; a notice is owed only when a watched live run fails or dies', () => {
  const reason = 'the run failed in step 3: ValueError: sequence of 612 tokens exceeds max_seq_len 512';
  const failed = summarizeRun('f1', JSON.stringify({ status: 'failed', step: 2, reason, config: { steps: 9 } }), undefined, 1e9);
  assert.equal(failed.problem, reason);
  const running = summarizeRun('f1', JSON.stringify({ status: 'running', step: 2, config: { steps: 9 } }), hb(100), 101);
  assert.equal(failureNotice(running, failed), `ActFocus run f1 failed: ${reason}`);
  assert.equal(failureNotice(undefined, failed), undefined); // found already failed: not news
  assert.equal(failureNotice(failed, failed), undefined); // told once
  const completed = summarizeRun('f1', JSON.stringify({ status: 'completed', step: 9, config: { steps: 9 } }), undefined, 1e9);
  assert.equal(failureNotice(running, completed), undefined);
  const dead = summarizeRun('f1', JSON.stringify({ status: 'running', step: 2, config: { steps: 9 } }), hb(100), 10_000);
  assert.match(failureNotice(running, dead) ?? '', /^ActFocus run f1: The training host stopped responding/);
  // judged dead from a stale heartbeat, then the host recorded why it failed: that reason is news too
  assert.equal(failureNotice(dead, failed), `ActFocus run f1 failed: ${reason}`);
  assert.equal(failureNotice(dead, dead), undefined);
});

test('a run directory of another protocol version is named as such, never shown as a dead or running run', () => {
  const newer = summarizeRun('n1', JSON.stringify({ schema_version: 99, status: 'running', step: 2, config: { steps: 9 } }), hb(100), 10_000);
  assert.equal(newer.status, 'invalid');
  assert.equal(newer.problem, 'run.json written by a newer ActFocus (protocol 99; this reads 1)');
  assert.match(runItemFields(newer).description, /written by a newer ActFocus \(protocol 99; this reads 1\)/);
  const older = summarizeRun('o1', JSON.stringify({ schema_version: 0, status: 'completed', step: 2, config: {} }), undefined, 1);
  assert.equal(older.problem, 'run.json written by an older ActFocus (protocol 0; this reads 1)');
  const hbNewer = summarizeRun('h1', JSON.stringify({ schema_version: 1, status: 'running', step: 2, config: {} }), { ...hb(100), v: 2 as unknown as 1 }, 101);
  assert.equal(hbNewer.problem, 'heartbeat.json written by a newer ActFocus (protocol 2; this reads 1)');
  assert.equal(summarizeRun('c1', JSON.stringify({ schema_version: 1, status: 'completed', step: 2, config: {} }), undefined, 1).status, 'completed');
});

test('a run can be continued when it stopped, failed or its host died, and its host is gone', () => {
  assert.equal(continueRefusal('stopped', false), undefined);
  assert.equal(continueRefusal('failed', false), undefined);
  assert.equal(continueRefusal('dead', false), undefined);
  assert.match(continueRefusal('dead', true)!, /host process is still running/);
  assert.equal(continueRefusal('completed', false), 'it has completed all its steps');
  assert.match(continueRefusal('running', false)!, /it is running; only a stopped or failed run/);
});
