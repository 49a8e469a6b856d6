// The token sequences a stored trajectory's turns were scored on at training time (pure): the
// conversation so far rendered as the prompt (oldest turns dropped to fit the context budget, as
// rollout/multiturn.py fit_context does), followed by the turn's sampled tokens.
import type { TrajectoryHeader } from '../protocol/types.generated';
import { t } from '@vscode/l10n';

export type Messages = [string, string][];

/** What scoring needs of an exported model's tokenizer (the built-in model's, or a Hugging Face model's). */
export interface ScoringTokenizer {
  /** Ids of the conversation followed by the assistant's generation prompt (the host's prompt_ids). */
  promptIds(messages: Messages): number[];
  /** The longest sequence the model takes. */
  readonly maxSeqLen: number;
  /** Why this trajectory's tokens cannot come from this tokenizer, or undefined when they can. */
  mismatch(header: TrajectoryHeader, tokenIds: ArrayLike<number>, texts: readonly string[]): string | undefined;
}

export interface TurnSequence {
  ids: number[];
  /** Index in ids of the first response token. */
  start: number;
  /** Position of the turn's first token in the trajectory's token columns. */
  tokenStart: number;
}

export function fitContext(tok: ScoringTokenizer, messages: Messages, budget: number): number[] {
  const msgs = [...messages];
  let ids = tok.promptIds(msgs);
  while (ids.length > budget && msgs.length > 3) {
    msgs.splice(1, 2);
    ids = tok.promptIds(msgs);
  }
  return ids.length > budget ? ids.slice(ids.length - budget) : ids;
}

export function turnSequences(tok: ScoringTokenizer, header: TrajectoryHeader, tokenIds: ArrayLike<number>, ctx: { maxContext: number; maxNewTokens: number }): TurnSequence[] {
  const budget = ctx.maxContext - ctx.maxNewTokens - 1;
  const messages: Messages = [['system', header.system]];
  return header.turns.map((turn) => {
    messages.push(['user', turn.observation]);
    const prompt = fitContext(tok, messages, budget);
    const response = Array.from({ length: turn.n_tokens }, (_, i) => tokenIds[turn.start + i]!);
    messages.push(['assistant', turn.text]);
    return { ids: [...prompt, ...response], start: prompt.length, tokenStart: turn.start };
  });
}

/** Refuse a model whose vocabulary does not produce the trajectory's tokens (another tokenizer). */
export function vocabularyMismatch(vocab: readonly string[], tokenIds: ArrayLike<number>, texts: readonly string[], eos: number): string | undefined {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < tokenIds.length; i++) {
    const id = tokenIds[i]!;
    const ok = id < vocab.length && (id === eos ? texts[i] === '' : vocab[id] === texts[i]);
    if (!ok) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (!bad) return undefined;
  const id = tokenIds[first]!;
  return t('The model\'s vocabulary does not match this trajectory\'s tokenizer: {0} of {1} tokens differ (token {2}: id {3} is {4} in the model, {5} in the trajectory).',
    bad, tokenIds.length, first, id, id < vocab.length ? JSON.stringify(vocab[id]) : t('outside the vocabulary'), JSON.stringify(texts[first]));
}
