"""Run by test_distributed.py, alone or under torchrun: GRPO/PPO + ActFocus updates on a fixed set of
trajectories, each rank holding whole groups (group g on rank g % world size). Rank 0 saves the
policy (and critic) parameters and the metrics. Usage: ddp_worker.py OUT.pt ALGO"""

import json
import sys

import torch

from actfocus.algos import dist as D
from actfocus.algos.trainer import Trainer
from actfocus.config import make_config
from actfocus.policy.lm import BuiltinLM
from actfocus.policy.model import ModelConfig
from actfocus.policy.pretrain import build_tokenizer, demonstrations
from actfocus.rollout.multiturn import rollout

world = D.init_from_env()
torch.set_num_threads(1)
out, algo = sys.argv[1], sys.argv[2]
tok = build_tokenizer(demonstrations("frozenlake", {"is_slippery": False}, 20, 0.3, 0), 512)
torch.manual_seed(0)
lm = BuiltinLM(tok, ModelConfig(vocab_size=tok.vocab_size, d_model=32, n_layer=1, n_head=2, max_seq_len=512))
cfg = make_config({"env": "frozenlake", "algo": algo, "weighting": "actfocus", "prompts_per_step": 4, "group_size": 3, "max_new_tokens": 12,
                   "max_context": 384, "mini_batch_size": 5, "micro_batch_size": 2, "ppo_epochs": 2, "keep_top_groups": 0.75, "lr": 0.01,
                   "kl_coef": 0.01, "entropy_coef": 0.01})
# The same trajectories on every rank (same model, same generator); then each rank keeps its groups.
everything = rollout(lm, "frozenlake", {"is_slippery": False}, [11, 22, 33, 44], 3, temperature=1.5, max_new_tokens=12, max_context=384,
                     generator=torch.Generator().manual_seed(5))
mine = [tr for tr in everything if tr.group % world.size == world.rank]
seen: dict[int, int] = {}
for i, tr in enumerate(mine):
    k = seen.get(tr.group, 0)
    seen[tr.group] = k + 1
    tr.index = i
    for s in tr.turns:
        s.traj, s.group, s.rank_in_group = i, tr.group, k
trainer = Trainer(cfg, lm, {"is_slippery": False})
metrics = [trainer.train_on(mine).metrics for _ in range(2)]
if world.is_main:
    state = {f"policy.{k}": v for k, v in trainer.policy.state_dict().items()}
    if trainer.critic is not None:
        state.update({f"critic.{k}": v for k, v in trainer.critic.state_dict().items()})
    torch.save(state, out)
    with open(out + ".json", "w") as f:
        json.dump(metrics, f)
D.exit_process(0)
