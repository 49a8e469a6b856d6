// The built-in model's tokenizer (host/actfocus/policy/tokenizer.py), for rebuilding the exact prompts
// a trajectory's turns were generated from. Same piece pattern (Python's Unicode \w = letters, digits,
// underscore), same vocabulary lookup and per-character fallback.
import type { TrajectoryHeader } from '../protocol/types.generated';
import { vocabularyMismatch, type Messages, type ScoringTokenizer } from './sequences';

const PIECE = /<\|(?:system|user|assistant)\|>|<\/?(?:think|answer)>| ?\|\|| ?[\p{L}\p{N}_]+| (?=<\/?(?:think|answer)>)| ?[^\p{L}\p{N}_\s]|\s/gu;

export interface ExportedTokenizer {
  type: string;
  vocab: string[];
  special: { pad: number; bos: number; eos: number; unk: number };
  max_seq_len: number;
}

export class BuiltinTokenizer implements ScoringTokenizer {
  private readonly ids = new Map<string, number>();
  readonly special: ExportedTokenizer['special'];

  constructor(readonly meta: ExportedTokenizer) {
    if (meta.type !== 'actfocus-word') throw new Error(`unsupported tokenizer type ${String(meta.type)} (only the built-in model's)`);
    meta.vocab.forEach((t, i) => this.ids.set(t, i));
    this.special = meta.special;
  }

  get maxSeqLen(): number {
    return this.meta.max_seq_len;
  }

  mismatch(_header: TrajectoryHeader, tokenIds: ArrayLike<number>, texts: readonly string[]): string | undefined {
    return vocabularyMismatch(this.meta.vocab, tokenIds, texts, this.special.eos);
  }

  id(token: string): number {
    const i = this.ids.get(token);
    if (i === undefined) throw new Error(`tokenizer has no ${token}`);
    return i;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    const chars = (s: string) => { for (const ch of s) out.push(this.ids.get(ch) ?? this.special.unk); };
    let pos = 0;
    for (const m of text.matchAll(PIECE)) {
      if (m.index! > pos) chars(text.slice(pos, m.index));
      const tid = this.ids.get(m[0]);
      if (tid !== undefined) out.push(tid);
      else chars(m[0]);
      pos = m.index! + m[0].length;
    }
    if (pos < text.length) chars(text.slice(pos));
    return out;
  }

  /** <bos> then `<|role|>` text <eos> per message (render_chat). */
  renderChat(messages: Messages): number[] {
    const ids = [this.special.bos];
    for (const [role, text] of messages) ids.push(this.id(`<|${role}|>`), ...this.encode(text), this.special.eos);
    return ids;
  }

  promptIds(messages: Messages): number[] {
    return [...this.renderChat(messages), this.id('<|assistant|>')];
  }
}
