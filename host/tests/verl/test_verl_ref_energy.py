"""Reference energies inside verl (actfocus.integrations.verl.ref_energy), through verl's own engine
workers on the CPU, and on CUDA where a GPU is present: a TrainingWorker with verl's FSDP2 engine, as the registered EnergyFSDPEngine, runs the
reference pass of a tiny Qwen2 model over a verl-shaped batch, and an actor TrainingWorker trains on
ActFocus weights from those energies with verl's ppo_loss and loss_mode "actfocus". The work runs in a
process of its own (engine_worker.py: it installs a verl platform for the CPU and a process group). On CUDA verl
runs on its own platform and the host's numbers come from the same model on CUDA."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

WORKER = Path(__file__).resolve().parent / "engine_worker.py"
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="module", params=DEVICES)
def result(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("verl-engine") / "result.json"
    p = subprocess.run([sys.executable, str(WORKER), str(out), request.param], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-8000:]
    r = json.loads(out.read_text())
    print(request.param, json.dumps(r))  # the figures, in the report of a -rA run (the GPU check quotes them)
    assert r["device"] == request.param and r["verl_device"].startswith(request.param)  # verl's model sat where asked
    return r


def test_verl_builds_the_reference_with_the_registered_energy_engine(result):
    assert result["engine"] == "EnergyFSDPEngine" and result["is_energy_engine"]


def tolerance(result) -> float:
    """1e-5 on the CPU. On CUDA verl's batched pass and the host's one-sequence pass run different float32
    kernels: the first CUDA run (H100) gave 1.14e-5 for energies *and* for verl's own log-probs, 3 float32
    ulps at the logits' magnitude (34). The bar there is 8 such ulps; a token shifted by one position, a
    wrong reduction or a bf16 step would miss it by orders of magnitude (the energies' spread is > 1)."""
    if result["device"] == "cpu":
        return 1e-5
    ulp = math.ulp(result["logit_max_abs"])  # float64's ulp, scaled to float32's 24-bit significand
    return 8 * ulp * 2.0 ** (53 - 24)


def test_energies_through_verls_reference_pass_equal_the_hosts(result):
    # Every response token of four sequences (one a multi-turn response with a masked observation), both of
    # the engine's layouts; energies that differ from token to token (a shift by one position would show).
    assert result["energy_tokens"] > 80 and result["energy_spread"] > 1.0
    tol = tolerance(result)
    assert result["energy_max_abs_diff"] <= tol
    assert result["padded_energy_max_abs_diff"] <= tol
    assert result["logprob_max_abs_diff"] <= tol  # verl's own log-probs from the same pass, for scale


def test_without_the_flag_the_reference_pass_is_verls_own(result):
    assert result["energy_without_flag"] is False


def test_the_actfocus_loss_with_energy_weights_runs_through_verls_actor_update(result):
    m = result["actor_metrics"]
    assert result["action_tokens"] > 0 and result["weights"]["min"] < 0.5 < 1.5 < result["weights"]["max"]
    # The first update starts at the reference's weights (ratio 1): verl's loss equals the host's -Σ w·A / Σ w.
    assert m["actor/pg_loss"] == pytest.approx(result["host_pg_loss"], rel=1e-5)
    assert m["actor/pg_clipfrac"] == 0.0 and m["grad_norm"] > 0
    assert result["parameters_changed"]


def test_the_actfocus_trainer_runs_verls_steps_with_energies_and_weights(result):
    # ActFocusRayPPOTrainer's reference pass and actor update, run through verl's RayPPOTrainer code with a
    # fresh actor: the energies are the host's, the weights those computed directly from them, and verl's
    # loss the host's -Σ w·A / Σ w (a trainer that attached no weights would give the uniform loss).
    t = result["trainer"]
    assert t["ref_energy_max_abs_diff"] <= tolerance(result)
    assert t["weights_max_abs_diff"] <= 1e-4
    assert t["pg_loss"] == pytest.approx(result["host_pg_loss"], rel=1e-5)
    assert t["weight_mean"] == pytest.approx(result["actor_metrics"]["actor/actfocus_weight_mean"], rel=1e-5)
