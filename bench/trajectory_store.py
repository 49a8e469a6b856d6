"""Trajectory storage: bytes per token on disk for real runs of each environment, side by side with
the same records as plain JSON lines; then seek latency in a file of 100,000 trajectories (built from
those real records) measured by the extension's TypeScript reader (bench/trajectory_seek.ts).

    .venv/bin/python bench/trajectory_store.py [--trajectories 100000] [--json bench/results/trajectory_store.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

from actfocus.algos.trainer import Trainer
from actfocus.config import make_config
from actfocus.policy.model import ModelConfig
from actfocus.policy.pretrain import pretrain
from actfocus.run.trajstore import TrajectoryStore, step_records

ENVS = {"frozenlake": {"is_slippery": False}, "sokoban": {}, "sudoku": {}, "shop": {}}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def real_records(env: str, env_cfg: dict):
    lm = pretrain(env, env_cfg, steps=150, episodes=60, noise=0.3, seed=0, max_context=1024,
                  model_config=ModelConfig(d_model=48, n_layer=2, n_head=2, max_seq_len=1024))
    cfg = make_config({"env": env, "prompts_per_step": 4, "group_size": 4, "max_new_tokens": 64, "max_context": 1024})
    tr = Trainer(cfg, lm, env_cfg)
    out = []
    for step in (1, 2):
        res = tr.step(step)
        out += list(step_records(step, env, res.trajs, res.batch, lm, per_trajectory_adv=True))
    return out


def as_json_lines(records) -> int:
    """The naive alternative: one JSON object per trajectory with per-token arrays (full float precision)."""
    total = 0
    for header, cols in records:
        total += len(json.dumps({**header, "tokens": {k: (v if k == "text" else [float(x) for x in v]) for k, v in cols.items()}}).encode()) + 1
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trajectories", type=int, default=100_000)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(1)
    result: dict = {"envs": {}}
    all_records = []
    with tempfile.TemporaryDirectory() as tmp:
        for env, env_cfg in ENVS.items():
            recs = real_records(env, env_cfg)
            d = os.path.join(tmp, env)
            os.makedirs(d)
            store = TrajectoryStore(d)
            for h, c in recs:
                store.append(h, c)
            store.close()
            size = os.path.getsize(os.path.join(d, "trajectories.bin")) + os.path.getsize(os.path.join(d, "trajectories.idx"))
            tokens = sum(h["n_tokens"] for h, _ in recs)
            js = as_json_lines(recs)
            result["envs"][env] = {"trajectories": len(recs), "tokens": tokens, "bytes_per_token": size / tokens,
                                   "json_bytes_per_token": js / tokens, "ratio_compact_to_json": size / js}
            print(f"{env:<11} {len(recs):4d} trajectories {tokens:6d} tokens: {size / tokens:5.1f} B/token on disk "
                  f"(plain JSON {js / tokens:6.1f} B/token, ratio {size / js:.3f})", flush=True)
            all_records += recs
        big = os.path.join(tmp, "big")
        os.makedirs(big)
        store = TrajectoryStore(big)
        t0 = time.perf_counter()
        for i in range(a.trajectories):
            h, c = all_records[i % len(all_records)]
            store.append({**h, "step": i // 64, "index": i % 64}, c)
        store.close()
        write_s = time.perf_counter() - t0
        gib = os.path.getsize(os.path.join(big, "trajectories.bin")) / 2**30
        print(f"wrote {a.trajectories} trajectories ({gib:.2f} GiB) in {write_s:.1f} s ({a.trajectories / write_s:.0f}/s)", flush=True)
        seek = json.loads(subprocess.run(["node", "--import", "tsx", os.path.join(ROOT, "bench", "trajectory_seek.ts"), big],
                                         cwd=ROOT, check=True, capture_output=True, text=True).stdout)
        print(f"seek (TypeScript reader): p50 {seek['seek_ms_p50']:.3f} ms, p99 {seek['seek_ms_p99']:.3f} ms, max {seek['seek_ms_max']:.3f} ms; "
              f"random/sequential {seek['ratio_random_to_sequential']:.2f}; open + first read {seek['open_and_first_read_ms']:.1f} ms")
        result.update({"big_file_gib": gib, "write_trajectories_per_s": a.trajectories / write_s, "seek": seek})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
