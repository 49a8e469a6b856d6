// Pure logic behind the dashboard, the trees and the launcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDelta, applyEvents, csvCell, deltaSince, emptyCursor, emptyRunData, fullSeries, latest, toCsv, valueAt, MAX_LOG_LINES } from '../../src/common/runData';
import { rawPoints, STRIDE, type SeriesStore } from '../../src/common/seriesStore';
import { buildTrajectoryTree, trajNodeLabel } from '../../src/common/trajectoryTree';
import { buildTrainArgs, choosePython, defaultRunName } from '../../src/launch/launchArgs';
import { setupAction, setupSteps } from '../../src/launch/setupSteps';
import { parseFromDashboard, parseFromHParams } from '../../src/common/messages';
import { WARM_START_LOSS } from '../../src/common/charts';
import type { RunEvent } from '../../src/protocol/types.generated';

const m = (step: number, extra: Record<string, number | null> = {}): RunEvent => ({ v: 1, t: 100 + step, step, type: 'metrics', success_rate: step / 10, ...extra }) as RunEvent;

test('warm-start progress events chart the warm-start loss by warm-start step, apart from the training steps', () => {
  const d = emptyRunData();
  const progress = (done: number, loss: number | null): RunEvent => ({ v: 1, t: 50 + done, step: 0, type: 'progress', phase: 'pretraining', done, total: 400, loss });
  applyEvents(d, [progress(2, 3.5), progress(4, 1.25), progress(6, null), m(1)]);
  assert.deepEqual(rawPoints(d.series[WARM_START_LOSS]!), [{ x: 2, y: 3.5 }, { x: 4, y: 1.25 }]);
  assert.deepEqual(rawPoints(d.series.success_rate!), [{ x: 1, y: 0.1 }]);
  assert.equal(d.lastStep, 1);
});

test('events build columnar series, markers, logs and answers', () => {
  const d = emptyRunData();
  applyEvents(d, [m(1), m(2, { loss: null }), { v: 1, t: 103, step: 2, type: 'hparams', values: { alpha: 0.3 }, previous: { alpha: 0.1 }, source: 'request', request: 'r1' },
    { v: 1, t: 104, step: 2, type: 'ack', request: 'r1', action: 'set_hparams', detail: 'alpha=0.3' }, { v: 1, t: 105, step: 2, type: 'error', request: 'r2', action: 'set_hparams', message: 'bad', field: 'beta' },
    { v: 1, t: 106, step: 2, type: 'hparams', values: { alpha: 0.1, beta: 0.5 }, source: 'start' }]);
  assert.deepEqual(rawPoints(d.series.success_rate!), [{ x: 1, y: 0.1 }, { x: 2, y: 0.2 }]);
  assert.equal(d.series.loss!.points, 0); // a non-finite value is not a point
  assert.equal(d.markers.length, 1); // start/resume values are not markers
  assert.deepEqual(d.answers, { r1: { type: 'ack', action: 'set_hparams', detail: 'alpha=0.3' }, r2: { type: 'error', message: 'bad' } });
  assert.equal(latest(d, 'success_rate'), 0.2);
  assert.equal(d.hparams.beta, 0.5);
});

test('only the charted metrics are kept; every metric is read at full resolution on demand', () => {
  const events = [m(1, { grad_norm: 2, loss: 0.5 }), m(2, { grad_norm: null })];
  const d = emptyRunData();
  applyEvents(d, events);
  assert.deepEqual(Object.keys(d.series).sort(), ['loss', 'success_rate']);
  const full = fullSeries(events);
  assert.deepEqual(full.grad_norm, { x: [1, 2], t: [101, 102], y: [2, null] });
  assert.deepEqual(Object.keys(fullSeries(events, {}, new Set(['loss']))), ['loss']);
  assert.equal(valueAt(full.grad_norm, 1), 2);
  assert.equal(valueAt(full.grad_norm, 2), null);
  assert.equal(valueAt(full.grad_norm, 3), undefined);
});

/** A store as a receiver must hold it (buffer capacity and the change counter aside). */
const held = (s: SeriesStore) => ({ count: s.count, width: s.width, points: s.points, generation: s.generation, buckets: Array.from(s.buf.subarray(0, s.count * STRIDE)) });

