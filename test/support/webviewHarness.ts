// Serves a built webview bundle (dist/webview) in a plain page, with a stub acquireVsCodeApi that
// records what the webview posts, and the same HTML shell and CSP the extension uses.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { buildWebviewHtml } from '../../src/common/webviewHtml';

const distDir = join(__dirname, '..', '..', 'dist', 'webview');
const NONCE = 'testnonce0123456789';

const stub = `
window.__posted = [];
window.__state = undefined;
window.acquireVsCodeApi = () => ({
  postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
  getState: () => window.__state,
  setState: (s) => { window.__state = s; },
});`;

export async function serveWebview(app: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/') {
      const html = buildWebviewHtml({ title: app, cspSource: "'self'", nonce: NONCE, scriptUri: `/${app}.js`, styleUri: '/webview.css' })
        .replace('<div id="app"></div>', `<div id="app"></div>\n<script nonce="${NONCE}">${stub}</script>`);
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
      return;
    }
    if (path === '/favicon.ico') return void res.writeHead(204).end(); // Browsers ask; webviews never do.
    const file = normalize(join(distDir, path));
    if (!file.startsWith(distDir)) return void res.writeHead(403).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

export async function posted(page: Page): Promise<unknown[]> {
  return page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
}

/**
 * Posts a message as the extension would, and returns once the webview has handled it: postMessage
 * dispatches later, so a test that read the page right after posting could read it before (and a wait
 * for "nothing pending" could pass on the state from before the message). The webview's listener was
 * added when its bundle loaded, before this one, so it has run when this one sees the message; earlier
 * sends have all been dispatched, so the next message event is this one.
 */
export async function send(page: Page, message: unknown): Promise<void> {
  await page.evaluate((m) => new Promise<void>((handled) => {
    window.addEventListener('message', () => handled(), { once: true });
    window.postMessage(m, '*');
  }), message);
}
