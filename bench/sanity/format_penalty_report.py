"""The paired format-penalty check, judged by its plan in docs/results.md ("The format-penalty hack, paired").

    .venv/bin/python bench/sanity/format_penalty_report.py [DIR]      (default docs/results/sanity/format-penalty)

Per arm and seed: held-out success at each evaluation, and the training valid-turn rate and turns per episode
(first and last five steps). A run *collapses* if its held-out success at the last evaluation is not above its
step-0 value. Verdict: the hack is reproduced if the RAGEN arm collapses in at least one seed; the fix works if,
then, the whole-budget arm collapses in none and its mean final success (paired by seed) is above the RAGEN
arm's; inconclusive if the RAGEN arm never collapses; not working otherwise."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARMS = ("ragen", "whole-budget")


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
    steps = sorted({s for r in runs.values() for s in r["evals"]})
    print("| arm | seed | " + " | ".join(f"step {s}" for s in steps) + " | valid turns, first / last 5 steps | turns per episode, first / last 5 | collapsed |")
    print("|---|---|" + "---|" * len(steps) + "---|---|---|")
    final: dict[str, dict[str, float]] = {a: {} for a in ARMS}
    collapsed: dict[str, list[str]] = {a: [] for a in ARMS}
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
    seeds = sorted(set(final["ragen"]) & set(final["whole-budget"]))
    if len(seeds) < 3:
        print(f"- incomplete: {len(seeds)} paired seeds")
        return
    diffs = [final["whole-budget"][s] - final["ragen"][s] for s in seeds]
    print(f"- collapsed: ragen {len(collapsed['ragen'])} of 3 ({', '.join(collapsed['ragen']) or 'none'}), "
          f"whole-budget {len(collapsed['whole-budget'])} of 3 ({', '.join(collapsed['whole-budget']) or 'none'})")
    print(f"- final held-out success, whole-budget minus ragen, by seed: {', '.join(f'{d:+.3f}' for d in diffs)} (mean {mean(diffs):+.3f})")
    if not collapsed["ragen"]:
        verdict = "inconclusive: the hack did not show with RAGEN's reward in these seeds"
    elif not collapsed["whole-budget"] and mean(diffs) > 0:
        verdict = "the fix works: the hack shows with RAGEN's reward, not with the whole-budget penalty"
    else:
        verdict = "the fix does not work"
    print(f"- verdict: {verdict}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "results" / "sanity" / "format-penalty")
