"""The paired format-penalty checks, judged by their plans in docs/results.md ("The format-penalty hack, paired",
"The format penalty's size, paired").

    .venv/bin/python bench/sanity/format_penalty_report.py [DIR]      (default docs/results/sanity/format-penalty)
    .venv/bin/python bench/sanity/format_penalty_report.py docs/results/sanity/format-penalty-size

The check is told by its arms' run names (bench/sanity/format_penalty.sh). Per arm and seed: held-out success at
each evaluation, and the training valid-turn rate and turns per episode (first and last five steps). A run
*collapses* if its held-out success at the last evaluation is not above its step-0 value. Verdict: inconclusive
if the control arm (RAGEN's reward) never collapses; if it does, the change works if the other arm collapses in
none and its mean final success (paired by seed) is above the control's, and does not work otherwise."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# control arm, changed arm, and what "works" and "does not work" mean for each check
CHECKS = {
    ("ragen", "whole-budget"): ("the fix works: the hack shows with RAGEN's reward, not with the whole-budget penalty",
                                "the fix does not work"),
    ("penalty-0.1", "penalty-0"): ("the penalty drives the collapse: it shows with RAGEN's -0.1, not without a penalty",
                                   "the penalty does not drive the collapse"),
}


def load(run: Path) -> dict:
    evals, train = {}, []
    for line in (run / "events.jsonl").read_text().splitlines():
        try:
            e = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a stopped run
        if e.get("type") != "metrics":
            continue
        if "eval/success_rate" in e:
            evals[e["step"]] = e["eval/success_rate"]
        if "valid_turn_rate" in e:
            train.append((e["step"], e["valid_turn_rate"], e["turns_mean"]))
    status = json.loads((run / "run.json").read_text()).get("status")
    return {"evals": evals, "train": sorted(train), "status": status}


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def main(directory: Path) -> None:
    runs = {p.name: load(p) for p in sorted(directory.iterdir()) if (p / "run.json").exists()}
    names = {n.rsplit("-seed", 1)[0] for n in runs}
    (control, changed), (works, fails) = next((arms, v) for arms, v in CHECKS.items() if names <= set(arms))
    steps = sorted({s for r in runs.values() for s in r["evals"]})
    print("| arm | seed | " + " | ".join(f"step {s}" for s in steps) + " | valid turns, first / last 5 steps | turns per episode, first / last 5 | collapsed |")
    print("|---|---|" + "---|" * len(steps) + "---|---|---|")
    final: dict[str, dict[str, float]] = {a: {} for a in (control, changed)}
    collapsed: dict[str, list[str]] = {a: [] for a in (control, changed)}
    for name, r in runs.items():
        arm, seed = name.rsplit("-seed", 1)
        if r["status"] != "completed" or not r["evals"]:
            print(f"| {arm} | {seed} | incomplete ({r['status']}) |")
            continue
        first, last = r["evals"][min(r["evals"])], r["evals"][max(r["evals"])]
        fell = last <= first
        final[arm][seed] = last
        if fell:
            collapsed[arm].append(seed)
        head, tail = r["train"][:5], r["train"][-5:]
        cells = [f"{r['evals'][s]:.3f}" if s in r["evals"] else "–" for s in steps]
        print(f"| {arm} | {seed} | " + " | ".join(cells)
              + f" | {mean([v for _, v, _ in head]):.2f} / {mean([v for _, v, _ in tail]):.2f}"
              + f" | {mean([t for _, _, t in head]):.2f} / {mean([t for _, _, t in tail]):.2f} | {'yes' if fell else 'no'} |")
    print()
    seeds = sorted(set(final[control]) & set(final[changed]))
    if len(seeds) < 3:
        print(f"- incomplete: {len(seeds)} paired seeds")
        return
    diffs = [final[changed][s] - final[control][s] for s in seeds]
    print(f"- collapsed: {control} {len(collapsed[control])} of 3 ({', '.join(collapsed[control]) or 'none'}), "
          f"{changed} {len(collapsed[changed])} of 3 ({', '.join(collapsed[changed]) or 'none'})")
    print(f"- final held-out success, {changed} minus {control}, by seed: {', '.join(f'{d:+.3f}' for d in diffs)} (mean {mean(diffs):+.3f})")
    if not collapsed[control]:
        verdict = f"inconclusive: the collapse did not show with RAGEN's reward ({control}) in these seeds"
    elif not collapsed[changed] and mean(diffs) > 0:
        verdict = works
    else:
        verdict = fails
    print(f"- verdict: {verdict}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "results" / "sanity" / "format-penalty")
