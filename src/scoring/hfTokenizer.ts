// A Hugging Face model's own tokenizer, run with Hugging Face's tokenizers.js (not a port), and its chat
// template rendered with Hugging Face's Jinja: the prompts a trajectory's turns were generated from, as
// the host's HFLM.prompt_ids builds them (apply_chat_template: render with the special tokens, then
// encode without adding special tokens).
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import type { TrajectoryHeader } from '../protocol/types.generated';
import type { Messages, ScoringTokenizer } from './sequences';
import { t } from '@vscode/l10n';

/** actfocus_export.json, written by host/actfocus/export/onnx.py for a Hugging Face model. */
export interface HfExportMeta {
  kind: 'huggingface';
  chat_template: string;
  special_tokens: Record<string, string>;
  eos: number;
  vocab_size: number;
  max_seq_len: number;
}

export class HfTokenizer implements ScoringTokenizer {
  private readonly tok: Tokenizer;
  private readonly template: Template;

  constructor(tokenizerJson: object, tokenizerConfig: object, readonly meta: HfExportMeta) {
    if (meta.kind !== 'huggingface') throw new Error(`unsupported export kind ${String(meta.kind)}`);
    if (typeof meta.chat_template !== 'string') throw new Error('the export has no chat template');
    this.tok = new Tokenizer(tokenizerJson, tokenizerConfig);
    this.template = new Template(meta.chat_template);
  }

  get maxSeqLen(): number {
    return this.meta.max_seq_len > 0 ? this.meta.max_seq_len : Infinity;
  }

  render(messages: Messages): string {
    return this.template.render({
      ...this.meta.special_tokens,
      messages: messages.map(([role, content]) => ({ role, content })),
      add_generation_prompt: true,
    });
  }

  promptIds(messages: Messages): number[] {
    return this.tok.encode(this.render(messages), { add_special_tokens: false }).ids;
  }

  decode(ids: number[]): string {
    return this.tok.decode(ids, { skip_special_tokens: false });
  }

  /** Each turn's tokens (but its end-of-turn token) must decode to the text stored with them. */
  mismatch(header: TrajectoryHeader, tokenIds: ArrayLike<number>, texts: readonly string[]): string | undefined {
    for (let i = 0; i < tokenIds.length; i++) {
      if (tokenIds[i]! >= this.meta.vocab_size) return t("The model's vocabulary does not match this trajectory's tokenizer: token {0} (id {1}) is outside its {2} ids.", i, tokenIds[i], this.meta.vocab_size);
    }
    for (const [k, turn] of header.turns.entries()) {
      const ids = Array.from({ length: Math.max(0, turn.n_tokens - 1) }, (_, j) => tokenIds[turn.start + j]!);
      const stored = texts.slice(turn.start, turn.start + turn.n_tokens).join('');
      const decoded = this.decode(ids);
      if (decoded !== stored) {
        return t("The model's tokenizer does not match this trajectory's: turn {0} decodes to {1}, the trajectory holds {2}.", k + 1, JSON.stringify(decoded.slice(0, 60)), JSON.stringify(stored.slice(0, 60)));
      }
    }
    return undefined;
  }
}
