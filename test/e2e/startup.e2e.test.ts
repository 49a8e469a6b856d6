import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { findWebviewFrame, screenshot, startVsCode, type VsCodeSession } from '../support/codeServer';

let vs: VsCodeSession | undefined;
after(async () => vs?.close());

// The README's main-job command relies on this setting to show the dashboard without a click.
test('actfocus.dashboard.openOnStartup opens the dashboard when the window starts', async () => {
  vs = await startVsCode({ settings: { 'actfocus.dashboard.openOnStartup': true } });
  const frame = await findWebviewFrame(vs.page, '#status');
  await frame.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Connected'), null, { timeout: 60_000 });
  assert.equal(await frame.textContent('#status'), 'Connected to ActFocus 0.1.0 · no runs yet');
  await screenshot(vs.page, 'startup-dashboard');
});
