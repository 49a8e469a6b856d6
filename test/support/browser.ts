// Launch Debian's Chromium through playwright-core (no browser download), headless and offline.
import { chromium, type Browser, type Page } from 'playwright-core';
import { existsSync } from 'node:fs';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: run scripts/setup.sh browser`);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A new page; with WEBVIEW_CPU_SLOWDOWN=N in the environment its CPU runs N times slower (Chromium's
 * throttling): a loaded machine on demand, which brings out tests that read the page before it is done
 * (e.g. `WEBVIEW_CPU_SLOWDOWN=4 npm run -s test:webview`).
 */
export async function openPage(browser: Browser, options?: Parameters<Browser['newPage']>[0]): Promise<Page> {
  const page = await browser.newPage(options);
  const rate = Number(process.env.WEBVIEW_CPU_SLOWDOWN ?? 1);
  if (rate > 1) await (await page.context().newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate });
  return page;
}
