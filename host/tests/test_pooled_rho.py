"""The Action-Bottleneck ρ pooled over a window of steps (algos/pooled_rho.py): its value against the
project's independent Spearman, its bootstrap interval, the window, and the report recomputing a run's
metrics from its events."""

import json
import math
import random
import subprocess
import sys

import pytest

from actfocus.algos.pooled_rho import RhoWindow, pooled_metrics, pooled_rho, step_points
from actfocus.algos.stats import spearman


def zscored(step):
    es = [e for e, _ in step]
    mu = sum(es) / len(es)
    sd = math.sqrt(sum((e - mu) ** 2 for e in es) / len(es))
    return [((e - mu) / sd, v) for e, v in step]


def random_steps(rng, n_steps, groups, slope):
    """Steps whose energy level drifts, reward variance rising with energy by `slope` plus noise, with the
    ties of real runs (a group of 4 rollouts with 0/1 rewards has one of three variances)."""
    out = []
    for s in range(n_steps):
        level = 3.0 * s
        step = []
        for _ in range(groups):
            e = rng.gauss(0, 1)
            v = (0.0, 0.1875, 0.25)[min(2, max(0, round(1 + 10 * slope * e + rng.gauss(0, 1))))]  # 4 rollouts, 0/1 rewards
            step.append((level + e, v))
        out.append(step)
    return out


def test_the_pooled_value_is_spearman_of_the_per_step_zscored_points_ties_included():
    rng = random.Random(0)
    for n_steps, groups in ((1, 5), (3, 8), (10, 8)):
        steps = random_steps(rng, n_steps, groups, slope=0.05)
        pts = [p for st in steps for p in zscored(st)]
        assert len({v for _, v in pts}) < len(pts)  # ties in the variances, as in real runs
        want, _ = spearman([e for e, _ in pts], [v for _, v in pts])
        got = pooled_rho(steps, seed=1)
        assert got["n"] == n_steps * groups
        assert got["rho"] == pytest.approx(want, abs=1e-12)


def test_energies_are_compared_within_their_step_not_across_levels():
    # Within each step variance rises with energy; the later step's energies sit lower and its variances
    # higher, so raw pooling would rank the relation backwards.
    steps = [[(10.0 + e, 0.01 * e) for e in range(6)], [(e - 10.0, 0.2 + 0.01 * e) for e in range(6)]]
    raw, _ = spearman([e for st in steps for e, _ in st], [v for st in steps for _, v in st])
    assert raw < 0
    assert pooled_rho(steps, seed=0)["rho"] > 0.4


def test_the_interval_brackets_the_value_narrows_with_more_groups_and_is_reproducible():
    rng = random.Random(3)
    few, many = random_steps(rng, 2, 8, slope=0.08), random_steps(rng, 20, 8, slope=0.08)
    a, b = pooled_rho(few, seed=5), pooled_rho(many, seed=5)
    for r in (a, b):
        assert r["lo"] < r["rho"] < r["hi"]
    assert b["hi"] - b["lo"] < 0.6 * (a["hi"] - a["lo"])
    assert b["lo"] > 0  # 160 groups with a real relation: the interval excludes 0
    assert pooled_rho(many, seed=5) == b  # the same seed, the same numbers (what a report recomputes)
    assert pooled_rho(many, seed=6)["lo"] != b["lo"]
    null = pooled_rho(random_steps(rng, 20, 8, slope=0.0), seed=5)
    assert null["lo"] < 0 < null["hi"]


def test_undefined_cases_give_none_not_numbers():
    assert pooled_rho([[(0.1, 0.2), (0.3, 0.1)]], seed=0) == {"rho": None, "lo": None, "hi": None, "n": 2}
    constant = pooled_rho([[(float(i), 0.0) for i in range(8)]], seed=0)  # no group has any reward variance
    assert constant["rho"] is None and constant["lo"] is None and constant["n"] == 8
    assert pooled_rho([], seed=0)["n"] == 0


def groups_record(rng, n=6, reasoning_missing=()):
    var = [rng.choice([0.0, 0.1875, 0.25]) for _ in range(n)]
    return {"variance": var, "energy_full": [rng.gauss(0, 1) for _ in range(n)],
            "energy_reasoning": [None if i in reasoning_missing else rng.gauss(0, 1) for i in range(n)],
            "energy_action": [rng.gauss(0, 1) for _ in range(n)]}


