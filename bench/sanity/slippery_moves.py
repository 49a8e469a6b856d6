"""Which moves the slippery row's runs make, against the optimum's (issue 15; docs/results.md, "FrozenLake
slippery with five times the steps"): from a run's stored trajectories, every well-formed turn's position,
budget left and move, judged by the exact turn values of Gymnasium's 4x4 map on ice
(`FrozenLakeEnv.turn_values`): the share of moves that are a best one, and that are the expert's (the
shortest path as if nothing slipped), by window of training steps.

And what a step's groups gave GRPO to learn from (every group, from the metrics events' `diag_groups`):
the share of groups whose rewards differ by a success (variance >= 0.05: one success among 8 gives 0.11),
by format penalties only (0 < variance < 0.05), or not at all — GRPO scales each group's advantages by its
own standard deviation, so a group of format differences moves the policy as much as one with a success.

The stored trajectories are the run's `traj_sampling` (default best_worst: each group's best and worst
rollout, one where all rewards are equal), not every rollout: in a group with any success its best is one,
so the share is read for trends over training, not as the policy's exact rate.

    .venv/bin/python bench/sanity/slippery_moves.py RUN_DIR [RUN_DIR ...] [--window 20] [--turns 30]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from actfocus.envs import make_env
from actfocus.envs.frozenlake import ACTION_NAMES
from actfocus.run.trajstore import read_index, read_record

_POS = re.compile(r"Player: \((\d+),\s*(\d+)\)")
_LEFT = re.compile(r"You have (\d+) actions? left")
_ANSWER = re.compile(r"<answer>\s*(\w+)\s*</answer>")
BY_NAME = {name.lower(): a for a, name in enumerate(ACTION_NAMES)}


def moves(run: Path, env) -> list[dict]:
    """Every well-formed single-action turn of the stored trajectories: step, position, turns and actions
    left, the move, whether it is a best one and whether it is the expert's."""
    out = []
    max_turns = env.config.max_turns
    for e in read_index(str(run / "trajectories.idx")):
        header, _ = read_record(str(run / "trajectories.bin"), e)
        for i, turn in enumerate(header["turns"]):
            pos, left, ans = _POS.search(turn["observation"]), _LEFT.search(turn["observation"]), _ANSWER.search(turn["text"])
            if not (pos and left and ans and turn["valid"]) or ans.group(1).lower() not in BY_NAME:
                continue
            p, a = (int(pos.group(1)), int(pos.group(2))), BY_NAME[ans.group(1).lower()]
            values = env.turn_values(p, max_turns - i, int(left.group(1)))
            q = [values[(k,)] for k in range(4)]
            out.append({"step": header["step"], "pos": p, "move": a, "best": q[a] > max(q) - 1e-9,
                        "expert": ACTION_NAMES[a] == env.shortest_path(p)[0], "loss": max(q) - q[a]})
    return out


def by_window(ms: list[dict], window: int) -> list[dict]:
    rows: dict[int, list[dict]] = {}
    for m in ms:
        rows.setdefault((m["step"] - 1) // window, []).append(m)
    return [{"steps": f"{w * window + 1}-{(w + 1) * window}", "turns": len(r),
             "best": sum(m["best"] for m in r) / len(r), "expert": sum(m["expert"] for m in r) / len(r),
             "value_lost": sum(m["loss"] for m in r) / len(r)} for w, r in sorted(rows.items())]


# Below any group of 8 with a success and a failure (7/64 = 0.11); above what format penalties of -0.1 a turn give
# unless one rollout had ~5 malformed turns more than the rest (the slippery runs' valid-turn rate is >= 0.96).
SUCCESS_VARIANCE = 0.05


def groups_by_window(run: Path, window: int) -> list[dict]:
    """Per window of steps, the share of groups whose reward variance comes from a success, from format
    penalties only, or is zero."""
    rows: dict[int, list[float]] = {}
    for line in (run / "events.jsonl").read_text().splitlines():
        try:
            e = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a stopped run
        if e.get("type") == "metrics" and isinstance(e.get("diag_groups"), dict):
            rows.setdefault((e["step"] - 1) // window, []).extend(e["diag_groups"]["variance"])
    return [{"steps": f"{w * window + 1}-{(w + 1) * window}", "groups": len(v),
             "success": sum(x >= SUCCESS_VARIANCE for x in v) / len(v), "format_only": sum(0 < x < SUCCESS_VARIANCE for x in v) / len(v),
             "none": sum(x == 0 for x in v) / len(v)} for w, v in sorted(rows.items())]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--window", type=int, default=20)
    ap.add_argument("--turns", type=int, default=30)
    ap.add_argument("--json", type=Path, help="also write the windows here")
    a = ap.parse_args()
    env = make_env("frozenlake", map_name="4x4", is_slippery=True, max_turns=a.turns, max_actions_per_turn=1, max_actions=a.turns)
    env.reset(0)
    result = {}
    for run in a.runs:
        rows, groups = by_window(moves(run, env), a.window), groups_by_window(run, a.window)
        result[run.name] = {"moves": rows, "groups": groups}
        print(f"{run.name}: share of moves that are a best one / the expert's (mean success chance lost to the best move), by steps")
        print("  " + " · ".join(f"{r['steps']}: {r['best']:.2f} / {r['expert']:.2f} ({r['value_lost']:.3f}, {r['turns']} turns)" for r in rows))
        print("  groups whose rewards differ by a success / by format penalties only / not at all: "
              + " · ".join(f"{g['steps']}: {g['success']:.2f} / {g['format_only']:.2f} / {g['none']:.2f}" for g in groups))
    if a.json:
        a.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
