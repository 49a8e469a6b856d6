"""Learning test (seeded, CPU, a few minutes): after a warm start, GRPO + ActFocus raises FrozenLake
success clearly above its start. Prints the figures it measured.

Seeded is not bit-identical across CPUs (other SIMD kernels round differently, and sampling then
diverges), so the criteria are sized to the sampling noise rather than to one machine's trajectory:
training success is averaged over hundreds of rollouts, and evaluation uses 256 held-out seeds (the
standard error of a start-to-end difference is then about 0.04)."""

import torch

from actfocus.algos.trainer import Trainer
from actfocus.config import make_config
from actfocus.policy.model import ModelConfig
from actfocus.policy.pretrain import pretrain

ENV_CFG = {"is_slippery": False}


def test_grpo_actfocus_raises_frozenlake_success_after_warm_start():
    torch.manual_seed(0)
    lm = pretrain("frozenlake", ENV_CFG, steps=600, episodes=300, noise=0.4, batch_size=16,
                  model_config=ModelConfig(d_model=64, n_layer=2, n_head=2, max_seq_len=512), max_context=512)
    cfg = make_config(dict(env="frozenlake", algo="grpo", weighting="actfocus", prompts_per_step=8, group_size=8,
                           max_context=512, max_new_tokens=48, eval_prompts=256, lr=3e-4))
    tr = Trainer(cfg, lm, ENV_CFG)
    start = tr.evaluate()["eval/success_rate"]
    curve = []
    for step in range(30):
        m = tr.step(step).metrics
        curve.append(round(m["success_rate"], 3))
    end = tr.evaluate()["eval/success_rate"]
    print(f"\nFrozenLake GRPO+ActFocus: eval success {start:.3f} -> {end:.3f} after 30 steps; train success per step {curve}")
    assert 0.05 <= start <= 0.6, f"warm start should be above zero but far from solved, got {start}"
    first, last = sum(curve[:5]) / 5, sum(curve[-10:]) / 10  # 320 and 640 rollouts
    assert last >= first + 0.05, f"training success did not rise clearly: first 5 steps {first:.3f}, last 10 {last:.3f}"
    assert end >= start + 0.05, f"held-out success did not rise clearly: {start:.3f} -> {end:.3f}"
