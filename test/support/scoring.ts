// What the scoring tests share: the run's reference model exported, the run's trajectories read, and
// the check that scores reproduce what was logged at training time.
import assert from 'node:assert/strict';
import { TrajectoryFile, type Trajectory } from '../../src/protocol/trajectories';
import type { Scores } from '../../src/scoring/scorer';

/** Arguments for the host's Python: export the model in `model` (a run's initial model is its reference) to `out`. */
export const exportModelArgs = (model: string, out: string): string[] =>
  ['-c', 'import sys; from actfocus.policy.lm import load_policy; from actfocus.export.onnx import export_onnx; export_onnx(load_policy(sys.argv[1]), sys.argv[2])', model, out];

export async function readTrajectories(runDir: string): Promise<Trajectory[]> {
  const f = (await TrajectoryFile.open(runDir))!;
  const out: Trajectory[] = [];
  for (let i = 0; i < (await f.count()); i++) out.push(await f.read(i));
  await f.close();
  return out;
}

export const scoringColumns = (t: Trajectory) => ({ token_id: t.columns.token_id as Uint32Array, text: t.columns.text as string[] });

/** Scores equal the logged energies and reference log-probs (stored as float16: relative error 2^-11). Returns the tokens compared. */
export function assertReproducesLogged(s: Scores, t: Trajectory): number {
  const logged = t.columns.energy as Float32Array;
  const loggedLp = t.columns.ref_logprob as Float32Array;
  assert.equal(s.energy.length, logged.length);
  for (let i = 0; i < logged.length; i++) {
    assert.ok(Math.abs(s.energy[i]! - logged[i]!) <= Math.abs(logged[i]!) * 2 ** -10 + 1e-4, `energy ${i}: ${s.energy[i]} vs logged ${logged[i]}`);
    assert.ok(Math.abs(s.logprob[i]! - loggedLp[i]!) <= Math.abs(loggedLp[i]!) * 2 ** -10 + 1e-3, `logprob ${i}: ${s.logprob[i]} vs logged ${loggedLp[i]}`);
  }
  return logged.length;
}
