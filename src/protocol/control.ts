// Writing control requests (docs/protocol.md §Control): a file per request, written under a dot-name
// and renamed, so the host never reads half a request.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FILES, PROTOCOL_VERSION } from './schema';
import type { ControlAction, ControlRequest } from './types.generated';

let counter = 0;

/** Sortable by time (the host applies requests in name order), unique within and across processes. */
export function newRequestId(nowMs: number = Date.now(), rand: () => number = Math.random): string {
  counter = (counter + 1) % 1000;
  const r = Math.floor(rand() * 36 ** 4).toString(36).padStart(4, '0');
  return `${String(nowMs).padStart(14, '0')}-${String(counter).padStart(3, '0')}-${r}`;
}

export function makeRequest(action: ControlAction, values?: Record<string, number | string>, nowMs = Date.now()): ControlRequest {
  return { v: PROTOCOL_VERSION as 1, id: newRequestId(nowMs), action, t: nowMs / 1000, ...(values ? { values } : {}) };
}

export async function writeControlRequest(runDir: string, req: ControlRequest): Promise<string> {
  const dir = path.join(runDir, FILES.controlPending);
  await fs.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${req.id}.tmp`);
  await fs.writeFile(tmp, JSON.stringify(req));
  await fs.rename(tmp, path.join(dir, `${req.id}.json`));
  return req.id;
}
