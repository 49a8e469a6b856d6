// Scoring with a Hugging Face causal LM, on real parts: a tiny Qwen2 model (built offline), a real
// training run with it, the host's export (ONNX graph + the model's own tokenizer files), and the
// extension's scorer, which runs the tokenizer with tokenizers.js and the chat template with Jinja.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Trajectory } from '../../src/protocol/trajectories';
import { HF_EXPORT_META, loadExport, scoreTrajectory, ScoringError } from '../../src/scoring/scorer';
import { python, ROOT } from '../support/python';
import { assertReproducesLogged, exportModelArgs, readTrajectories, scoringColumns } from '../support/scoring';

const WORKER = join(ROOT, 'dist', 'scoreWorker.js');
const dir = mkdtempSync(join(tmpdir(), 'actfocus-hf-'));
const model = join(dir, 'model');
const run = join(dir, 'run');
const exported = join(dir, 'export');
const CTX = { maxContext: 2048, maxNewTokens: 16 };
const trajectories: Trajectory[] = [];

before(async () => {
  // host/tests/test_policy.py's tiny Qwen2 (2 layers, 32 wide) and its byte-level BPE tokenizer with a chat template.
  python(['-c', 'import sys; sys.path.insert(0, "host/tests"); from test_policy import tiny_hf_model; m, t = tiny_hf_model(); m.save_pretrained(sys.argv[1]); t.save_pretrained(sys.argv[1])', model]);
  python(['-m', 'actfocus', 'train', '--run-dir', run, '--model', model, '--env', 'frozenlake', '--env-config', '{"is_slippery": false, "max_turns": 2}',
    '--steps', '1', '--prompts-per-step', '2', '--group-size', '2', '--max-new-tokens', String(CTX.maxNewTokens), '--max-context', String(CTX.maxContext),
    '--eval-every', '0', '--traj-sampling', 'all']);
  // The run's reference model is its initial model: export that one (export-onnx RUN_DIR exports the trained one).
  python(exportModelArgs(model, exported));
  trajectories.push(...(await readTrajectories(run)));
  assert.equal(trajectories.length, 4);
});

const cols = scoringColumns;

test('energies of a Hugging Face model scored in the editor equal those logged at training time', async () => {
  let n = 0;
  for (const t of trajectories) {
    const s = await scoreTrajectory(exported, t.header, cols(t), { workerPath: WORKER, ...CTX });
    // as the built-in model's (onnxScoring.test.ts); tighter than the 0.01 the inspection e2e test asks
    n += assertReproducesLogged(s, t);
  }
  assert.ok(n > 20, `only ${n} tokens were compared`);
});

test("prompts rebuilt with tokenizers.js and the model's chat template equal the host's, hostile text included", () => {
  const tok = loadExport(exported);
  const convs: [string, string][][] = [
    [['system', 'You are in a maze.'], ['user', 'Turn 1: go <b>down</b>']],
    [['system', 's'], ['user', '<script>alert(1)</script> \u202Eevil\u202C zero\u200Bwidth é 漢字 🧊'], ['assistant', '<think>x</think><answer>Down</answer>'], ['user', 'next\n\n  spaces  ']],
  ];
  const host = JSON.parse(python(['-c', `
import json, sys
from actfocus.policy.lm import load_policy
lm = load_policy(sys.argv[1])
print(json.dumps([lm.prompt_ids([tuple(m) for m in c]) for c in json.load(sys.stdin)]))`, model], JSON.stringify(convs))) as number[][];
  assert.deepEqual(convs.map((c) => tok.promptIds(c)), host);
});

test('an incomplete export, or a tokenizer that does not produce the trajectory, is refused with a clear message', async () => {
  const t = trajectories[0]!;
  const broken = join(dir, 'broken');
  python(['-c', 'import shutil, sys; shutil.copytree(sys.argv[1], sys.argv[2])', exported, broken]);
  rmSync(join(broken, 'tokenizer.json'));
  await assert.rejects(scoreTrajectory(broken, t.header, cols(t), { workerPath: WORKER, ...CTX }), (e: Error) =>
    e instanceof ScoringError && /not a complete export of a Hugging Face model/.test(e.message));
  const texts = [...(t.columns.text as string[])];
  texts[0] = `${texts[0]}x`;
  await assert.rejects(scoreTrajectory(exported, t.header, { token_id: t.columns.token_id as Uint32Array, text: texts }, { workerPath: WORKER, ...CTX }),
    /tokenizer does not match this trajectory's: turn 1 decodes to/);
  const meta = JSON.parse(readFileSync(join(exported, HF_EXPORT_META), 'utf8'));
  writeFileSync(join(broken, HF_EXPORT_META), JSON.stringify({ ...meta, chat_template: undefined }));
  python(['-c', 'import shutil, sys; shutil.copy(sys.argv[1], sys.argv[2])', join(exported, 'tokenizer.json'), join(broken, 'tokenizer.json')]);
  assert.throws(() => loadExport(broken), /the export has no chat template/);
});
