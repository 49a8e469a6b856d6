// Scoring a stored trajectory with an exported model (actfocus export-onnx: the built-in model, or a
// Hugging Face causal LM with its own tokenizer) in a child process.
import { fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { TrajectoryHeader } from '../protocol/types.generated';
import { BuiltinTokenizer, type ExportedTokenizer } from './builtinTokenizer';
import { HfTokenizer, type HfExportMeta } from './hfTokenizer';
import { turnSequences, type ScoringTokenizer } from './sequences';
import type { ScoreRequest, WorkerMessage } from './worker';
import { t } from '@vscode/l10n';

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

/** host/actfocus/export/onnx.py's HF_META: present in a Hugging Face model's export only. */
export const HF_EXPORT_META = 'actfocus_export.json';

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

export function loadExport(modelDir: string): ScoringTokenizer {
  if (existsSync(path.join(modelDir, HF_EXPORT_META))) return loadHfExport(modelDir);
  let meta: ExportedTokenizer;
  try {
    meta = JSON.parse(readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8')) as ExportedTokenizer;
  } catch (e) {
    throw new ScoringError(t('{0} is not an exported model: no readable tokenizer.json ({1}); create one with `actfocus export-onnx RUN_DIR`', modelDir, (e as Error).message));
  }
  try {
    return new BuiltinTokenizer(meta);
  } catch (e) {
    throw new ScoringError(`${modelDir}: ${(e as Error).message}`);
  }
}

function loadHfExport(modelDir: string): HfTokenizer {
  const files = [HF_EXPORT_META, 'tokenizer.json', 'tokenizer_config.json'];
  let parts: unknown[];
  try {
    parts = files.map((f) => readJson(path.join(modelDir, f)));
  } catch (e) {
    throw new ScoringError(t('{0} is not a complete export of a Hugging Face model ({1}); export it again with `actfocus export-onnx RUN_DIR`', modelDir, (e as Error).message));
  }
  try {
    return new HfTokenizer(parts[1] as object, parts[2] as object, parts[0] as HfExportMeta);
  } catch (e) {
    throw new ScoringError(`${modelDir}: ${(e as Error).message}`);
  }
}

export async function scoreTrajectory(modelDir: string, header: TrajectoryHeader, columns: { token_id: ArrayLike<number>; text: readonly string[] }, opts: ScoreOptions): Promise<Scores> {
  const tok = loadExport(modelDir);
  const mismatch = tok.mismatch(header, columns.token_id, columns.text);
  if (mismatch) throw new ScoringError(mismatch);
  const seqs = turnSequences(tok, header, columns.token_id, { maxContext: opts.maxContext, maxNewTokens: opts.maxNewTokens });
  const tooLong = seqs.find((s) => s.ids.length > tok.maxSeqLen);
  if (tooLong) throw new ScoringError(t('a turn needs {0} tokens; the model takes at most {1}', tooLong.ids.length, tok.maxSeqLen));
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
      finish(() => reject(new ScoringError(t('scoring was cancelled'))));
    });
    child.on('message', (m: WorkerMessage) => {
      if (m.t === 'progress') opts.onProgress?.(m.done, m.total);
      else if (m.t === 'error') finish(() => reject(new ScoringError(t('the model could not score this trajectory: {0}', m.message))));
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
      finish(() => reject(new ScoringError((sig ? t('the scoring process crashed ({0})', sig) : t('the scoring process exited with code {0}', String(code))) + (stderr ? `: ${stderr.trim().split('\n').pop()}` : ''))));
    });
    child.send({ modelDir, sequences: seqs.map(({ ids, start }) => ({ ids, start })) } satisfies ScoreRequest);
  });
}
