// Trajectories as JSON Lines (*.trajectories.jsonl): one stored trajectory per line, readable in the
// editor, by pandas and by jq. Pure formatting and scanning: the scanner finds each token's text in a
// line (to decorate it) without trusting the line, and reports problems instead of throwing.
import type { Trajectory } from '../protocol/trajectories';
import { escapeInvisibleInJson } from '../common/visibleText';

export const JSONL_VERSION = 1;
export const FILE_SUFFIX = '.trajectories.jsonl';

export interface LineToken {
  /** Offsets (UTF-16) of the token's text inside the line's JSON string literal, quotes excluded. */
  start: number;
  end: number;
  text: string;
  role: number;
  energy: number;
  weight: number;
  logprob: number;
  entropy: number;
  advantage: number;
}

export interface LineRecord {
  run: string;
  position: number;
  step: number;
  group: number;
  index: number;
  reward: number;
  success: boolean;
  tokens: LineToken[];
}

const round = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null);

export function formatLine(run: string, position: number, tr: Trajectory): string {
  const c = tr.columns;
  const col = (k: string) => Array.from(c[k] as ArrayLike<number>, round);
  const h = tr.header;
  // Fixed field order, token texts first among the arrays: the scanner relies on the layout
  // JSON.stringify gives, and the texts stay near the start of the (wrapped) line.
  // Hidden characters (bidi controls, zero-width…) are written as \u escapes: the same data, and a file
  // that cannot mislead whoever opens it.
  return escapeInvisibleInJson(JSON.stringify({ v: JSONL_VERSION, run, position, step: h.step, group: h.group, index: h.index, reward: h.reward, success: h.success, env: h.env, turns: h.turns.length,
    text: c.text, role: Array.from(c.role as ArrayLike<number>), energy: col('energy'), weight: col('weight'), logprob: col('logprob'), entropy: col('entropy'), advantage: col('advantage') }));
}

export type Scanned = { ok: true; record: LineRecord } | { ok: false; reason: string };

export function scanLine(line: string): Scanned {
  if (!line.trim()) return { ok: false, reason: 'empty line' };
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof v !== 'object' || v === null || v.v !== JSONL_VERSION || !Array.isArray(v.text) || typeof v.run !== 'string' || !Number.isInteger(v.position)) {
    return { ok: false, reason: 'not an ActFocus trajectory record (needs v, run, position and text)' };
  }
  const texts = v.text as unknown[];
  const arr = (k: string) => (Array.isArray(v[k]) ? (v[k] as unknown[]) : []);
  const numOr = (x: unknown) => (typeof x === 'number' ? x : NaN);
  let pos = line.indexOf('"text":[');
  if (pos < 0) return { ok: false, reason: 'token texts are not where the format puts them' };
  pos += 8;
  const tokens: LineToken[] = [];
  for (let i = 0; i < texts.length; i++) {
    const text = typeof texts[i] === 'string' ? (texts[i] as string) : '';
    const literal = escapeInvisibleInJson(JSON.stringify(text));
    if (!line.startsWith(literal, pos)) return { ok: false, reason: 'a token does not appear as written by ActFocus (was the line edited?)' };
    tokens.push({ start: pos + 1, end: pos + literal.length - 1, text, role: numOr(arr('role')[i]), energy: numOr(arr('energy')[i]), weight: numOr(arr('weight')[i]),
      logprob: numOr(arr('logprob')[i]), entropy: numOr(arr('entropy')[i]), advantage: numOr(arr('advantage')[i]) });
    pos += literal.length + 1; // the comma (or the closing bracket)
  }
  return { ok: true, record: { run: v.run, position: v.position as number, step: Number(v.step), group: Number(v.group), index: Number(v.index), reward: Number(v.reward), success: v.success === true, tokens } };
}

/** Token under a character offset of a line. */
export function tokenAt(rec: LineRecord, offset: number): LineToken | undefined {
  let lo = 0;
  let hi = rec.tokens.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = rec.tokens[mid]!;
    if (offset < t.start) hi = mid - 1;
    else if (offset >= Math.max(t.end, t.start + 1)) lo = mid + 1;
    else return t;
  }
  return undefined;
}

/** Energy bucket 0..4 over a range (for the energy underline decorations). */
export function energyBucket(e: number, lo: number, hi: number): number {
  if (!Number.isFinite(e) || hi <= lo) return 0;
  return Math.min(4, Math.max(0, Math.floor(((e - lo) / (hi - lo)) * 5)));
}
