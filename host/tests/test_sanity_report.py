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


def _run(folder, name, evals, optimum=0.4, status="completed", reference="eval/optimal_success", valid=None):
    d = folder / name
    d.mkdir()
    (d / "run.json").write_text(json.dumps({"status": status}))
    lines = [json.dumps({"type": "metrics", "step": s, "t": 60.0 * s, "eval/success_rate": v, reference: optimum,
                         **({"eval/valid_turn_rate": valid[s]} if valid else {})})
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


def test_against_a_control_arm_pairs_runs_by_method_and_seed(tmp_path, capsys):
    arm, control = tmp_path / "arm", tmp_path / "control"
    arm.mkdir(), control.mkdir()
    a0 = _run(arm, "grpo-seed0", {0: 0.1, 10: 0.3, 20: 0.5})
    a1 = _run(arm, "grpo-seed1", {0: 0.2, 10: 0.2, 20: 0.4})
    c0 = _run(control, "grpo-seed0", {0: 0.1, 10: 0.1, 20: 0.1})
    c1 = _run(control, "grpo-seed1", {0: 0.3, 10: 0.3, 20: 0.3})  # another warm start: said
    _run(control, "ppo-seed0", {0: 0.1, 10: 0.9, 20: 0.9})  # no ppo run in the arm: not paired
    names, (m, lo, hi) = R.paired({"grpo-seed0": a0, "grpo-seed1": a1}, {"grpo-seed0": c0, "grpo-seed1": c1}, episodes=100)
    assert names == ["grpo-seed0", "grpo-seed1"]
    assert math.isclose(m, ((0.4 - 0.1) - 0.0 + (0.3 - 0.2) - 0.0) / 2)
    var = sum(R.change(r, 100)[1] for r in (a0, a1, c0, c1))
    assert math.isclose(hi - m, 1.96 * math.sqrt(var) / 2)
    R.main(arm, target=0.8, episodes=100, against=control)
    out = capsys.readouterr().out
    assert "- grpo against control (2 pairs): change minus the control's +0.200" in out and "this arm's change larger" in out
    assert "grpo-seed1: first evaluations differ (0.200 against 0.300)" in out and "grpo-seed0: first" not in out
    assert "ppo against" not in out


def test_upto_reads_runs_as_if_they_had_ended_at_that_step(tmp_path, capsys):
    arm, control = tmp_path / "arm", tmp_path / "control"
    arm.mkdir(), control.mkdir()
    _run(arm, "grpo-seed0", {0: 0.1, 10: 0.1, 20: 0.1, 25: 0.0}, status="stopped", valid={0: 1.0, 10: 0.8, 20: 0.5, 25: 0.2})  # read up to step 20
    _run(arm, "grpo-seed1", {0: 0.1, 10: 0.1}, status="stopped")  # not there: still incomplete
    _run(control, "grpo-seed0", {0: 0.1, 10: 0.3, 20: 0.5, 30: 0.9})
    r = R.up_to(R.load(control / "grpo-seed0"), 20)
    assert r["evals"] == {0: 0.1, 10: 0.3, 20: 0.5} and r["status"] == "completed"
    assert r["minutes"] == 20 and R.load(control / "grpo-seed0")["minutes"] == 30  # the wall time to that step
    R.main(arm, target=0.8, episodes=100, against=control, upto=20)
    out = capsys.readouterr().out
    assert "| grpo | 0 | 0.100 | 0.100 | 0.100 | 0.25 | 1.00 / 0.50 |" in out  # valid turns at the first and last evaluation read
    assert "- grpo: incomplete (1 of 2 runs completed)" in out
    assert "- grpo against control (1 pairs): change minus the control's -0.300" in out  # 0 against (0.3+0.5)/2-0.1
    R.main(arm, target=0.8, episodes=100, upto=20, valid_cells=True)
    assert "| grpo | 0 | 1.000 | 0.800 | 0.500 | 0.25 |" in capsys.readouterr().out  # the valid-turn rate by step


def test_where_no_optimum_is_reported_the_expert_is_the_reference(tmp_path):
    r = _run(tmp_path, "grpo-seed0", {0: 0.1, 10: 0.5}, optimum=0.5, reference="eval/expert_success")
    assert r["optimum"] == 0.5


def test_slippery_moves_judges_each_logged_move_by_the_exact_turn_values(tmp_path):
    import numpy as np

    from actfocus.envs import make_env
    from actfocus.run.trajstore import COLUMNS, TrajectoryStore

    _m = importlib.util.spec_from_file_location("slippery_moves", os.path.join(ROOT, "bench", "sanity", "slippery_moves.py"))
    M = importlib.util.module_from_spec(_m)
    _m.loader.exec_module(M)
    env = make_env("frozenlake", map_name="4x4", is_slippery=True, max_turns=30, max_actions_per_turn=1, max_actions=30)
    first = env.reset(0)
    second = first.replace("30 actions left", "29 actions left")
    turns = [{"observation": first, "text": "<think>x</think><answer>Left</answer>", "valid": True},  # the best move there
             {"observation": second, "text": "<think>x</think><answer>Down</answer>", "valid": True},  # the expert's
             {"observation": second, "text": "<answer>Sideways</answer>", "valid": False}]  # not a move: skipped
    store = TrajectoryStore(str(tmp_path))
    store.append({"step": 3, "group": 0, "index": 0, "reward": 0.0, "success": False, "turns": turns, "n_tokens": 1},
                 {name: [""] if dtype == "utf8" else np.zeros(1) for name, dtype in COLUMNS})
    store.close()
    ms = M.moves(tmp_path, env)
    assert [(m["pos"], m["move"], m["best"], m["expert"]) for m in ms] == [((0, 0), 0, True, False), ((0, 0), 1, False, True)]
    assert ms[0]["loss"] == 0.0 and ms[1]["loss"] > 0
    (row,) = M.by_window(ms, 20)
    assert row == {"steps": "1-20", "turns": 2, "best": 0.5, "expert": 0.5, "value_lost": ms[1]["loss"] / 2}
    events = [{"type": "metrics", "step": 3, "diag_groups": {"variance": [7 / 64, 0.001, 0.0, 0.0]}},
              {"type": "metrics", "step": 25, "diag_groups": {"variance": [0.0]}}, {"type": "metrics", "step": 26}]
    (tmp_path / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n{\"type\"")
    assert M.groups_by_window(tmp_path, 20) == [{"steps": "1-20", "groups": 4, "success": 0.25, "format_only": 0.25, "none": 0.5},
                                                {"steps": "21-40", "groups": 1, "success": 0.0, "format_only": 0.0, "none": 1.0}]
