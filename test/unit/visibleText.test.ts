import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeInvisibleInJson, hasInvisible, visiblePieces, visibleText } from '../../src/common/visibleText';
import { formatLine, scanLine } from '../../src/inline/trajectoryJsonl';
import type { Trajectory } from '../../src/protocol/trajectories';

test('bidi controls, zero-width and control characters become visible markers; ordinary text is untouched', () => {
  assert.equal(visibleText('abc \u202eevil\u202c'), 'abc ⟨RLO⟩evil⟨PDF⟩');
  assert.equal(visibleText('a\u200bb\u2066c\u2069\ufeff'), 'a⟨ZWSP⟩b⟨LRI⟩c⟨PDI⟩⟨BOM⟩');
  assert.equal(visibleText('\u0000\u0007\u001b[31m\t'), '⟨NUL⟩⟨U+0007⟩⟨ESC⟩[31m⟨TAB⟩');
  assert.equal(visibleText('\u{e0041}'), '⟨U+E0041⟩'); // a tag character (invisible, astral)
  for (const plain of ['Left || Up', 'line\nbreak', 'é🙂 שלום مرحبا 漢字', '<img src=x>']) {
    assert.equal(visibleText(plain), plain);
    assert.equal(hasInvisible(plain), false);
  }
  assert.deepEqual(visiblePieces('x\u202ey'), [{ text: 'x' }, { text: '⟨RLO⟩', codePoint: 0x202e }, { text: 'y' }]);
});

test('exported JSON Lines carry hidden characters as \\u escapes: the same data, nothing hidden in the file', () => {
  const texts = [' move', '\u202e', ' Left', '\u200b', '\u{e0041}', 'é🙂'];
  const n = texts.length;
  const tr: Trajectory = {
    header: { v: 1, step: 1, index: 0, group: 0, seed: 0, env: 'sokoban', reward: 0, success: false, advantage: null, system: '', turns: [], n_tokens: n, columns: [] },
    columns: { text: texts, role: new Uint8Array(n), energy: new Float32Array(n), weight: new Float32Array(n).fill(1), logprob: new Float32Array(n),
      entropy: new Float32Array(n), advantage: new Float32Array(n), token_id: new Uint32Array(n) },
  };
  const line = formatLine('r\u202eun', 0, tr);
  assert.equal(hasInvisible(line), false, line);
  assert.ok(line.includes('\\u202e') && line.includes('\\udb40\\udc41'));
  assert.deepEqual(JSON.parse(line).text, texts);
  assert.equal(JSON.parse(line).run, 'r\u202eun');
  const s = scanLine(line);
  assert.ok(s.ok);
  assert.deepEqual(s.record.tokens.map((t) => t.text), texts);
  assert.equal(escapeInvisibleInJson('{"a":"plain"}'), '{"a":"plain"}');
});
