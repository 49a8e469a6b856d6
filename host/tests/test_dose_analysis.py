"""Issue 19's pre-registered analysis (bench/dose/dose_analysis.py) on numbers worked out by hand, and its
report (bench/dose/dose_report.py) on run directories built to a known answer."""

import json
import math
import os
import random
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "bench", "dose"))

# Named apart from bench/repro's analysis and report: one test session imports both.
import dose_analysis as A  # noqa: E402
import dose_report as R  # noqa: E402


def test_auc_is_the_mean_success_over_training():
    assert A.auc([(0, 0.0), (10, 1.0)]) == 0.5
    assert A.auc([(10, 1.0), (0, 0.2), (20, 1.0)]) == (10 * 0.6 + 10 * 1.0) / 20  # sorted by step first
    assert A.auc([(0, 0.3)]) is None


def test_bootstrap_interval_brackets_the_mean_and_is_reproducible():
    xs = [0.1, 0.2, 0.05, 0.15, 0.12, 0.08, 0.11]
    m, lo, hi = A.bootstrap_mean_ci(xs, seed=1)
    assert math.isclose(m, sum(xs) / len(xs)) and lo < m < hi and lo > 0
    assert A.bootstrap_mean_ci(xs, seed=1) == (m, lo, hi)
    assert A.bootstrap_mean_ci([0.3] * 5)[1:] == (0.3, 0.3)


def test_slope_on_log_share_and_its_interval():
    exact = [(0.5, [0.0, 0.0]), (0.05, [0.1, 0.1])]  # gain 0.1 per decade of share lost
    s, lo, hi = A.slope_ci(exact)
    assert math.isclose(s, -0.1) and math.isclose(lo, -0.1) and math.isclose(hi, -0.1)
    rng = random.Random(0)
    noisy = [(sh, [g + rng.gauss(0, 0.02) for _ in range(7)]) for sh, g in ((0.6, 0.0), (0.26, 0.03), (0.11, 0.07), (0.043, 0.1))]
    s, lo, hi = A.slope_ci(noisy)
    assert lo < s < hi < 0


def test_verdicts_follow_the_plan():
    assert A.dose_verdict(0.01, 0.1) == "ActFocus better"
    assert A.dose_verdict(0.01, 0.1, seeds=1) == "pending (1 of 7 seeds)"  # one seed's "interval" is a point
    assert A.dose_verdict(-0.1, -0.01) == "ActFocus worse"
    assert A.dose_verdict(-0.03, 0.04) == "equivalent within ±δ"
    assert A.dose_verdict(-0.03, 0.09) == "no difference shown"
    assert A.overall_verdict((0.01, 0.1), (-0.2, -0.01)) == "reproduced"
    assert A.overall_verdict((0.01, 0.1), (-0.2, 0.05)) == "inconclusive"  # a gain, but no dose-response shown
    assert A.overall_verdict((-0.06, 0.04), (-0.2, 0.05)) == "not reproduced"  # a gain of δ excluded
    assert A.overall_verdict((-0.02, 0.09), (-0.2, -0.01)) == "inconclusive"
    assert A.seeds_needed(0.044) == 7


