// Parsing one events.jsonl line. Malformed lines are reported to the caller (which counts them),
// never thrown: a corrupt line must not stop the dashboard.
import type { RunEvent } from './types.generated';
import { versionProblem } from './schema';
import { OVERSIZED_LINE } from './lineSplitter';

export type ParsedLine = { ok: true; event: RunEvent } | { ok: false; reason: string };

export function parseEventLine(line: string): ParsedLine {
  if (!line.trim()) return { ok: false, reason: 'empty line' };
  let value: unknown;
  if (line === OVERSIZED_LINE) return { ok: false, reason: 'line longer than the reader keeps (64 MiB): skipped' };
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not an object' };
  const rec = value as Record<string, unknown>;
  if (typeof rec.type !== 'string') return { ok: false, reason: 'no event type' };
  if (typeof rec.step !== 'number' || !Number.isInteger(rec.step) || rec.step < 0) return { ok: false, reason: 'no valid step' };
  const vp = versionProblem(rec.v);
  if (vp) return { ok: false, reason: `event ${vp}` };
  return { ok: true, event: rec as unknown as RunEvent };
}
