"""Tried and not kept (docs/results.md): the built-in model's decode step under torch.compile.

Alternates rollouts at the paper's batch (8 prompts x 16, FrozenLake, the engine bench's settings) with the
eager decode step and with `torch.compile(..., dynamic=True)` of it, same seeds per pair, and prints each
rollout's generated tokens and tokens/s (the first compiled one includes compiling; later ones recompile
where a new shape or layout comes, e.g. one row left, or a mask that is a slice).

    .venv/bin/python bench/rollout_compile_experiment.py MODEL_DIR [REPS]
"""

import statistics
import sys
import time

import torch

from actfocus.algos.trainer import Trainer
from actfocus.config import make_config
from actfocus.policy.lm import load_policy
from actfocus.rollout.multiturn import rollout


def main(model_dir: str, reps: int) -> None:
    torch.set_num_threads(2)
    lm = load_policy(model_dir)
    eager = lm.net._decode_step
    compiled = torch.compile(eager, dynamic=True)
    cfg = make_config(dict(env="frozenlake", algo="grpo", weighting="actfocus", prompts_per_step=8, group_size=16,
                           max_new_tokens=48, max_context=768, mini_batch_size=32, micro_batch_size=16, seed=0))
    rates: dict[str, list[float]] = {"eager": [], "compiled": []}
    for rep in range(reps):
        for name, fn in (("eager", eager), ("compiled", compiled)):
            lm.net._decode_step = fn
            tr = Trainer(cfg, lm, {"is_slippery": False})  # the same generator seed for both
            t0 = time.perf_counter()
            trajs = rollout(tr.policy, cfg["env"], tr.env_config, tr.train_seeds(rep), cfg["group_size"],
                            temperature=cfg["temperature"], max_new_tokens=cfg["max_new_tokens"],
                            max_context=cfg["max_context"], generator=tr.gen, malformed_role=cfg["malformed_role"])
            dt = time.perf_counter() - t0
            tokens = sum(len(s.response_ids) for t in trajs for s in t.turns)
            rates[name].append(tokens / dt)
            print(f"rep {rep} {name}: {dt:.3f} s, {tokens} tokens, {tokens / dt:.0f} tokens/s", flush=True)
    for name, r in rates.items():
        if len(r) > 1:
            print(f"{name}: median tokens/s after the first pair {statistics.median(r[1:]):.0f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)
