// Scoring a stored trajectory with an exported model (actfocus export-onnx) in a child process.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { TrajectoryHeader } from '../protocol/types.generated';
import { BuiltinTokenizer, type ExportedTokenizer } from './builtinTokenizer';
import { turnSequences, vocabularyMismatch } from './sequences';
import type { ScoreRequest, WorkerMessage } from './worker';

export class ScoringError extends Error {}

export interface Scores {
  logprob: Float64Array;
  entropy: Float64Array;
  energy: Float64Array;
  tokensPerSecond: number;
}

export interface ScoreOptions {
  workerPath: string;
  maxContext: number;
  maxNewTokens: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export function loadExport(modelDir: string): BuiltinTokenizer {
  let meta: ExportedTokenizer;
  try {
    meta = JSON.parse(readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8')) as ExportedTokenizer;
  } catch (e) {
    throw new ScoringError(`${modelDir} is not an exported model: no readable tokenizer.json (${(e as Error).message}); create one with \`actfocus export-onnx RUN_DIR\``);
  }
  try {
    return new BuiltinTokenizer(meta);
  } catch (e) {
    throw new ScoringError(`${modelDir}: ${(e as Error).message}`);
  }
}

export async function scoreTrajectory(modelDir: string, header: TrajectoryHeader, columns: { token_id: ArrayLike<number>; text: readonly string[] }, opts: ScoreOptions): Promise<Scores> {
  const tok = loadExport(modelDir);
  const mismatch = vocabularyMismatch(tok.meta.vocab, columns.token_id, columns.text, tok.special.eos);
  if (mismatch) throw new ScoringError(mismatch);
  const seqs = turnSequences(tok, header, columns.token_id, { maxContext: opts.maxContext, maxNewTokens: opts.maxNewTokens });
  const tooLong = seqs.find((s) => s.ids.length > tok.meta.max_seq_len);
  if (tooLong) throw new ScoringError(`a turn needs ${tooLong.ids.length} tokens; the model takes at most ${tok.meta.max_seq_len}`);
  return new Promise<Scores>((resolve, reject) => {
    const child = fork(opts.workerPath, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let stderr = '';
    let settled = false;
    const finish = (f: () => void) => {
      if (!settled) {
        settled = true;
        f();
      }
    };
    child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-2000)));
    opts.signal?.addEventListener('abort', () => {
      child.kill('SIGKILL');
      finish(() => reject(new ScoringError('scoring was cancelled')));
    });
    child.on('message', (m: WorkerMessage) => {
      if (m.t === 'progress') opts.onProgress?.(m.done, m.total);
      else if (m.t === 'error') finish(() => reject(new ScoringError(`the model could not score this trajectory: ${m.message}`)));
      else {
        const n = header.n_tokens;
        const flat = (parts: number[][]) => {
          const a = new Float64Array(n).fill(NaN);
          parts.forEach((p, k) => a.set(p, seqs[k]!.tokenStart));
          return a;
        };
        finish(() => resolve({ logprob: flat(m.logprob), entropy: flat(m.entropy), energy: flat(m.energy), tokensPerSecond: m.tokensPerSecond }));
      }
    });
    child.on('exit', (code, sig) => {
      finish(() => reject(new ScoringError(`the scoring process ${sig ? `crashed (${sig})` : `exited with code ${code}`}${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`)));
    });
    child.send({ modelDir, sequences: seqs.map(({ ids, start }) => ({ ids, start })) } satisfies ScoreRequest);
  });
}
