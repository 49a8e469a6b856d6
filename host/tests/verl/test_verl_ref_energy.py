"""Reference energies inside verl (actfocus.integrations.verl.ref_energy), through verl's own engine
workers on the CPU: a TrainingWorker with verl's FSDP2 engine, as the registered EnergyFSDPEngine, runs the
reference pass of a tiny Qwen2 model over a verl-shaped batch, and an actor TrainingWorker trains on
ActFocus weights from those energies with verl's ppo_loss and loss_mode "actfocus". The work runs in a
process of its own (engine_worker.py: it installs a verl platform for the CPU and a process group)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).resolve().parent / "engine_worker.py"


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("verl-engine") / "result.json"
    p = subprocess.run([sys.executable, str(WORKER), str(out)], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-8000:]
    return json.loads(out.read_text())


def test_verl_builds_the_reference_with_the_registered_energy_engine(result):
    assert result["engine"] == "EnergyFSDPEngine" and result["is_energy_engine"]


def test_energies_through_verls_reference_pass_equal_the_hosts(result):
    # Every response token of four sequences (one a multi-turn response with a masked observation), both of
    # the engine's layouts; energies that differ from token to token (a shift by one position would show).
    assert result["energy_tokens"] > 80 and result["energy_spread"] > 1.0
    assert result["energy_max_abs_diff"] <= 1e-5
    assert result["padded_energy_max_abs_diff"] <= 1e-5
    assert result["logprob_max_abs_diff"] <= 1e-5  # verl's own log-probs from the same pass, for scale


def test_without_the_flag_the_reference_pass_is_verls_own(result):
    assert result["energy_without_flag"] is False


def test_the_actfocus_loss_with_energy_weights_runs_through_verls_actor_update(result):
    m = result["actor_metrics"]
    assert result["action_tokens"] > 0 and result["weights"]["min"] < 0.5 < 1.5 < result["weights"]["max"]
    # The first update starts at the reference's weights (ratio 1): verl's loss equals the host's -Σ w·A / Σ w.
    assert m["actor/pg_loss"] == pytest.approx(result["host_pg_loss"], rel=1e-5)
    assert m["actor/pg_clipfrac"] == 0.0 and m["grad_norm"] > 0
    assert result["parameters_changed"]
