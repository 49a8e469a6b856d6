"""The clipped token-level surrogate with per-token weights, KL and entropy terms (method.md §1, §4)."""

from __future__ import annotations

import torch

from actfocus.registry import Registry


def token_stats(logits: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
    """From logits [N, V] (positions predicting targets [N]): logprob, entropy and log-sum-exp.

    One pass over the logits; the energy of a position is -logsumexp (method.md §2)."""
    logits = logits.float()
    lse = torch.logsumexp(logits, dim=-1)
    logprob = logits.gather(-1, targets[:, None]).squeeze(-1) - lse
    p = torch.softmax(logits, dim=-1)
    entropy = lse - (p * logits).sum(-1)
    return {"logprob": logprob, "entropy": entropy, "lse": lse}


def clipped_surrogate(logprob, old_logprob, advantages, clip_low: float, clip_high: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token loss -min(rho A, clip(rho) A) and whether each token was clipped."""
    ratio = torch.exp(logprob - old_logprob)
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip_low, 1.0 + clip_high) * advantages
    loss = -torch.minimum(unclipped, clipped)
    return loss, (clipped < unclipped)


def weighted_token_mean(x: torch.Tensor, weights: torch.Tensor, normalizer: torch.Tensor | float | None = None) -> torch.Tensor:
    """sum_t w_t x_t / sum_t w_t. With gradient accumulation pass the whole mini-batch's sum of w as
    `normalizer`, so micro-batches add up to exactly the mini-batch loss."""
    denom = weights.sum() if normalizer is None else normalizer
    return (x * weights).sum() / denom


# Per-token estimators of KL(policy || reference) from d = logprob - ref_logprob (Schulman's k1, k3).
KL_PENALTY = Registry("kl_type")
KL_PENALTY.register("k1")(lambda d: d)
KL_PENALTY.register("k3")(lambda d: torch.exp(-d) + d - 1.0)


def kl_penalty(logprob, ref_logprob, kind: str) -> torch.Tensor:
    return KL_PENALTY[kind](logprob - ref_logprob)
