"""Advantages: GRPO group normalisation and PPO's GAE (method.md §1)."""

from __future__ import annotations

import torch


def grpo_advantages(rewards: torch.Tensor, group_ids: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """(R - mean_group R) / (std_group R + eps), std unbiased as in GRPO. A group of one, or one whose
    rewards are all equal, gets 0 (no signal), also when eps = 0."""
    adv = torch.zeros_like(rewards, dtype=torch.float64)
    r = rewards.double()
    for g in torch.unique(group_ids):
        m = group_ids == g
        if int(m.sum()) < 2 or bool((r[m] == r[m][0]).all()):
            continue
        adv[m] = (r[m] - r[m].mean()) / (r[m].std(unbiased=True) + eps)
    return adv.to(rewards.dtype if rewards.is_floating_point() else torch.float32)


def gae(rewards: torch.Tensor, values: torch.Tensor, gamma: float, lam: float) -> tuple[torch.Tensor, torch.Tensor]:
    """GAE over one trajectory's response tokens in order (observation tokens are not in the sequence).

    rewards[t] is the reward after token t (the episode reward sits on the last token); the value after
    the last token is 0. Returns (advantages, returns = advantages + values), on the values' device.

    The recursion runs over Python floats (float64, as the tensors were): one copy to the host and
    back, where indexing a GPU tensor token by token would launch kernels per token."""
    T = rewards.shape[0]
    r, v = rewards.double().tolist(), values.double().tolist()
    adv = [0.0] * T
    last = 0.0
    for t in range(T - 1, -1, -1):
        next_v = v[t + 1] if t + 1 < T else 0.0
        delta = r[t] + gamma * next_v - v[t]
        last = delta + gamma * lam * last
        adv[t] = last
    out = torch.tensor(adv, dtype=torch.float32, device=values.device)
    return out, out + values.float()
