"""Which moves the slippery row's runs make, against the optimum's (issue 15; docs/results.md, "FrozenLake
slippery with five times the steps"): from a run's stored trajectories, every well-formed turn's position,
budget left and move, judged by the exact turn values of Gymnasium's 4x4 map on ice
(`FrozenLakeEnv.turn_values`): the share of moves that are a best one, and that are the expert's (the
shortest path as if nothing slipped), by window of training steps.

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
        rows = by_window(moves(run, env), a.window)
        result[run.name] = rows
        print(f"{run.name}: share of moves that are a best one / the expert's (mean success chance lost to the best move), by steps")
        print("  " + " · ".join(f"{r['steps']}: {r['best']:.2f} / {r['expert']:.2f} ({r['value_lost']:.3f}, {r['turns']} turns)" for r in rows))
    if a.json:
        a.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
