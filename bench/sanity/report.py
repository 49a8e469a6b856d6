"""The sanity table from run directories, judged by the plan in docs/results.md ("Sanity table: FrozenLake 4x4").

    .venv/bin/python bench/sanity/report.py [DIR] [--target F] [--every N] [--against CONTROL_DIR]
        (default docs/results/sanity/frozenlake-gym4x4 and 0.9; the slippery row's plan asks 0.8;
        --every N shows the evaluations at multiples of N steps only, and the last; --against: each
        method's change minus a control arm's, paired by seed, with its interval; --upto STEP: every
        run read as if it had ended at STEP, for runs stopped short of their plan; --valid: the step
        columns show the held-out valid-turn rate instead of success)

Prints a Markdown table (one row per method and seed: held-out success at each evaluation, its fraction
of the optimum at the last one — the expert's success where the environment computes no optimum — the
held-out valid-turn rate at the first and last evaluation, the run's wall time) and the verdict per method: the warm start must be
at most a third of the optimum; met if every seed ends at >= the target fraction of it, not met if the
seeds' mean ends below, mixed otherwise. Also per method, whether anything moved: the change from the first
evaluation to the mean of the last two, averaged over seeds, with a 95 % interval from the evaluations'
binomial standard errors."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = 0.9


def load(run: Path) -> dict:
    evals, valid, times, last_t = {}, {}, [], {}
    optimum = None
    for line in (run / "events.jsonl").read_text().splitlines():
        try:
            e = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a stopped run: not a result
        if "t" in e:
            times.append(e["t"])
            if "step" in e:
                last_t[e["step"]] = max(e["t"], last_t.get(e["step"], e["t"]))
        if e.get("type") == "metrics" and "eval/success_rate" in e:
            evals[e["step"]] = e["eval/success_rate"]
            if "eval/valid_turn_rate" in e:
                valid[e["step"]] = e["eval/valid_turn_rate"]
            # The reference: the optimum where the environment computes it, else the expert's success.
            optimum = e.get("eval/optimal_success", e.get("eval/expert_success", optimum))
    status = json.loads((run / "run.json").read_text()).get("status")
    return {"evals": evals, "valid": valid, "optimum": optimum, "status": status, "start": min(times) if times else None,
            "last_t": last_t, "minutes": (max(times) - min(times)) / 60 if times else None}


def up_to(r: dict, step: int) -> dict:
    """The run as if it had ended at `step`: its evaluations after it dropped; completed if it got there."""
    evals = {s: v for s, v in r["evals"].items() if s <= step}
    status = "completed" if evals and max(evals) == step else r["status"]
    ends = [t for s, t in r["last_t"].items() if s <= step]
    minutes = (max(ends) - r["start"]) / 60 if ends and r["start"] is not None else r["minutes"]
    return {**r, "evals": evals, "valid": {s: v for s, v in r["valid"].items() if s <= step}, "status": status,
            "minutes": minutes}


def change(r: dict, episodes: int) -> tuple[float, float]:
    """A run's change from its first evaluation to the mean of its last two, and that change's variance:
    each evaluation a binomial mean of `episodes` episodes, independent of the others."""
    steps = sorted(r["evals"])
    first, last = r["evals"][steps[0]], [r["evals"][s] for s in steps[-2:]]
    var = first * (1 - first) / episodes + sum(p * (1 - p) for p in last) / episodes / len(last) ** 2
    return sum(last) / len(last) - first, var


def interval(diffs: list[float], var: float) -> tuple[float, float, float]:
    """The mean of `diffs` and its 95 % interval, `var` the sum of their variances."""
    mean, se = sum(diffs) / len(diffs), math.sqrt(var) / len(diffs)
    return mean, mean - 1.96 * se, mean + 1.96 * se


def movement(runs: list[dict], episodes: int) -> tuple[float, float, float]:
    """Mean over runs of their change (first evaluation to the mean of the last two), with its 95 % interval."""
    changes = [change(r, episodes) for r in runs]
    return interval([c for c, _ in changes], sum(v for _, v in changes))


def paired(runs: dict[str, dict], control: dict[str, dict], episodes: int) -> tuple[list[str], tuple[float, float, float] | None]:
    """Runs paired by name with a control arm's (the same method and seed): the mean over pairs of this arm's
    change minus the control's, with its 95 % interval (both arms' evaluations independent); None if no pair."""
    names = sorted(n for n in runs if n in control)
    if not names:
        return names, None
    diffs, var = [], 0.0
    for n in names:
        (a, va), (b, vb) = change(runs[n], episodes), change(control[n], episodes)
        diffs.append(a - b)
        var += va + vb
    return names, interval(diffs, var)


def load_all(directory: Path) -> dict[str, dict]:
    return {p.name: load(p) for p in sorted(directory.iterdir()) if (p / "run.json").exists()}


def main(directory: Path, target: float = TARGET, every: int | None = None, episodes: int = 128,
         against: Path | None = None, upto: int | None = None, valid_cells: bool = False) -> None:
    rows = load_all(directory)
    if upto is not None:  # every arm read as if its runs had ended at that step
        rows = {n: up_to(r, upto) for n, r in rows.items()}
    steps = sorted({s for r in rows.values() for s in r["evals"]})
    if every and steps:
        steps = [s for s in steps if s % every == 0 or s == steps[-1]]
    print("| method | seed | " + " | ".join(f"step {s}" for s in steps) + " | end / optimum | valid turns, first / last evaluation | minutes | status |")
    print("|---|---|" + "---|" * len(steps) + "---|---|---|---|")
    by_method: dict[str, list[dict]] = {}
    for name, r in rows.items():
        method, seed = name.rsplit("-seed", 1)
        by_method.setdefault(method, []).append(r)
        end = r["evals"].get(steps[-1]) if steps else None
        frac = end / r["optimum"] if end is not None and r["optimum"] else None
        shown = r["valid"] if valid_cells else r["evals"]  # the held-out valid-turn rate instead of success
        cells = [f"{shown[s]:.3f}" if s in shown else "–" for s in steps]
        frac_text = "–" if frac is None else f"{frac:.2f}"
        minutes = "–" if r["minutes"] is None else f"{r['minutes']:.1f}"
        v = r["valid"]
        valid_text = f"{v[min(v)]:.2f} / {v[max(v)]:.2f}" if v else "–"
        print(f"| {method} | {seed} | " + " | ".join(cells) + f" | {frac_text} | {valid_text} | {minutes} | {r['status']} |")
    print()
    for method, rs in sorted(by_method.items()):
        done = [r for r in rs if r["status"] == "completed" and r["optimum"]]
        if len(done) < len(rs) or not done:
            print(f"- {method}: incomplete ({len(done)} of {len(rs)} runs completed)")
            continue
        start = [r["evals"][min(r["evals"])] / r["optimum"] for r in done]
        end = [r["evals"][max(r["evals"])] / r["optimum"] for r in done]
        if max(start) > 1 / 3:
            verdict = f"does not count: a warm start above a third of the optimum ({max(start):.2f})"
        elif min(end) >= target:
            verdict = "met"
        elif sum(end) / len(end) < target:
            verdict = "not met"
        else:
            verdict = "mixed"
        print(f"- {method}: {verdict} — start {', '.join(f'{x:.2f}' for x in start)}; end {', '.join(f'{x:.2f}' for x in end)} of the optimum")
        if all(len(r["evals"]) >= 3 for r in done):
            m, lo, hi = movement(done, episodes)
            word = "moved" if lo > 0 else "fell" if hi < 0 else "no movement shown"
            print(f"  {method}: change from the first evaluation to the mean of the last two {m:+.3f} [{lo:+.3f}, {hi:+.3f}] (95 %): {word}")
    if against is not None:
        control = load_all(against)
        if upto is not None:
            control = {n: up_to(r, upto) for n, r in control.items()}
        report_against(rows, control, against, episodes)


def report_against(rows: dict[str, dict], control: dict[str, dict], against: Path, episodes: int) -> None:
    """Each method's change against the control arm's, paired by seed; first evaluations that differ are
    said (a pair is meant to share its warm start)."""
    print()
    done = lambda rs: {n: r for n, r in rs.items() if r["status"] == "completed" and len(r["evals"]) >= 3}  # noqa: E731
    rows, control = done(rows), done(control)
    for method in sorted({n.rsplit("-seed", 1)[0] for n in rows}):
        mine = {n: r for n, r in rows.items() if n.rsplit("-seed", 1)[0] == method}
        names, diff = paired(mine, control, episodes)
        if diff is None:
            print(f"- {method} against {against.name}: no completed run of the same method and seed to pair with")
            continue
        m, lo, hi = diff
        word = "this arm's change larger" if lo > 0 else "this arm's change smaller" if hi < 0 else "no difference shown"
        print(f"- {method} against {against.name} ({len(names)} pairs): change minus the control's {m:+.3f} [{lo:+.3f}, {hi:+.3f}] (95 %): {word}")
        for n in names:
            a, b = mine[n]["evals"], control[n]["evals"]
            if a[min(a)] != b[min(b)]:
                print(f"  {n}: first evaluations differ ({a[min(a)]:.3f} against {b[min(b)]:.3f}): not the same warm start")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="The sanity table from run directories.")
    ap.add_argument("dir", nargs="?", type=Path, default=ROOT / "docs" / "results" / "sanity" / "frozenlake-gym4x4")
    ap.add_argument("--target", type=float, default=TARGET, help="fraction of the optimum every seed must reach (default 0.9)")
    ap.add_argument("--every", type=int, help="show the evaluations at multiples of this many steps (and the last)")
    ap.add_argument("--episodes", type=int, default=128, help="held-out episodes per evaluation (for the interval)")
    ap.add_argument("--against", type=Path, help="a control arm's directory: each method's change against it, paired by seed")
    ap.add_argument("--upto", type=int, help="read every run (both arms) as if it had ended at this step: a run that got there counts as completed")
    ap.add_argument("--valid", action="store_true", help="the step columns show the held-out valid-turn rate instead of success")
    a = ap.parse_args()
    main(a.dir, a.target, a.every, a.episodes, a.against, a.upto, a.valid)
