"""Environment throughput: steps/second per environment on one core.

Episodes are recorded first (expert turns, with every 5th turn replaced by a malformed output), then
replayed with timing around reset()+step() only, so solver time is not counted. Run:
    .venv/bin/python bench/env_steps.py [--episodes N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

from actfocus.envs import ENV_NAMES, make_env

TARGETS = {"frozenlake": 10_000, "sudoku": 10_000, "sokoban": 2_000, "shop": 2_000}
BAD = "<think>hmm</think><answer>Up</answer><answer>again</answer>"


def record(name: str, episodes: int) -> list[tuple[int, list[str]]]:
    out = []
    for seed in range(episodes):
        env = make_env(name)
        env.reset(seed)
        turns = []
        while not env.done:
            text = BAD if len(turns) % 5 == 4 else env.expert_response("I will move towards the goal.")
            turns.append(text)
            env.step(text)
        out.append((seed, turns))
    return out


def replay(name: str, recorded) -> tuple[int, float, float]:
    env = make_env(name)
    steps, t_reset, t_step = 0, 0.0, 0.0
    for seed, turns in recorded:
        t0 = time.perf_counter()
        env.reset(seed)
        t1 = time.perf_counter()
        for text in turns:
            env.step(text)
        t2 = time.perf_counter()
        t_reset += t1 - t0
        t_step += t2 - t1
        steps += len(turns)
    return steps, t_reset, t_step


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=400)
    ap.add_argument("--json")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    rows = []
    print(f"{'env':<11} {'steps':>7} {'steps/s':>10} {'target':>8} {'resets/s':>9}  status")
    for name in ENV_NAMES:
        rec = record(name, args.episodes)
        replay(name, rec[:20])  # warm-up
        steps, t_reset, t_step = replay(name, rec)
        sps, rps = steps / t_step, len(rec) / t_reset
        ok = "ok" if sps >= TARGETS[name] else "BELOW TARGET"
        print(f"{name:<11} {steps:>7} {sps:>10,.0f} {TARGETS[name]:>8,} {rps:>9,.0f}  {ok}")
        rows.append({"env": name, "steps": steps, "steps_per_s": sps, "resets_per_s": rps, "target": TARGETS[name]})
    meta = {"python": platform.python_version(), "machine": platform.machine(), "cpu_count": os.cpu_count(), "rows": rows}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(meta, f, indent=2)


if __name__ == "__main__":
    main()
