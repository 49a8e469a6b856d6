// The extension's ActFocus arithmetic (what-if previews) agrees with the shared vectors the Python host is also tested against.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { actfocusWeights, weightMassByRole } from '../../src/core/actfocus';

const cases = (name: string) => JSON.parse(readFileSync(join(__dirname, '..', 'vectors', `${name}.json`), 'utf8')).cases as any[];
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

test('weights equal the shared vectors', () => {
  for (const [k, c] of cases('weights').entries()) {
    const stats = c.stats ? { mu: c.stats[0], sigma: c.stats[1] } : undefined; // the precomputed-statistics path
    close(actfocusWeights(c.roles, c.signal, { alpha: c.alpha, beta: c.beta, eps: c.eps, otherWeight: c.other_weight }, stats), c.expected, 1e-12, `case ${k}`);
  }
});

test('weight mass moves from reasoning to action as alpha falls', () => {
  const roles = [0, 0, 0, 0, 1, 2];
  const signal = [0, 0, 0, 0, 3, 0];
  const uniform = weightMassByRole(roles, actfocusWeights(roles, signal, { alpha: 1, beta: 0, eps: 1e-6, otherWeight: 1 }));
  const focused = weightMassByRole(roles, actfocusWeights(roles, signal, { alpha: 0.1, beta: 0.5, eps: 1e-6, otherWeight: 1 }));
  assert.deepEqual(uniform, { reasoning: 4 / 6, action: 1 / 6, other: 1 / 6 });
  assert.ok(focused.action > uniform.action && focused.reasoning < uniform.reasoning);
});