def test_a_scope_pools_only_groups_that_have_its_tokens():
    rng = random.Random(1)
    g = groups_record(rng, reasoning_missing=(1, 4))
    assert len(step_points(g, "reasoning")) == 4 and len(step_points(g, "action")) == 6
    g2 = {**g, "energy_action": [math.nan, *g["energy_action"][1:]]}  # NaN in memory, null in the events: the same
    assert step_points(g2, "action") == step_points({**g, "energy_action": [None, *g["energy_action"][1:]]}, "action")
    assert len(step_points(g2, "action")) == 5
    m = pooled_metrics([g], seed=2)
    assert m["diag/n_reasoning_pooled"] == 4 and m["diag/n_action_pooled"] == 6


def test_the_window_pools_the_last_steps_only():
    rng = random.Random(2)
    records = [groups_record(rng) for _ in range(7)]
    w = RhoWindow(3)
    for s, g in enumerate(records, start=1):
        got = w.add(s, g)
        assert got == pooled_metrics(records[max(0, s - 3):s], seed=s)
    # A window rebuilt from history (a resumed run) continues as the uninterrupted one.
    resumed = RhoWindow(3, records[2:5])
    assert resumed.add(6, records[5]) == pooled_metrics(records[3:6], seed=6)


def test_diagnose_recomputes_the_runs_windowed_metrics_from_its_events(tmp_path):
    """`actfocus diagnose --json` recomputes diag/rho_*_pooled from the events' group points: what the
    host wrote (and the dashboard draws) is what the report computes."""
    rng = random.Random(4)
    w = RhoWindow(4)
    lines = []
    for s in range(1, 9):
        g = groups_record(rng)
        lines.append(json.dumps({"v": 1, "t": 1.0 + s, "step": s, "type": "metrics", "diag/tokens": 10, **w.add(s, g), "diag_groups": g}))
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "run.json").write_text(json.dumps({"config": {"diag_window": 4}}))
    out = subprocess.run([sys.executable, "-m", "actfocus", "diagnose", str(tmp_path), "--json"], capture_output=True, text=True, check=True)
    j = json.loads(out.stdout)
    assert j["window"] == 4 and [r["step"] for r in j["windowed"]] == list(range(1, 9))
    written = {json.loads(x)["step"]: json.loads(x) for x in lines}
    for r in j["windowed"]:
        for k, v in r.items():
            if k != "step":
                assert written[r["step"]][k] == v, (r["step"], k)
    assert j["pooled"]["action"]["n"] == 48
    text = subprocess.run([sys.executable, "-m", "actfocus", "diagnose", str(tmp_path)], capture_output=True, text=True, check=True).stdout
    assert "pooled over the 8 steps' 48 groups" in text and "last 4 steps (step 8)" in text


def test_a_resume_finds_the_last_window_of_group_points_as_last_logged(tmp_path):
    """The window a resumed run rebuilds: the last `window` steps up to the resume point, a step logged
    again after an earlier resume counting as logged last; malformed lines and a cut last line skipped."""
    def m(step, tag):
        return json.dumps({"type": "metrics", "step": step, "t": 0.0, "metrics": {}, "diag_groups": {"tag": tag}})
    lines = [m(1, "a"), m(2, "a"), m(3, "a"), "{not json", m(4, "a"), m(5, "a"),
             m(3, "b"), m(4, "b"),  # resumed from step 2: steps 3 and 4 ran again
             json.dumps({"type": "heartbeat", "t": 0.0}), m(6, "b")]
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n" + m(7, "cut")[:20])
    from actfocus.run.reader import diag_history
    tags = lambda upto, w: [g["tag"] for g in diag_history(str(tmp_path), upto, w)]  # noqa: E731
    assert tags(6, 3) == ["b", "a", "b"]  # steps 4, 5, 6 as last logged
    assert tags(4, 10) == ["a", "a", "b", "b"]  # steps 1-4; step 7 was cut, never whole
    assert tags(7, 2) == ["a", "b"]
    assert tags(0, 5) == [] and diag_history(str(tmp_path / "none"), 9, 5) == []
