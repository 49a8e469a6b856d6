"""What the slippery FrozenLake row asks of RL, computed exactly (issue 15; docs/results.md, "Sanity table:
FrozenLake 4x4 slippery"): on Gymnasium's 4x4 map with its 1/3 slip and a budget of single-action turns,
the success of the best policy, of the expert that warm starts imitate (the shortest path as if nothing
slipped, planned again each turn) and of a uniformly random one; and, tile by tile, the best first move
against the expert's.

    .venv/bin/python bench/sanity/frozenlake_ice_policies.py [--turns 30]
"""

from __future__ import annotations

import argparse

from actfocus.envs import make_env
from actfocus.envs.frozenlake import ACTION_NAMES


def main(turns: int) -> None:
    env = make_env("frozenlake", map_name="4x4", is_slippery=True, max_turns=turns, max_actions_per_turn=1, max_actions=turns)
    env.reset(0)
    tiles = env.desc
    print(f"Gymnasium's 4x4 map, slippery, {turns} turns of one action, from the start:")
    print(f"  optimal {env.optimal_success():.3f} · expert {env.expert_success():.3f} · uniform random "
          f"{env.policy_success(lambda pos, t, a: [(0.25, (k,)) for k in range(4)]):.3f}")
    print("\nbest first move (the expert's in brackets), with the whole budget left:")
    differ, free = 0, 0
    for r, row in enumerate(tiles):
        cells = []
        for c, t in enumerate(row):
            if t in "GH":
                cells.append(t.center(16))
                continue
            values = env.turn_values((r, c))  # the optimum's, one action a turn
            q = [values[(a,)] for a in range(4)]
            best = [ACTION_NAMES[a] for a in range(4) if q[a] > max(q) - 1e-9]
            expert = env.shortest_path((r, c))[0]
            free += 1
            differ += expert not in best
            cells.append(f"{'/'.join(best)} ({expert})".center(16))
        print("  " + "|".join(cells))
    print(f"\nthe expert's move is not a best one on {differ} of {free} tiles")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=30)
    main(ap.parse_args().turns)
