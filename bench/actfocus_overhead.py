"""ActFocus vs uniform credit: step time and peak memory on identical batches, side by side in one run.

A fixed batch of multi-turn trajectories (expert demonstrations with noise, so roles and lengths are
realistic) is trained on by the same Trainer with weighting=uniform and weighting=actfocus, each
repetition in a fresh child process (alternating order), measuring the training step (reference and
old-policy passes, advantages, weights, diagnosis, update) and the child's peak RSS. Also reports the
built-in model's rollout (generation) and training tokens/s on CPU.

    .venv/bin/python bench/actfocus_overhead.py [--reps 5] [--json bench/results/actfocus_overhead.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

ENV = "sokoban"


def build(algo: str, weighting: str):
    import numpy as np
    import torch

    from actfocus.algos.roles import assign_roles
    from actfocus.algos.trainer import Trainer
    from actfocus.config import make_config
    from actfocus.envs import make_env
    from actfocus.policy.lm import BuiltinLM
    from actfocus.policy.model import ModelConfig
    from actfocus.policy.pretrain import build_tokenizer, demonstrations
    from actfocus.rollout.multiturn import Trajectory, TurnSample

    torch.manual_seed(0)
    demos = demonstrations(ENV, {}, 64, 0.3, 0)
    tok = build_tokenizer(demos, 1024)
    lm = BuiltinLM(tok, ModelConfig(vocab_size=tok.vocab_size, d_model=128, n_layer=4, n_head=4, max_seq_len=1024))
    rng = np.random.default_rng(0)
    trajs, cur = [], None
    for messages, response in demos:
        if len(messages) == 2:  # a new episode starts
            cur = Trajectory(index=len(trajs), group=len(trajs) // 8, seed=0, total_reward=float(rng.choice([0.0, 1.0, 10.5])))
            trajs.append(cur)
        env = make_env(ENV)
        ids, offsets = tok.encode_with_offsets(response)
        parsed = env.parse(response)
        roles = assign_roles(offsets, parsed.spans, malformed=not parsed.ok) + [2]
        cur.turns.append(TurnSample(cur.index, cur.group, len(cur.turns), lm.prompt_ids(messages)[-900:], ids + [tok.eos_id], roles, response, True, 0.0))
    for t in trajs:
        for s in t.turns:
            s.traj, s.group = t.index, t.group
    cfg = make_config(dict(env=ENV, algo=algo, weighting=weighting, mini_batch_size=32, micro_batch_size=16, max_context=1024))
    return Trainer(cfg, lm, {}), trajs


def child(algo: str, weighting: str) -> None:
    import torch

    torch.set_num_threads(2)
    trainer, trajs = build(algo, weighting)
    trainer.train_on(trajs)  # warm-up
    t0 = time.perf_counter()
    m = trainer.train_on(trajs).metrics
    dt = time.perf_counter() - t0
    out = {"step_s": dt, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "train_tokens_per_s": m["train_tokens_per_s"], "tokens": m["diag/tokens"], "share_action": m["diag/share_action"]}
    if weighting == "uniform" and algo == "grpo":
        from actfocus.rollout.generate import generate

        prompts = [s.prompt_ids for tr in trajs for s in tr.turns][:32]
        g = torch.Generator().manual_seed(0)
        t0 = time.perf_counter()
        resp = generate(trainer.policy, prompts, 48, 1.0, g)
        out["rollout_tokens_per_s"] = sum(len(r) for r in resp) / (time.perf_counter() - t0)
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("--child", nargs=2, metavar=("ALGO", "WEIGHTING"))
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    results = {}
    for algo in ("grpo", "ppo"):
        runs = {"uniform": [], "actfocus": []}
        for rep in range(args.reps):
            order = ("uniform", "actfocus") if rep % 2 == 0 else ("actfocus", "uniform")
            for w in order:
                out = subprocess.run([sys.executable, __file__, "--child", algo, w], capture_output=True, text=True, check=True)
                runs[w].append(json.loads(out.stdout.strip().splitlines()[-1]))
        med = {w: {k: statistics.median(r[k] for r in rs if k in r) for k in rs[0]} for w, rs in runs.items()}
        results[algo] = {"median": med,
                         "time_ratio": med["actfocus"]["step_s"] / med["uniform"]["step_s"],
                         "memory_ratio": med["actfocus"]["maxrss_mb"] / med["uniform"]["maxrss_mb"]}
        u = med["uniform"]
        print(f"{algo}: step {u['step_s']:.3f}s uniform vs {med['actfocus']['step_s']:.3f}s actfocus → time ratio "
              f"{results[algo]['time_ratio']:.3f}; peak RSS {u['maxrss_mb']:.0f} vs {med['actfocus']['maxrss_mb']:.0f} MB → "
              f"memory ratio {results[algo]['memory_ratio']:.3f}; {int(u['tokens'])} response tokens, action share {u['share_action']:.3f}; "
              f"train {u['train_tokens_per_s']:.0f} tok/s" + (f"; rollout {u['rollout_tokens_per_s']:.0f} tok/s" if "rollout_tokens_per_s" in u else ""))
    meta = {"date": time.strftime("%Y-%m-%d"), "python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "reps": args.reps, "results": results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(meta, f, indent=2)


if __name__ == "__main__":
    main()