def _run(out, name, curve, groups_seed, share=0.05):
    d = os.path.join(out, "runs", name)
    os.makedirs(d)
    rng = random.Random(groups_seed)
    lines = []
    for s, y in curve:
        rec = {"v": 1, "t": 1.0 + s, "step": s, "type": "metrics", "eval/success_rate": y}
        if s > 0:
            rec["diag/share_action"] = share
            rec["diag_groups"] = {"variance": [rng.choice([0.0, 0.1875, 0.25]) for _ in range(4)],
                                  **{f"energy_{sc}": [rng.gauss(0, 1) for _ in range(4)] for sc in ("full", "reasoning", "action")}}
        lines.append(json.dumps(rec))
    with open(os.path.join(d, "events.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(d, "run.json"), "w") as f:
        json.dump({"status": "completed", "config": {}}, f)


def test_the_report_pairs_seeds_and_gives_the_planned_verdict(tmp_path):
    out = str(tmp_path)
    doses = ((0, 0.0, 0.6), (1, 0.05, 0.26), (4, 0.1, 0.11), (12, 0.2, 0.04))  # the gain grows as the share shrinks
    for n, gain, share in doses:
        for seed in range(7):
            base = [(s, min(1.0, 0.2 + 0.03 * s + 0.01 * seed)) for s in range(0, 21, 2)]
            _run(out, f"generic{n}-grpo-seed{seed}", base, seed, share)
            _run(out, f"generic{n}-grpo-actfocus-seed{seed}", [(s, min(1.0, y + gain * (s > 0) + 0.004 * ((seed * 7) % 5))) for s, y in base], seed + 100, share)
    for seed in range(7):  # the other regime (reasoning that names the move): its own row, off the dose line
        _run(out, f"names1-grpo-seed{seed}", [(0, 0.2), (20, 0.5)], seed, 0.21)
        _run(out, f"names1-grpo-actfocus-seed{seed}", [(0, 0.2), (20, 0.5 - 0.01 * seed)], seed + 50, 0.21)
    _run(out, "generic12-grpo-actfocus-seed9", [(0, 0.1), (2, 0.9)], 9)  # no uniform partner: not paired
    os.makedirs(tmp_path / "runs" / "generic4-grpo-seed9")
    (tmp_path / "runs" / "generic4-grpo-seed9" / "run.json").write_text("{truncated")  # a damaged run: named, not fatal
    text = R.write(out)
    assert "generic4-grpo-seed9: unreadable" in text
    comps = json.load(open(tmp_path / "results.json"))["comparisons"]
    rows = {r["sentences"]: r for r in comps if r["style"] == "generic"}
    named = next(r for r in comps if r["style"] == "names")
    assert named["sentences"] == 1 and math.isclose(named["gain_final"][0], -0.03) and named["verdict"] == "ActFocus worse"
    assert rows[12]["seeds"] == list(range(7)) and rows[12]["verdict"] == "ActFocus better"
    assert rows[0]["gain_auc"][1] < 0.05 and rows[12]["gain_auc"][1] > 0.1
    assert "Verdict, as pre-registered: reproduced" in text  # a gain at the paper's share, growing as the share shrinks
    assert (tmp_path / "dose_response.png").exists() and (tmp_path / "runs.csv").read_text().count("\n") == 1 + 5 * 14 + 2
    # A dose short of its planned seeds gets no verdict, and neither does the experiment.
    import shutil

    for seed in (5, 6):
        shutil.rmtree(tmp_path / "runs" / f"generic12-grpo-actfocus-seed{seed}")
    text = R.write(out)
    assert "pending (5 of 7 seeds)" in text and "Verdict, as pre-registered: none yet" in text


def test_mean_curve_averages_the_steps_every_seed_evaluated():
    curves = [[(0, 0.0), (2, 0.5), (4, 1.0)], [(0, 0.2), (2, 0.7), (3, 0.9)]]  # step 3 and 4: one seed only
    got = A.mean_curve(curves)
    assert [s for s, *_ in got] == [0, 2]
    (_, m0, lo0, hi0), (_, m2, lo2, hi2) = got
    assert math.isclose(m0, 0.1) and lo0 == 0.0 and hi0 == 0.2  # two seeds: the resampled means are 0, 0.1 or 0.2
    assert math.isclose(m2, 0.6) and math.isclose(lo2, 0.5) and math.isclose(hi2, 0.7)
    assert A.mean_curve([]) == []


def test_the_report_lists_every_arm_and_draws_the_paper_dose_curves(tmp_path):
    out = str(tmp_path)
    for seed in range(3):
        _run(out, f"generic12-ppo-seed{seed}", [(0, 0.1), (2, 0.3), (4, 0.5)], seed)
        _run(out, f"generic12-ppo-actfocus-seed{seed}", [(0, 0.1), (2, 0.5), (4, 0.9)], seed + 10)
        _run(out, f"generic12-grpo-actfocus-alpha0.2-seed{seed}", [(0, 0.1), (2, 0.2), (4, 0.2 + 0.1 * seed)], seed + 20)
    text = R.write(out)
    arms = {r["arm"]: r for r in json.load(open(tmp_path / "results.json"))["arms"]}
    assert set(arms) == {"PPO", "PPO+ActFocus", "GRPO+ActFocus (alpha0.2)"}
    assert arms["PPO+ActFocus"]["seeds"] == [0, 1, 2] and math.isclose(arms["PPO+ActFocus"]["final"][0], 0.9)
    assert math.isclose(arms["PPO"]["auc"][0], (0.2 * 2 + 0.4 * 2) / 4)
    assert math.isclose(arms["GRPO+ActFocus (alpha0.2)"]["final"][0], 0.3) and arms["GRPO+ActFocus (alpha0.2)"]["final"][1:] != (0.3, 0.3)
    assert "| generic | 12 | PPO+ActFocus | 3 | 0.500 [0.500, 0.500] | 0.900 [0.900, 0.900] |" in text
    # PPO+ActFocus against PPO, paired, with the plan's rule (3 of 7 seeds: no verdict yet).
    ppo = next(r for r in json.load(open(tmp_path / "results.json"))["comparisons"] if r["algo"] == "ppo")
    assert math.isclose(ppo["gain_final"][0], 0.4) and ppo["verdict"] == "pending (3 of 7 seeds)"
    assert "Time per part" not in text  # no runner log, no time table
    os.makedirs(tmp_path / "logs")
    (tmp_path / "logs" / "seconds.tsv").write_text("warm\tgeneric-12-seed0\t3600\nrun\tgeneric12-ppo-seed0\t1800\nrun\tgeneric12-ppo-seed1\t1800\n"
                                                  "run\tgeneric12-grpo-actfocus-alpha0.2-seed0\t900\nrun\tbroken line\n")
    text = R.write(out)
    assert "| b | 1, 60.0 | 0, 0.0 | 1.00 | 0.50 |" in text and "| c | 0, 0.0 | 2, 30.0 | 1.00 | 0.50 |" in text
    assert "| d | 0, 0.0 | 1, 15.0 | 0.25 | 0.12 |" in text and "| e |" not in text  # a part with nothing logged is not listed
    assert (tmp_path / "curves.png").stat().st_size > 0


def test_rho_gap_is_paired_over_groups():
    steps = []
    for _ in range(10):
        v = [0.0, 0.1, 0.2, 0.25, 0.3, 0.5]  # the same each step: z-scored energies then order the groups across steps too
        steps.append({"variance": v, "energy_action": [x * 2 + 1 for x in v], "energy_reasoning": [-x for x in v]})
    g = A.rho_gap(steps)
    assert g["n"] == 60 and math.isclose(g["gap"], 2.0) and math.isclose(g["lo"], 2.0) and math.isclose(g["hi"], 2.0)
    # The same energies in both scopes: the gap is 0 in every resample (the pairing), not a wide interval.
    same = [{**s, "energy_reasoning": s["energy_action"]} for s in steps]
    assert A.rho_gap(same) == {"gap": 0.0, "lo": 0.0, "hi": 0.0, "n": 60}
    # A group missing either energy (null in the events) or its variance is left out of both.
    steps[0]["energy_reasoning"][0] = None
    steps[1]["variance"][2] = float("nan")
    assert A.rho_gap(steps)["n"] == 58
    assert A.rho_gap(steps[:0])["gap"] is None


def test_part_times_sorts_the_runners_log_into_parts_counting_a_redone_run_once():
    rows = [("warm", "generic-0-seed0", 600), ("warm", "generic-12-seed3", 900), ("warm", "names_move-1-seed2", 500),
            ("run", "generic0-grpo-seed0", 3), ("run", "generic0-grpo-seed0", 146),  # redone: the finished time counts
            ("run", "generic4-grpo-actfocus-seed1", 200), ("run", "generic12-grpo-seed1", 300),
            ("run", "generic12-ppo-actfocus-seed1", 400), ("run", "generic12-grpo-actfocus-alpha0.05-seed1", 250),
            ("run", "generic12-grpo-actfocus-beta1-seed0", 260), ("run", "names1-grpo-actfocus-seed2", 120),
            ("run", "someone-else", 9), ("warm", "generic-7-seed0", 9)]
    t = A.part_times(rows)
    assert (t["a0"]["warm_n"], t["a0"]["warm_s"], t["a0"]["run_n"], t["a0"]["run_s"]) == (1, 600, 1, 146)
    assert (t["a4"]["warm_n"], t["a4"]["run_n"], t["a4"]["run_s"]) == (0, 1, 200)
    assert (t["b"]["warm_s"], t["b"]["run_s"], t["c"]["run_n"], t["d"]["run_n"], t["d"]["run_s"]) == (900, 300, 1, 2, 510)
    assert (t["d"]["run_median_s"], t["e"]["warm_median_s"]) == (255, 500)
    assert math.isclose(t["d"]["wall_h_from_medians"], 2 * 255 / 2 / 3600)  # two runs side by side
    assert math.isclose(t["a0"]["wall_h_from_medians"], (600 + 146) / 2 / 3600)
    assert sum(v["run_n"] + v["warm_n"] for v in t.values()) == 10  # 3 warm starts, 7 runs; the unknown names left out
