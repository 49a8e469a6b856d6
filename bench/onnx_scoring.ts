// ONNX scoring throughput on CPU: the extension's scoring process (onnxruntime-node) vs PyTorch on the
// same token sequences, side by side in one run, for a built-in model (d=64, 2 layers) and the
// trajectories of a real short run.
//   node --import tsx bench/onnx_scoring.ts [--json bench/results/onnx_scoring.json]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrajectoryFile } from '../src/protocol/trajectories';
import { loadExport, scoreTrajectory } from '../src/scoring/scorer';
import { turnSequences } from '../src/scoring/sequences';
import { python, ROOT } from '../test/support/python';
import { jsonOut } from './args';

const JSON_OUT = jsonOut();
const CTX = { maxContext: 1024, maxNewTokens: 64 };

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'actfocus-bench-onnx-'));
  const model = join(dir, 'model');
  python(['-m', 'actfocus', 'pretrain', '--env', 'sudoku', '--out', model, '--steps', '100', '--episodes', '40', '--d-model', '64', '--n-layer', '2', '--max-context', '1024']);
  python(['-m', 'actfocus', 'train', '--run-dir', join(dir, 'run'), '--model', model, '--env', 'sudoku', '--steps', '1', '--prompts-per-step', '4', '--group-size', '2',
    '--max-new-tokens', '64', '--max-context', '1024', '--eval-every', '0', '--traj-sampling', 'all']);
  python(['-c', 'import sys; from actfocus.policy.lm import load_policy; from actfocus.export.onnx import export_onnx; export_onnx(load_policy(sys.argv[1]), sys.argv[2])', model, join(dir, 'export')]);
  const f = (await TrajectoryFile.open(join(dir, 'run')))!;
  const n = await f.count();
  let tokens = 0;
  let onnxS = 0;
  let computeS = 0;
  const allSeqs = [];
  for (let i = 0; i < n; i++) {
    const t = await f.read(i);
    const t0 = performance.now();
    const s = await scoreTrajectory(join(dir, 'export'), t.header, { token_id: t.columns.token_id as Uint32Array, text: t.columns.text as string[] }, { workerPath: join(ROOT, 'dist', 'scoreWorker.js'), ...CTX });
    onnxS += (performance.now() - t0) / 1000;
    tokens += t.header.n_tokens;
    computeS += t.header.n_tokens / s.tokensPerSecond; // inside the scoring process: model load excluded
    allSeqs.push(...turnSequences(loadExport(join(dir, 'export')), t.header, t.columns.token_id as Uint32Array, CTX));
  }
  await f.close();
  const torchS = Number(python(['-c', `
import json, sys, time, torch
torch.set_num_threads(1)
from actfocus.policy.lm import load_policy
lm = load_policy(sys.argv[1]); seqs = json.load(sys.stdin)
t0 = time.perf_counter()
with torch.no_grad():
    for s in seqs:
        ids = torch.tensor([s["ids"]]); h, _ = lm.net.hidden(ids, torch.ones_like(ids)); lg = lm.net.logits(h)[0]
        lse = torch.logsumexp(lg, -1); lp = lg - lse[:, None]; ent = -(lp.exp() * lp).sum(-1)
print(time.perf_counter() - t0)`, model], JSON.stringify(allSeqs.map(({ ids, start }) => ({ ids, start })))));
  const result = { trajectories: n, tokens, onnx_tokens_per_s_including_process_start: tokens / onnxS, onnx_tokens_per_s_in_worker: tokens / computeS, torch_tokens_per_s_one_thread: tokens / torchS, ratio_onnx_worker_to_torch: torchS / computeS };
  console.log(JSON.stringify(result, null, 2));
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
