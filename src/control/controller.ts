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

const LABEL: Record<ControlAction, string> = {
  set_hparams: 'Hyperparameter change',
  pause: 'Pause',
  resume: 'Resume',
  stop: 'Stop',
  checkpoint: 'Checkpoint',
  export_onnx: 'ONNX export',
};

export async function sendControl(monitor: RunMonitor, runId: string, action: ControlAction, values?: Record<string, number | string>, timeoutMs = 120_000): Promise<ControlAnswer> {
  const run = monitor.get(runId);
  runId = visibleText(runId); // from here on only shown to the user
  if (!run) return { type: 'error', message: `No run named ${runId}` };
  if (!isLive(run.summary.status)) {
    return { type: 'error', message: `${runId} is ${run.summary.status === 'dead' ? 'not responding (its host died)' : run.summary.status}; only a live run takes requests` };
  }
  const req = makeRequest(action, values);
  await writeControlRequest(run.dir, req);
  const answer = await monitor.waitForAnswer(runId, req.id, timeoutMs);
  if (!answer) return { type: 'timeout', message: `${LABEL[action]} was sent to ${runId}; the host applies it at the next step boundary` };
  return answer.type === 'ack' ? { type: 'ack', message: `${LABEL[action]} applied to ${runId}${answer.detail ? ` (${answer.detail})` : ''}` } : { type: 'error', message: `${LABEL[action]} refused by ${runId}: ${answer.message}` };
}

export function showAnswer(a: ControlAnswer): void {
  if (a.type === 'error') void vscode.window.showErrorMessage(a.message);
  else void vscode.window.showInformationMessage(a.message);
}
