import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildWebviewHtml, escapeHtml } from '../../src/common/webviewHtml';

const opts = { title: 'T <x>', cspSource: 'vscode-resource:', nonce: 'abc123', scriptUri: 'https://x/app.js', styleUri: 'https://x/a.css' };

test('CSP allows only nonce scripts and no remote content', () => {
  const html = buildWebviewHtml(opts);
  const csp = /content="([^"]*)"/.exec(html)![1]!;
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc123'/);
  assert.doesNotMatch(csp, /unsafe-eval/);
  assert.doesNotMatch(csp, /https?:/);
  assert.match(html, /<script nonce="abc123" src="https:\/\/x\/app.js">/);
});

test('title and attributes are escaped', () => {
  const html = buildWebviewHtml(opts);
  assert.match(html, /<title>T &lt;x&gt;<\/title>/);
  assert.equal(escapeHtml(`<img src=x onerror="a('b')">&`), '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;');
});
