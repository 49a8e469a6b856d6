// The scoring process (dist/scoreWorker.js): runs an exported model with onnxruntime-node, one turn
// sequence at a time, and reports per-token logprob, entropy and energy. It is a separate process so
// that a native crash in onnxruntime cannot take down the extension host.
import * as ort from 'onnxruntime-node';
import * as path from 'node:path';

export interface ScoreRequest {
  modelDir: string;
  sequences: { ids: number[]; start: number }[];
}

export type WorkerMessage =
  | { t: 'progress'; done: number; total: number; tokens: number }
  | { t: 'result'; logprob: number[][]; entropy: number[][]; energy: number[][]; tokensPerSecond: number }
  | { t: 'error'; message: string };

async function score(req: ScoreRequest): Promise<void> {
  const session = await ort.InferenceSession.create(path.join(req.modelDir, 'model.onnx'), { executionProviders: ['cpu'] });
  const out = { logprob: [] as number[][], entropy: [] as number[][], energy: [] as number[][] };
  const t0 = performance.now();
  let tokens = 0;
  for (const [k, seq] of req.sequences.entries()) {
    const T = seq.ids.length;
    const ids = new ort.Tensor('int64', BigInt64Array.from(seq.ids, BigInt), [1, T]);
    const mask = new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]);
    const res = await session.run({ input_ids: ids, attention_mask: mask });
    const logits = res.logits!.data as Float32Array;
    const energy = res.energy!.data as Float32Array;
    const V = logits.length / T;
    const lp: number[] = [], ent: number[] = [], en: number[] = [];
    // Response token j is predicted at position start - 1 + j.
    for (let pos = seq.start - 1; pos < T - 1; pos++) {
      const row = logits.subarray(pos * V, (pos + 1) * V);
      const lse = -energy[pos]!; // energy = -logsumexp(logits), computed in the model in float32
      let h = 0;
      for (let v = 0; v < V; v++) {
        const l = row[v]! - lse;
        h -= Math.exp(l) * l;
      }
      lp.push(row[seq.ids[pos + 1]!]! - lse);
      ent.push(h);
      en.push(energy[pos]!);
    }
    out.logprob.push(lp);
    out.entropy.push(ent);
    out.energy.push(en);
    tokens += lp.length;
    process.send!({ t: 'progress', done: k + 1, total: req.sequences.length, tokens } satisfies WorkerMessage);
  }
  process.send!({ t: 'result', ...out, tokensPerSecond: tokens / ((performance.now() - t0) / 1000) } satisfies WorkerMessage);
}

process.once('message', (req: ScoreRequest) => {
  score(req).then(
    () => process.exit(0),
    (e: Error) => {
      process.send!({ t: 'error', message: e.message } satisfies WorkerMessage, () => process.exit(1));
    },
  );
});
