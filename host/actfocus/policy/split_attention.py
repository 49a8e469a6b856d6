"""Causal attention of rows that continue a shared prefix, with the prefix computed once.

The rollouts of a group start from the same prompt (a group's first prompt is ~45 % of its trajectories'
tokens at the paper's batch), and training scores every trajectory over its whole conversation: the
prefix's tokens go through the model once per rollout. Its keys and values are the same for every row that
starts with it, so they can be computed once per distinct prefix; a row's tokens after it then attend to
the prefix's keys (all visible) and to their own (causally).

PyTorch's fused CPU kernel takes no mask in either part, which keeps it fast (an explicit mask over
prefix + row makes the kernel compute every block, and then the shared prefix saves nothing: see
docs/results.md). The two parts are computed apart and merged by their log-sum-exps, exactly as one
softmax over all the keys; the backward pass gives each part the merged output and log-sum-exp, from which
the kernel's backward recomputes each part's share of the softmax (as ring attention does). The kernel's
log-sum-exp output is an ATen op of the CPU build (`available`); elsewhere callers keep the plain path.
"""

from __future__ import annotations

import torch

_FWD = getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu", None)
_BWD = getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu_backward", None)


def available(device: torch.device | str) -> bool:
    """Whether this torch has the CPU kernel with its log-sum-exp, and the tensors would be on the CPU."""
    return torch.device(device).type == "cpu" and _FWD is not None and _BWD is not None


def _part(q, k, v, causal: bool, mask):
    out, lse = _FWD(q, k, v, 0.0, causal, attn_mask=mask)[:2]
    return out, lse


class _PrefixAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k_prefix, v_prefix, k_own, v_own, own_mask):
        causal = own_mask is None
        out_p, lse_p = _part(q, k_prefix, v_prefix, False, None)
        out_o, lse_o = _part(q, k_own, v_own, causal, own_mask)
        lse = torch.logaddexp(lse_p, lse_o)
        out = out_p * (lse_p - lse).exp().unsqueeze(-1) + out_o * (lse_o - lse).exp().unsqueeze(-1)
        ctx.save_for_backward(q, k_prefix, v_prefix, k_own, v_own, out, lse, own_mask)
        return out

    @staticmethod
    def backward(ctx, grad):
        q, k_prefix, v_prefix, k_own, v_own, out, lse, own_mask = ctx.saved_tensors
        grad = grad.contiguous()
        dq_p, dk_p, dv_p = _BWD(grad, q, k_prefix, v_prefix, out, lse, 0.0, False)
        dq_o, dk_o, dv_o = _BWD(grad, q, k_own, v_own, out, lse, 0.0, own_mask is None, attn_mask=own_mask)
        return dq_p + dq_o, dk_p, dv_p, dk_o, dv_o, None


def prefix_attention(q: torch.Tensor, k_prefix: torch.Tensor, v_prefix: torch.Tensor, k_own: torch.Tensor,
                     v_own: torch.Tensor, own_mask: torch.Tensor | None = None) -> torch.Tensor:
    """softmax(q [k_prefix; k_own]^T / sqrt(d)) [v_prefix; v_own], every prefix key visible to every query:
    q [B, H, Tq, d], k_prefix/v_prefix [B, H, P, d] (each row's prefix; rows may share one, gradients then
    add up in it), k_own/v_own [B, H, T, d]. Without `own_mask` the queries are the own positions
    (Tq = T) and see their own keys causally; with it (additive, [B, 1, Tq, T], 0 or -inf) the mask says
    which own keys each query sees. Same value and gradients as scaled_dot_product_attention over the
    concatenated keys with that mask, up to float rounding."""
    return _PrefixAttention.apply(q, k_prefix, v_prefix, k_own, v_own, own_mask)
