"""Warm-start probe: warm-start the built-in model on FrozenLake demonstrations, then measure on 128
held-out random maps how often it writes a well-formed turn and how often it succeeds, at the training
(1.0) and evaluation (0.5) temperatures. One JSON line per call, for docs/results/learning/.

  .venv/bin/python bench/warm_start_probe.py --steps 400 --lr 3e-3 --noise 0.3 [--d-model 128 --episodes 2000]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from actfocus.policy.model import ModelConfig
from actfocus.policy.pretrain import pretrain
from actfocus.policy.warm_start import WARM_START, WARM_START_MODEL
from actfocus.rollout.multiturn import rollout

ENV_CFG = {"is_slippery": False}
HELD_OUT = list(range(10**6, 10**6 + 128))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for k, v in WARM_START.items():
        ap.add_argument("--" + k.replace("_", "-"), type=type(v), default=v)
    for k, v in WARM_START_MODEL.items():
        ap.add_argument("--" + k.replace("_", "-"), type=int, default=v)
    ap.add_argument("--max-context", type=int, default=768)
    ap.add_argument("--out", help="also save the model here")
    a = ap.parse_args()
    t = time.time()
    lm = pretrain("frozenlake", ENV_CFG, steps=a.steps, episodes=a.episodes, noise=a.noise, lr=a.lr, batch_size=a.batch_size,
                  max_context=a.max_context,
                  model_config=ModelConfig(d_model=a.d_model, n_layer=a.n_layer, n_head=a.n_head, max_seq_len=a.max_context))
    res = {**vars(a), "warm_start_s": round(time.time() - t, 1)}
    if a.out:
        lm.save(a.out)
    for temp in (1.0, 0.5):
        trajs = rollout(lm, "frozenlake", ENV_CFG, HELD_OUT, 1, temperature=temp, max_new_tokens=48, max_context=a.max_context,
                        generator=torch.Generator().manual_seed(0))
        turns = [s for tr in trajs for s in tr.turns]
        res[f"success@{temp}"] = round(float(np.mean([tr.success for tr in trajs])), 3)
        res[f"well_formed@{temp}"] = round(float(np.mean([s.valid for s in turns])), 3)
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