test('deltas since a cursor rebuild the same data on the receiving side, across bucket merges', () => {
  const src = emptyRunData();
  const dst = emptyRunData();
  let cursor = emptyCursor();
  let step = 0;
  for (const n of [2, 2, 1, 600, 3, 1, 2000, 1]) {
    applyEvents(src, [...Array.from({ length: n }, () => m(++step, { reward_mean: Math.sin(step) })), { v: 1, t: 1, step, type: 'log', level: 'info', message: `line ${step}` }]);
    const { delta, cursor: next } = deltaSince(src, cursor);
    applyDelta(dst, delta);
    cursor = next;
    for (const k of Object.keys(src.series)) assert.deepEqual(held(dst.series[k]!), held(src.series[k]!), `${k} after ${step} steps`);
  }
  assert.ok(src.series.success_rate!.generation > 0, 'the series merged buckets');
  assert.deepEqual(dst.logs, src.logs);
  assert.equal(Object.keys(deltaSince(src, cursor).delta.series).length, 0);
});

test('the log keeps the last lines only, and deltas stay correct past the cap', () => {
  const d = emptyRunData();
  const c = deltaSince(d, emptyCursor()).cursor;
  applyEvents(d, Array.from({ length: MAX_LOG_LINES + 10 }, (_, i) => ({ v: 1, t: i, step: 0, type: 'log', level: 'info', message: String(i) }) as RunEvent));
  assert.equal(d.logs.length, MAX_LOG_LINES);
  const delta = deltaSince(d, c).delta;
  assert.equal(delta.logs.length, MAX_LOG_LINES);
  assert.equal(delta.logs.at(-1)!.message, String(MAX_LOG_LINES + 9));
});

test('CSV has every metric at full resolution and neutralises formulas', () => {
  const csv = toCsv([{ id: 'a', series: fullSeries([m(1, { loss: 0.5 }), m(2), m(3)]) }, { id: '=HYPERLINK("x")', series: fullSeries([m(1)]) }]).trim().split('\n');
  assert.equal(csv[0], 'run,step,time,loss,success_rate');
  assert.equal(csv[1], 'a,1,101,0.5,0.1');
  assert.equal(csv[2], 'a,2,102,,0.2');
  assert.equal(csv.length, 5);
  assert.equal(csv[4], `"'=HYPERLINK(""x"")",1,101,,0.1`);
  assert.equal(csvCell('-1+2'), "'-1+2");
});

test('trajectory tree: newest step first, groups in order, sortable by reward', () => {
  const e = (step: number, group: number, index: number, reward: number) => ({ offset: 0, length: 1, step, group, index, reward, success: reward > 0.5, turns: 2 });
  const tree = buildTrajectoryTree([e(1, 0, 0, 0.1), e(1, 0, 1, 0.9), e(2, 1, 3, 0.2), e(2, 0, 0, 1)], 'reward');
  assert.deepEqual(tree.map((n) => (n.kind === 'step' ? n.step : -1)), [2, 1]);
  const step1 = tree[1]!;
  assert.equal(step1.kind, 'step');
  const g = step1.kind === 'step' ? step1.children[0]! : undefined;
  assert.deepEqual(g?.kind === 'group' ? g.children.map((c) => (c.kind === 'trajectory' ? c.position : -1)) : [], [1, 0]);
  assert.deepEqual(trajNodeLabel(tree[0]!), { label: 'step 2', description: '2 trajectories · mean reward 0.60' });
  assert.deepEqual(trajNodeLabel({ kind: 'trajectory', position: 0, entry: e(1, 0, 4, 0.75) }), { label: '#4 ✓ reward 0.75', description: '2 turns' });
});

test('train arguments: an array, validated values, hostile names and paths refused', () => {
  const ok = buildTrainArgs('/ws/runs', { name: 'fl-1', hparams: { env: 'frozenlake', alpha: 0.2, traj_sampling: 'all' }, modelPath: '/models/a b;rm -rf ~', envConfig: { is_slippery: false } });
  assert.ok(ok.ok);
  assert.deepEqual(ok.ok && ok.args, ['-m', 'actfocus', 'train', '--run-dir', '/ws/runs/fl-1', '--env', 'frozenlake', '--alpha', '0.2', '--traj-sampling', 'all',
    '--model', '/models/a b;rm -rf ~', '--env-config', '{"is_slippery":false}']);
  for (const name of ['../x', 'a/b', '$(id)', 'x;rm -rf /', '-rf', '', 'a\nb']) {
    const r = buildTrainArgs('/ws/runs', { name, hparams: {} });
    assert.equal(r.ok, false, name);
  }
  assert.deepEqual(buildTrainArgs('/ws/runs', { name: 'x', hparams: { alpha: 3 } }), { ok: false, error: 'alpha: 3 is out of range; allowed 0 to 1' });
  assert.deepEqual(buildTrainArgs('/ws/runs', { name: 'x', hparams: { env: 'chess' } }), { ok: false, error: 'env: choose one of sokoban, frozenlake, sudoku, shop' });
  assert.equal(buildTrainArgs('/ws/runs', { name: 'x', hparams: {}, modelPath: 'relative/path' }).ok, false);
  assert.equal(buildTrainArgs('/ws/runs', { name: 'x', hparams: {}, modelPath: '/a\u0000b' }).ok, false);
  assert.equal(defaultRunName({ env: 'sokoban', weighting: 'actfocus', algo: 'ppo' }, new Date(2026, 10, 24, 9, 5, 7)), 'sokoban-actfocus-ppo-20261124-090507');
});

