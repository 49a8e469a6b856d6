"""The sanity table's report (bench/sanity/report.py) on run directories built to a known answer."""

import importlib.util
import json
import math
import os

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
# Loaded under its own name: bench/repro has a report module of the same file name.
_spec = importlib.util.spec_from_file_location("sanity_report", os.path.join(ROOT, "bench", "sanity", "report.py"))
R = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(R)


def _run(folder, name, evals, optimum=0.4, status="completed", reference="eval/optimal_success"):
    d = folder / name
    d.mkdir()
    (d / "run.json").write_text(json.dumps({"status": status}))
    lines = [json.dumps({"type": "metrics", "step": s, "t": 60.0 * s, "eval/success_rate": v, reference: optimum})
             for s, v in evals.items()]
    (d / "events.jsonl").write_text("\n".join(lines) + "\n{\"type\": \"metr")  # a line cut short: skipped
    return R.load(d)


def test_movement_is_the_seeds_mean_change_with_a_binomial_interval(tmp_path):
    a = _run(tmp_path, "grpo-seed0", {0: 0.1, 10: 0.2, 20: 0.3})
    b = _run(tmp_path, "grpo-seed1", {0: 0.2, 10: 0.2, 20: 0.2})
    m, lo, hi = R.movement([a, b], episodes=100)
    assert math.isclose(m, ((0.25 - 0.1) + (0.2 - 0.2)) / 2)
    var = (0.1 * 0.9 + (0.2 * 0.8 + 0.3 * 0.7) / 4 + 0.2 * 0.8 + (0.2 * 0.8 * 2) / 4) / 100
    assert math.isclose(hi - m, 1.96 * math.sqrt(var) / 2) and math.isclose(m - lo, hi - m)


def test_report_thins_columns_and_says_whether_anything_moved(tmp_path, capsys):
    for seed, end in ((0, 0.35), (1, 0.33)):
        _run(tmp_path, f"grpo-seed{seed}", {0: 0.05, 10: 0.1, 20: 0.2, 25: 0.3, 30: end})
    _run(tmp_path, "ppo-seed0", {0: 0.05, 10: 0.05, 20: 0.05, 30: 0.05})
    R.main(tmp_path, target=0.8, every=20, episodes=128)
    out = capsys.readouterr().out
    assert "| step 0 | step 20 | step 30 |" in out  # multiples of 20 and the last
    assert "- grpo: met" in out and "grpo: change from the first evaluation to the mean of the last two +0.270" in out
    assert out.rstrip().endswith("no movement shown") and "- ppo: not met" in out


def test_where_no_optimum_is_reported_the_expert_is_the_reference(tmp_path):
    r = _run(tmp_path, "grpo-seed0", {0: 0.1, 10: 0.5}, optimum=0.5, reference="eval/expert_success")
    assert r["optimum"] == 0.5
