// Sending a control request to a run's host and reporting its answer (ack or error event).
import * as vscode from 'vscode';
import { makeRequest, writeControlRequest } from '../protocol/control';
import type { ControlAction } from '../protocol/types.generated';
import type { RunMonitor } from '../runs/runMonitor';
import { visibleText } from '../common/visibleText';
import { isLive } from '../protocol/schema';

export interface ControlAnswer {
  type: 'ack' | 'error' | 'timeout';
  message: string;
}

// Each action's name in a sentence ("Pause applied to …") and as a verb ("No run to pause."). Functions,
// not constants: vscode.l10n.t reads the display language's bundle when called.
const WORDS: Record<ControlAction, () => { label: string; verb: string }> = {
  set_hparams: () => ({ label: vscode.l10n.t('Hyperparameter change'), verb: vscode.l10n.t('change hyperparameters of') }),
  pause: () => ({ label: vscode.l10n.t('Pause'), verb: vscode.l10n.t('pause') }),
  resume: () => ({ label: vscode.l10n.t('Resume'), verb: vscode.l10n.t('resume') }),
  stop: () => ({ label: vscode.l10n.t('Stop'), verb: vscode.l10n.t('stop') }),
  checkpoint: () => ({ label: vscode.l10n.t('Checkpoint'), verb: vscode.l10n.t('checkpoint') }),
  export_onnx: () => ({ label: vscode.l10n.t('ONNX export'), verb: vscode.l10n.t('export ONNX from') }),
};

/** The action as a verb in "No run to …" / "Run to …". */
export function actionVerb(action: ControlAction): string {
  return WORDS[action]().verb;
}

export async function sendControl(monitor: RunMonitor, runId: string, action: ControlAction, values?: Record<string, number | string>, timeoutMs = 120_000): Promise<ControlAnswer> {
  const run = monitor.get(runId);
  runId = visibleText(runId); // from here on only shown to the user
  if (!run) return { type: 'error', message: vscode.l10n.t('No run named {0}', runId) };
  if (!isLive(run.summary.status)) {
    const state = run.summary.status === 'dead' ? vscode.l10n.t('not responding (its host died)') : run.summary.status;
    return { type: 'error', message: vscode.l10n.t('{0} is {1}; only a live run takes requests', runId, state) };
  }
  const req = makeRequest(action, values);
  await writeControlRequest(run.dir, req);
  const answer = await monitor.waitForAnswer(runId, req.id, timeoutMs);
  const { label } = WORDS[action]();
  if (!answer) return { type: 'timeout', message: vscode.l10n.t('{0} was sent to {1}; the host applies it at the next step boundary', label, runId) };
  if (answer.type === 'error') return { type: 'error', message: vscode.l10n.t('{0} refused by {1}: {2}', label, runId, answer.message) };
  return { type: 'ack', message: answer.detail ? vscode.l10n.t('{0} applied to {1} ({2})', label, runId, answer.detail) : vscode.l10n.t('{0} applied to {1}', label, runId) };
}

export function showAnswer(a: ControlAnswer): void {
  if (a.type === 'error') void vscode.window.showErrorMessage(a.message);
  else void vscode.window.showInformationMessage(a.message);
}