test('python interpreter: setting, then the Python extension, then python3', () => {
  assert.deepEqual(choosePython(' /opt/py/bin/python ', '/ext/python'), { path: '/opt/py/bin/python', source: 'setting' });
  assert.deepEqual(choosePython('', '/ext/python'), { path: '/ext/python', source: 'python-extension' });
  assert.deepEqual(choosePython(undefined, undefined), { path: 'python3', source: 'default' });
});

test('host set-up steps create a venv, install the bundled host and check it', () => {
  const torch = ['-m', 'pip', 'install', 'torch>=2.3,<3', '--index-url', 'https://download.pytorch.org/whl/cpu'];
  const s = setupSteps('python3', '/store/venv', '/store/host', torch, true, 'linux');
  assert.deepEqual(s.map((x) => [x.cmd, ...x.args]), [
    ['python3', '-m', 'venv', '/store/venv'],
    ['/store/venv/bin/python', '-m', 'pip', 'install', '--upgrade', 'pip'],
    ['/store/venv/bin/python', ...torch],
    ['/store/venv/bin/python', '-m', 'pip', 'install', '/store/host'],
    ['/store/venv/bin/python', '-m', 'actfocus', '--version'],
  ]);
  // A repair reuses the environment: everything but its creation.
  assert.deepEqual(setupSteps('python3', '/store/venv', '/store/host', torch, false, 'linux').map((x) => x.title), s.slice(1).map((x) => x.title));
  assert.equal(setupSteps('py', 'C:\\v', 'C:\\h', [], true, 'win32')[1]!.cmd.endsWith('python.exe'), true);
});

test('webview messages are checked before use', () => {
  assert.deepEqual(parseFromDashboard({ t: 'control', runId: 'run-1', action: 'stop' }), { t: 'control', runId: 'run-1', action: 'stop' });
  assert.equal(parseFromDashboard({ t: 'control', runId: '../etc', action: 'stop' }), undefined);
  assert.equal(parseFromDashboard({ t: 'control', runId: 'r', action: 'rm' }), undefined);
  assert.equal(parseFromDashboard({ t: 'select', runIds: ['ok', 'a/b'] }), undefined);
  assert.equal(parseFromDashboard({ t: 'savePng', name: '../../x', dataUrl: 'data:image/png;base64,AA' }), undefined);
  assert.equal(parseFromDashboard({ t: 'savePng', name: 'x', dataUrl: 'javascript:alert(1)' }), undefined);
  assert.deepEqual(parseFromDashboard({ t: 'command', command: 'newRun' }), { t: 'command', command: 'newRun' });
  assert.deepEqual(parseFromHParams({ t: 'apply', runId: 'r', values: { alpha: 0.2 } }), { t: 'apply', runId: 'r', values: { alpha: 0.2 } });
  assert.equal(parseFromHParams({ t: 'apply', runId: 'r', values: { alpha: {} } }), undefined);
  // Any folder name is a run id ('r;x' included, looked up, never run or joined into a path); a path is not.
  assert.deepEqual(parseFromHParams({ t: 'apply', runId: 'r;x', values: {} }), { t: 'apply', runId: 'r;x', values: {} });
  assert.equal(parseFromHParams({ t: 'apply', runId: 'r/../x', values: {} }), undefined);
});

test('the set-up reuses a finished environment, repairs an unfinished or outdated one, creates a missing one', () => {
  const want = { host: '0.1.0', torch: 'cpu', requirement: 'torch>=2.3,<3' };
  assert.equal(setupAction(JSON.stringify(want, null, 2), want, true), 'check');
  assert.equal(setupAction(undefined, want, true), 'repair'); // cancelled or failed before its marker
  assert.equal(setupAction(JSON.stringify({ ...want, host: '0.0.9' }), want, true), 'repair'); // the extension was updated
  assert.equal(setupAction(JSON.stringify({ ...want, torch: 'cu128' }), want, true), 'repair'); // another PyTorch build asked for
  assert.equal(setupAction('{"host": "0.1', want, true), 'repair'); // a marker cut short
  assert.equal(setupAction(JSON.stringify(want), want, false), 'fresh'); // no interpreter: nothing to repair
});
