"""The precision policy (docs/method.md, "Precision"): where bf16 is used and where fp32 is kept.

- Forward passes of the transformer trunk run under bf16 autocast (`precision = bf16`; `auto` picks it on
  CUDA): matrix products in bf16 with fp32 accumulation, as the GPU is fastest at.
- Parameters and optimiser states stay fp32 (master weights): autocast casts copies for the products;
  gradients reach the fp32 parameters.
- The output head runs in fp32 on the trunk's hidden states cast to fp32, so logits, log-sum-exp, energies,
  log-probs and entropies are fp32: bf16 logits would carry ~0.4 % relative error, a PPO ratio of
  exp(logp - old_logp) would then move by that much between two passes over the same tokens, and the
  energies ActFocus ranks would be quantised. The loss and its reductions are fp32 too.
"""

from __future__ import annotations

import contextlib

import torch

PRECISIONS = ("fp32", "bf16")  # what `auto` resolves to


def resolve(precision: str, device: str) -> str:
    """`auto` → bf16 on CUDA (where the card computes in bf16), fp32 elsewhere; explicit values are kept."""
    if precision != "auto":
        return precision
    if torch.device(device).type == "cuda" and torch.cuda.is_bf16_supported():
        return "bf16"
    return "fp32"


def trunk_autocast(device: torch.device | str, precision: str):
    """The context a trunk forward pass runs in: bf16 autocast, or nothing for fp32."""
    if precision != "bf16":
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16)


def fp32_head(device: torch.device | str):
    """The context the output and value heads run in: autocast off, whatever the caller's."""
    return torch.autocast(device_type=torch.device(device).type, enabled=False)
