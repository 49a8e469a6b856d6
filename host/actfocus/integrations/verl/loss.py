"""The "actfocus" policy loss, registered through verl's own registry (verl.trainer.ppo.core_algos).

verl calls a policy loss as fn(old_log_prob, log_prob, advantages, response_mask, loss_agg_mode, config,
rollout_is_weights). The only per-token factor it forwards besides the advantages is `rollout_is_weights`,
so that is where the ActFocus weights travel (weights.attach_weights puts them there, multiplied into any
rollout-correction weights, which are per-token loss factors too). The per-token loss is the host's
clipped surrogate (actfocus.algos.losses) plus verl's dual clip for negative advantages (config.clip_ratio_c,
as verl's "vanilla" loss does); aggregation is the host's weighted token mean Σ w·ℓ / Σ w.

Under data parallelism verl passes the global token count (config.global_batch_info); the global Σ w is
not available inside the loss, so there the sum is divided by the global token count — equal to Σ w
because attach_weights scales the weights to mean 1 over the step's batch (exact when a step is one
mini-batch, as in the host's default).
"""

from __future__ import annotations

from typing import Any

import torch
from verl.trainer.ppo.core_algos import agg_loss, register_policy_loss

from actfocus.algos.losses import clipped_surrogate, weighted_token_mean

LOSS_NAME = "actfocus"


def _cfg(config, name: str, default=None):
    if config is None:
        return default
    v = config.get(name, default) if hasattr(config, "get") else getattr(config, name, default)
    return default if v is None else v


@register_policy_loss(LOSS_NAME)
def actfocus_policy_loss(old_log_prob: torch.Tensor, log_prob: torch.Tensor, advantages: torch.Tensor, response_mask: torch.Tensor,
                         loss_agg_mode: str = "token-mean", config=None, rollout_is_weights: torch.Tensor | None = None
                         ) -> tuple[torch.Tensor, dict[str, Any]]:
    if loss_agg_mode != "token-mean":
        raise ValueError(f"actfocus policy loss: loss_agg_mode must be token-mean (the weighted token mean), not {loss_agg_mode!r}")
    clip = _cfg(config, "clip_ratio", 0.2)
    clip_low, clip_high = _cfg(config, "clip_ratio_low", clip), _cfg(config, "clip_ratio_high", clip)
    clip_c = _cfg(config, "clip_ratio_c", 3.0)
    mask = response_mask.bool()
    # verl clamps the log-ratio to ±20 before exp; so do we, so equal inputs give equal losses.
    log_prob_c = old_log_prob + torch.clamp(log_prob - old_log_prob, -20.0, 20.0)
    loss, clipped = clipped_surrogate(log_prob_c, old_log_prob, advantages, clip_low, clip_high)
    # verl's dual clip: for A < 0 the loss is bounded by -A * clip_ratio_c.
    dual = torch.minimum(-advantages * clip_c, loss)
    loss = torch.where(advantages < 0, dual, loss)
    w = torch.ones_like(loss) if rollout_is_weights is None else rollout_is_weights.to(loss.dtype)
    w = w * mask
    info = dict(getattr(config, "global_batch_info", None) or {}) if config is not None else {}
    if info.get("batch_num_tokens") is not None or int(info.get("dp_size") or 1) > 1:
        pg_loss = agg_loss(loss * w, mask, "token-mean", **info)  # weights pre-normalised to mean 1 (see above)
    else:
        pg_loss = weighted_token_mean(loss, w) if bool(w.sum() > 0) else (loss * w).sum()
    with torch.no_grad():
        n = mask.sum().clamp(min=1)
        d = (log_prob - old_log_prob)[mask]
        metrics = {"actor/pg_clipfrac": float((clipped & mask).sum() / n), "actor/ppo_kl": float(-d.mean()) if d.numel() else 0.0,
                   "actor/actfocus_weight_mean": float(w[mask].mean()) if mask.any() else 0.0}
    return pg_loss, metrics
