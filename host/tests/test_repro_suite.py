"""The reproduction suite (bench/repro): the pure aggregation, and the quick profile end to end as a
smoke test of the pipeline (warm starts → 19 real runs → report). It checks the pipeline, not numbers."""

import csv
import json
import math
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench", "repro"))

import analysis as A  # noqa: E402
import suite as S  # noqa: E402


def test_final_and_peak_follow_the_paper_convention():
    assert A.final_and_peak([(0, 0.2), (10, 0.6), (20, 0.4)]) == (0.4, 0.6)
    assert A.final_and_peak([]) is None


def test_summary_is_mean_and_sample_sd_over_seeds_and_verdicts_compare_methods():
    runs = [{"env": "fl", "method": m, "seed": s, "curve": [(0, 0.1), (20, v)]}
            for m, vals in {"PPO": (0.2, 0.4), "GRPO": (0.5, 0.5), "PPO+ActFocus": (0.3, 0.5), "GRPO+ActFocus": (0.6, 0.8)}.items()
            for s, v in enumerate(vals)]
    cells = A.summarise_runs(runs)
    m, sd, n = cells[("fl", "PPO")]["final"]
    assert (n, round(m, 6), round(sd, 6)) == (2, 0.3, round(math.sqrt(0.02), 6))
    assert cells[("fl", "GRPO+ActFocus")]["seeds"] == [0, 1]
    v = A.verdicts(cells, ["fl"])["fl"]
    assert v["ppo_af_beats_ppo"] and v["grpo_af_beats_grpo"] and v["af_ahead_of_both"]
    runs[-1]["curve"] = [(0, 0.1), (10, 0.9), (20, 0.0)]  # a collapse
    v = A.verdicts(A.summarise_runs(runs), ["fl"])["fl"]
    assert not v["grpo_af_beats_grpo"] and not v["less_collapse"]


def test_scatter_points_pool_a_groups_tokens_per_scope():
    rec = lambda g, r, roles, e: ({"group": g, "reward": r, "step": 3}, {"role": roles, "energy": e})  # noqa: E731
    pts = A.scatter_points([rec(0, 1.0, [0, 1, 2], [1.0, 3.0, 5.0]), rec(0, 0.0, [1], [5.0]), rec(1, 2.0, [0], [7.0])])
    assert sorted(pts["full"]) == [(3.5, 0.25, 3), (7.0, 0.0, 3)]
    assert sorted(pts["reasoning"]) == [(1.0, 0.25, 3), (7.0, 0.0, 3)]
    assert pts["action"] == [(4.0, 0.25, 3)]  # group 1 has no action token
    z = A.standardise_per_step([(1.0, 0.5, 1), (3.0, 0.1, 1), (10.0, 0.2, 2), (30.0, 0.3, 2)])
    assert z == [(-1.0, 0.5), (1.0, 0.1), (-1.0, 0.2), (1.0, 0.3)]


def test_plan_shares_runs_between_experiments():
    prof = S.load_profile("cpu")
    runs = S.plan(prof, list(S.EXPERIMENTS))
    names = [r.name for r in runs]
    assert len(names) == len(set(names))
    ab = prof["ablations"]
    extra = len(ab["seeds"]) * (len(ab["alpha"]) + len(ab["beta"]) + len(ab["signal"]))
    assert len(runs) == len(prof["envs"]) * 4 * len(prof["seeds"]) + extra
    grpo = next(r for r in runs if r.name == "sokoban/grpo-s0")
    assert grpo.experiments == {"diagnosis", "comparison"}
    default = next(r for r in runs if r.name == f"{ab['env']}/grpo_actfocus-s0")
    assert default.experiments == {"comparison", "ablations"}


def test_quick_profile_runs_the_whole_pipeline(tmp_path):
    out = tmp_path / "suite"
    cmd = [sys.executable, os.path.join(ROOT, "bench", "repro", "suite.py"), "all", "--profile", "quick", "--out", str(out)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    suite = json.loads((out / "suite.json").read_text())
    assert len(suite["runs"]) == 19 and all(r["status"] == "completed" and r["rc"] == 0 for r in suite["runs"].values())
    # every run is an ordinary run directory the extension opens: run.json, events, trajectories
    for name in suite["runs"]:
        d = out / "runs" / name
        assert json.loads((d / "run.json").read_text())["status"] == "completed"
        assert (d / "trajectories.idx").stat().st_size % 32 == 0 and (d / "events.jsonl").stat().st_size > 0
    rep = out / "report"
    rows = list(csv.DictReader((rep / "comparison.csv").open()))
    assert {(r["env"], r["method"]) for r in rows} == {(e, m) for e in ("sokoban", "frozenlake", "sudoku", "shop") for m in S.METHODS}
    assert {r["step"] for r in rows} == {"0", "1", "2"}  # eval_every 1 over 2 steps
    summary = json.loads((rep / "summary.json").read_text())
    assert set(summary["verdicts"]) == {"sokoban", "frozenlake", "sudoku", "shop"}
    assert summary["diagnosis"]["sokoban"]["steps"] == 2
    assert [a["setting"] for a in summary["ablations"]] == ["default (α 0.1, β 0.5, energy)", "alpha = 0.0", "beta = 0.0", "signal = ref_entropy"]
    for png in ("comparison_curves.png", "diagnosis_rho.png", "diagnosis_scatter.png", "ablations.png"):
        assert (rep / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (rep / "results.md").read_text()
    assert "## Comparison" in md and "## Diagnosis" in md and "## Ablations" in md and "19 of 19 runs completed" in md
    # a second invocation finds everything finished and runs nothing again
    again = subprocess.run([*cmd[:2], "comparison", *cmd[3:]], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "16 runs planned, 16 already finished, 0 to run" in again.stdout


def test_unknown_profile_is_refused():
    with pytest.raises(SystemExit, match="unknown profile 'nope'"):
        S.load_profile("nope")


def test_gpu_profiles_throughput_script_runs_on_a_toy_config(tmp_path):
    """The GPU profile's throughput part (real-size configs on CUDA) exercised on CPU with a toy config."""
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "repro", "suite.py"), "throughput", "--profile", "quick", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "not GPU throughput" in p.stdout  # said plainly when there is no CUDA device
    r = json.loads((tmp_path / "throughput.json").read_text())["results"][0]
    assert r["config"] == "toy" and r["params"] > 0 and r["rollout_tokens_per_s"] > 0 and r["train_tokens_per_s"] > 0
    gpu = S.load_profile("gpu")["throughput"]["configs"]
    assert {"qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-3b"} <= set(gpu)


def test_profile_without_ablations_plans_diagnosis_and_comparison_only():
    prof = S.load_profile("cpu-generic")
    assert "ablations" not in prof and prof["warm_start"]["reasoning"] == "generic"
    runs = S.plan(prof, list(S.EXPERIMENTS))
    assert len(runs) == len(prof["envs"]) * 4 * len(prof["seeds"])
    assert not any("ablations" in r.experiments for r in runs)
