"""torchrun with 2 CPU processes (Gloo) gives the parameters of a single process on the same global
batch: global group filtering, global ActFocus signal statistics, the same global mini-batches with
gradients summed across ranks."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

WORKER = os.path.join(os.path.dirname(__file__), "ddp_worker.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun(log_dir, *args: str) -> list[str]:
    """torchrun with 2 ranks, each rank's whole stdout/stderr kept in files under log_dir (see rank_logs)."""
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={free_port()}", "--master_addr=127.0.0.1",
            f"--log-dir={log_dir}", "--redirects=3", *args]


def rank_logs(log_dir) -> str:
    """Every rank's output, whole: a failure must say why (a truncated tail once hid the cause of an abort)."""
    parts = []
    for path in sorted(Path(log_dir).rglob("*.log")):
        text = path.read_text(errors="replace")
        if text.strip():
            parts.append(f"--- {path.relative_to(log_dir)}\n{text}")
    return "\n".join(parts) or "(no rank output)"


@pytest.mark.parametrize("algo", ["grpo", "ppo"])
def test_two_ranks_equal_one_process(tmp_path, algo):
    single = tmp_path / "single.pt"
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    r = subprocess.run([sys.executable, WORKER, str(single), algo], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    ddp = tmp_path / "ddp.pt"
    logs = tmp_path / "ranks"
    r = subprocess.run(torchrun(logs, WORKER, str(ddp), algo), capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, f"torchrun exit {r.returncode}\n{rank_logs(logs)}\n--- torchrun\n{r.stderr[-3000:]}"
    a, b = torch.load(single), torch.load(ddp)
    assert a.keys() == b.keys()
    # Float tolerance: sums are taken in another order, and Adam divides each coordinate by its own
    # gradient scale, so in near-zero-gradient coordinates rounding noise can move a parameter by a
    # fraction of lr (1e-2). The mean difference stays at rounding level; losses and gradient norms
    # below agree to 1e-5 relative. A real fault (a missing all-reduce, local normalisation) moves
    # parameters by ~lr everywhere and fails both checks.
    total, n = 0.0, 0
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=0, atol=1e-3, msg=lambda m, k=k: f"{k}: {m}")
        total += float((b[k].double() - a[k].double()).abs().sum())
        n += a[k].numel()
    assert total / n < 1e-5, f"mean |difference| {total / n}"
    ma, mb = json.loads((tmp_path / "single.pt.json").read_text()), json.loads((tmp_path / "ddp.pt.json").read_text())
    for x, y in zip(ma, mb):
        for k in ("reward_mean", "success_rate", "groups_kept", "diag/share_action", "diag/rho_full", "signal_mu", "signal_sigma", "loss", "grad_norm"):
            if x.get(k) is None or x[k] != x[k]:  # None, or NaN (no variance to correlate with)
                assert y.get(k) is None or y[k] != y[k], k
            else:
                assert y[k] == pytest.approx(x[k], rel=1e-5, abs=1e-6), (k, x[k], y[k])
    assert ma[0]["grad_norm"] > 0 and ma[0]["groups_kept"] == 3  # something was trained, and filtering was global


def test_actfocus_train_under_torchrun_writes_one_run_and_obeys_control(tmp_path, tiny_model_dir):
    """`torchrun --nproc_per_node=2 -m actfocus train`: rank 0 writes the run directory; a live change
    and a stop request reach both ranks, which stop together."""


    from protocol_util import FAST, validate
    from test_control import answer, request, wait_for

    from actfocus.run.reader import read_events

    run_dir = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    logs = tmp_path / "ranks"
    proc = subprocess.Popen(torchrun(logs, "-m", "actfocus", "train", "--run-dir", str(run_dir), "--model", str(tiny_model_dir), "--steps", "1000",
                             "--eval-every", "0", "--checkpoint-every", "0", "--traj-sampling", "best_worst", *FAST),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_for(run_dir, lambda e: e["type"] == "metrics" and e["step"] >= 1, timeout=120)
        rid = request(run_dir, "set_hparams", {"alpha": 0.25})
        assert answer(run_dir, rid)["type"] == "ack"
        rid = request(run_dir, "stop")
        assert answer(run_dir, rid)["type"] == "ack"
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"torchrun exit {proc.returncode}\n{rank_logs(logs)}\n--- torchrun\n{err[-2000:]}"
    finally:
        proc.kill()
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "stopped" and run["config"]["world_size"] == 2
    ev = read_events(run_dir)
    for e in ev.records:
        validate("event", e)
    steps = [e["step"] for e in ev.records if e["type"] == "metrics" and "reward_mean" in e]
    assert steps == list(range(1, len(steps) + 1))  # one writer: each step once
    last = json.loads((run_dir / "checkpoints" / "latest.json").read_text())
    assert last["step"] == run["step"] and last["cfg"]["alpha"] == 0.25



def test_a_failing_rank_fails_the_job_with_its_message(tmp_path):
    """Ending ranks without interpreter finalization (dist.exit_process) must keep their exit codes:
    a refused setting ends both ranks with 2, and torchrun reports the failure."""
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    logs = tmp_path / "ranks"
    r = subprocess.run(torchrun(logs, "-m", "actfocus", "train", "--run-dir", str(tmp_path / "run"), "--alpha", "7"),
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode != 0
    out = rank_logs(logs)
    assert "actfocus train: alpha" in out, out
    assert "exitcode  : 2" in r.stderr, r.stderr[-2000:]
