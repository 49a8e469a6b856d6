// ONNX scoring end to end on real parts: a real tiny run's stored trajectories, the host's export,
// the scoring process with onnxruntime-node. Its energies equal PyTorch's on the same token sequences
// (1e-4) and the energies logged at training time (the export is the run's reference model).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Trajectory } from '../../src/protocol/trajectories';
import { loadExport, scoreTrajectory, ScoringError } from '../../src/scoring/scorer';
import { turnSequences } from '../../src/scoring/sequences';
import { python, ROOT } from '../support/python';
import { assertReproducesLogged, exportModelArgs, readTrajectories, scoringColumns } from '../support/scoring';

const WORKER = join(ROOT, 'dist', 'scoreWorker.js');
const dir = mkdtempSync(join(tmpdir(), 'actfocus-onnx-'));
const model = join(dir, 'model');
const run = join(dir, 'run');
const exported = join(dir, 'export');
const CTX = { maxContext: 384, maxNewTokens: 24 };
let trajectories: Trajectory[] = [];

before(async () => {
  python(['-m', 'actfocus', 'pretrain', '--env', 'sokoban', '--out', model, '--steps', '60', '--episodes', '30', '--d-model', '32', '--n-layer', '1', '--max-context', '384']);
  python(['-m', 'actfocus', 'train', '--run-dir', run, '--model', model, '--env', 'sokoban', '--steps', '1', '--prompts-per-step', '2', '--group-size', '2',
    '--max-new-tokens', String(CTX.maxNewTokens), '--max-context', String(CTX.maxContext), '--eval-every', '0', '--traj-sampling', 'all']);
  python(exportModelArgs(model, exported)); // the run's reference model is its initial model
  trajectories = await readTrajectories(run);
  assert.equal(trajectories.length, 4);
});

const cols = scoringColumns;

test('energies from the exported model equal those logged at training time (rebuilt prompts are exact)', async () => {
  for (const t of trajectories) {
    const s = await scoreTrajectory(exported, t.header, cols(t), { workerPath: WORKER, ...CTX });
    assertReproducesLogged(s, t);
    assert.ok(s.tokensPerSecond > 0);
  }
});

test('energies, logprobs and entropies equal PyTorch on the same token sequences within 1e-4', async () => {
  const t = trajectories[0]!;
  const s = await scoreTrajectory(exported, t.header, cols(t), { workerPath: WORKER, ...CTX });
  const seqs = turnSequences(loadExport(exported), t.header, t.columns.token_id as Uint32Array, CTX);
  const torch = JSON.parse(python(['-c', `
import json, sys, torch
from actfocus.policy.lm import load_policy
lm = load_policy(sys.argv[1]); seqs = json.load(sys.stdin); out = {"energy": [], "logprob": [], "entropy": []}
with torch.no_grad():
    for s in seqs:
        ids = torch.tensor([s["ids"]]); h, _ = lm.net.hidden(ids, torch.ones_like(ids)); lg = lm.net.logits(h)[0].double()
        lse = torch.logsumexp(lg, -1); lp = lg - lse[:, None]
        for pos in range(s["start"] - 1, len(s["ids"]) - 1):
            out["energy"].append(-float(lse[pos])); out["logprob"].append(float(lp[pos, s["ids"][pos + 1]]))
            out["entropy"].append(-float((lp[pos].exp() * lp[pos]).sum()))
print(json.dumps(out))`, model], JSON.stringify(seqs)));
  for (const k of ['energy', 'logprob', 'entropy'] as const) {
    assert.equal(torch[k].length, s[k].length);
    for (let i = 0; i < s[k].length; i++) assert.ok(Math.abs(s[k][i]! - torch[k][i]) <= 1e-4, `${k} ${i}: onnx ${s[k][i]} torch ${torch[k][i]}`);
  }
});

test('a model with another vocabulary is refused with a clear message', async () => {
  const other = join(dir, 'other');
  mkdirSync(other);
  copyFileSync(join(exported, 'model.onnx'), join(other, 'model.onnx'));
  const meta = JSON.parse(readFileSync(join(exported, 'tokenizer.json'), 'utf8'));
  meta.vocab = [...meta.vocab.slice(0, 7), ...meta.vocab.slice(7).reverse()];
  writeFileSync(join(other, 'tokenizer.json'), JSON.stringify(meta));
  const t = trajectories[0]!;
  await assert.rejects(scoreTrajectory(other, t.header, cols(t), { workerPath: WORKER, ...CTX }), (e: Error) =>
    e instanceof ScoringError && /vocabulary does not match this trajectory's tokenizer: \d+ of \d+ tokens differ/.test(e.message));
  await assert.rejects(scoreTrajectory(dir, t.header, cols(t), { workerPath: WORKER, ...CTX }), /is not an exported model: no readable tokenizer.json/);
});

test('cancellation, and a crash of the scoring process, are reported and leave this process running', async () => {
  const t = trajectories[0]!;
  const ac = new AbortController();
  const p = scoreTrajectory(exported, t.header, cols(t), { workerPath: WORKER, ...CTX, signal: ac.signal });
  ac.abort();
  await assert.rejects(p, /scoring was cancelled/);
  // A native crash cannot be caused on purpose in onnxruntime: a stand-in worker dies by SIGSEGV.
  const crasher = join(dir, 'crash.js');
  writeFileSync(crasher, "process.on('message', () => process.kill(process.pid, 'SIGSEGV'));");
  await assert.rejects(scoreTrajectory(exported, t.header, cols(t), { workerPath: crasher, ...CTX }), /the scoring process crashed \(SIGSEGV\)/);
});
