"""Every environment with both algorithms runs a full step (rollout → scoring → weights → update)."""

import math

import pytest
import torch

from actfocus.algos.trainer import Trainer
from actfocus.config import make_config
from actfocus.envs import ENV_NAMES
from actfocus.policy.lm import BuiltinLM
from actfocus.policy.model import ModelConfig
from actfocus.policy.pretrain import build_tokenizer, demonstrations


@pytest.fixture(scope="module")
def tokenizer():
    demos = []
    for name in ENV_NAMES:
        demos += demonstrations(name, {}, 3, 0.3, 0)
    return build_tokenizer(demos, 1024)


@pytest.mark.parametrize("algo", ["grpo", "ppo"])
@pytest.mark.parametrize("env", ENV_NAMES)
def test_one_step_on_every_environment(tokenizer, env, algo):
    torch.manual_seed(0)
    lm = BuiltinLM(tokenizer, ModelConfig(vocab_size=tokenizer.vocab_size, d_model=32, n_layer=1, n_head=2, max_seq_len=768))
    cfg = make_config(dict(env=env, algo=algo, prompts_per_step=2, group_size=2, max_new_tokens=6, max_context=768,
                           mini_batch_size=8, micro_batch_size=4, eval_prompts=2))
    tr = Trainer(cfg, lm, {"max_turns": 2})
    m = tr.step(0).metrics
    for key in ("reward_mean", "loss", "entropy", "diag/share_action", "diag/share_reasoning"):
        assert m[key] is not None and math.isfinite(m[key]), key
    assert m["diag/groups"] == 2 and m["turns_mean"] == 2
    ev = tr.evaluate()
    # An untrained model writing 6 random tokens a turn solves nothing: any success here would be a bug
    # in the evaluation (a success counted for a malformed episode, a wrong mean).
    assert ev["eval/success_rate"] == 0.0 and ev["eval/valid_turn_rate"] < 0.5, ev
