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
