import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFromDashboard } from '../../src/common/messages';

test('parseFromDashboard accepts the known messages', () => {
  assert.deepEqual(parseFromDashboard({ t: 'ready' }), { t: 'ready' });
  assert.deepEqual(parseFromDashboard({ t: 'command', command: 'refresh' }), { t: 'command', command: 'refresh' });
});

test('parseFromDashboard rejects anything else', () => {
  for (const bad of [null, undefined, 42, 'ready', [], {}, { t: 'nope' }, { t: 'command', command: 'rm -rf /' }, { t: 7 }]) {
    assert.equal(parseFromDashboard(bad), undefined, JSON.stringify(bad));
  }
});

test('any folder name is a run id; ids shaped like paths are refused', () => {
  for (const id of ['my run [β] (2)', 'ünïcødé-ラン', 'a b#c?d%e', '-leading-dash', 'x'.repeat(255), 'r\u202eun']) {
    assert.deepEqual(parseFromDashboard({ t: 'select', runIds: [id] }), { t: 'select', runIds: [id] }, id);
  }
  for (const id of ['', '.', '..', '../etc', 'a/b', 'a\0b', 'x'.repeat(256), 7, null]) {
    assert.equal(parseFromDashboard({ t: 'select', runIds: [id] }), undefined, JSON.stringify(id));
    assert.equal(parseFromDashboard({ t: 'control', runId: id, action: 'stop' }), undefined, JSON.stringify(id));
  }
});
