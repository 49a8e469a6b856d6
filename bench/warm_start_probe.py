"""Warm-start probe: warm-start the built-in model on an environment's demonstrations, then measure on 128
held-out episodes how often it writes a valid turn (parsed, legal actions) and how often it succeeds, at the training (1.0)
and evaluation (0.5) temperatures, next to the expert's success on the same episodes (what the sanity
table measures against). One JSON line per call, for docs/results/learning/.

  .venv/bin/python bench/warm_start_probe.py --steps 400 --lr 3e-3 --noise 0.3 [--d-model 128 --episodes 2000]
      [--env sokoban --env-config '{"dim_room": [6, 6], "num_boxes": 1}']   (default: FrozenLake 4x4, not slippery)
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from actfocus.envs import make_env
from actfocus.policy.model import ModelConfig
from actfocus.policy.pretrain import pretrain
from actfocus.policy.warm_start import WARM_START, WARM_START_MODEL
from actfocus.rollout.multiturn import rollout

HELD_OUT = list(range(10**6, 10**6 + 128))


def expert_success(env_name: str, env_config: dict, seeds: list[int]) -> float:
    """The expert solver's success on these episodes, within their budget: each environment's own
    reference (exact on slippery ice, where one played episode per seed would be a sample)."""
    total = 0.0
    for seed in seeds:
        env = make_env(env_name, **env_config)
        env.reset(seed)
        total += env.expert_success()
    return total / len(seeds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for k, v in WARM_START.items():
        ap.add_argument("--" + k.replace("_", "-"), type=type(v), default=v)
    for k, v in WARM_START_MODEL.items():
        ap.add_argument("--" + k.replace("_", "-"), type=int, default=v)
    ap.add_argument("--max-context", type=int, default=768)
    ap.add_argument("--out", help="also save the model here")
    ap.add_argument("--env", default="frozenlake")
    ap.add_argument("--env-config", type=json.loads, default={"is_slippery": False})
    a = ap.parse_args()
    t = time.time()
    lm = pretrain(a.env, a.env_config, steps=a.steps, episodes=a.episodes, noise=a.noise, lr=a.lr, batch_size=a.batch_size,
                  max_context=a.max_context,
                  model_config=ModelConfig(d_model=a.d_model, n_layer=a.n_layer, n_head=a.n_head, max_seq_len=a.max_context))
    res = {**vars(a), "warm_start_s": round(time.time() - t, 1), "expert_success": expert_success(a.env, a.env_config, HELD_OUT)}
    if a.out:
        lm.save(a.out)
    for temp in (1.0, 0.5):
        trajs = rollout(lm, a.env, a.env_config, HELD_OUT, 1, temperature=temp, max_new_tokens=48, max_context=a.max_context,
                        generator=torch.Generator().manual_seed(0))
        turns = [s for tr in trajs for s in tr.turns]
        res[f"success@{temp}"] = round(float(np.mean([tr.success for tr in trajs])), 3)
        # A valid turn parses and its actions are legal (a Sudoku digit that breaks a rule is not).
        res[f"valid_turn@{temp}"] = round(float(np.mean([s.valid for s in turns])), 3)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
