"""The Action-Bottleneck diagnosis of one training step (method.md §3)."""

from __future__ import annotations

import math
from collections import defaultdict

import torch

from actfocus.algos.roles import ACTION, OTHER, REASONING, ROLE_NAMES
from actfocus.algos.stats import spearman

SCOPES = {"full": None, "reasoning": REASONING, "action": ACTION}


def _variance(values: list[float]) -> float:
    m = sum(values) / len(values)
    return sum((v - m) ** 2 for v in values) / len(values)


def diagnose(group_rewards: dict[int, list[float]], token_group: torch.Tensor, token_traj: torch.Tensor,
             roles: torch.Tensor, energy: torch.Tensor, ref_entropy: torch.Tensor, weights: torch.Tensor | None = None,
             group_mean: str = "pooled") -> dict:
    """group_rewards: group id → episode rewards of its rollouts. Per-token tensors cover every
    response token of the step. group_mean: "pooled" (mean over the group's tokens, default) or
    "trajectory" (mean of per-trajectory means). out["group_points"]: each group's reward variance and mean
    energy per scope (None where it has no token of the scope), the points the step's ρ ranks."""
    n = roles.numel()
    out: dict = {"tokens": n, "groups": len(group_rewards)}
    for code, name in enumerate(ROLE_NAMES):
        m = roles == code
        k = int(m.sum())
        out[f"share_{name}"] = k / n if n else 0.0
        out[f"energy_{name}"] = float(energy[m].mean()) if k else math.nan
        out[f"ref_entropy_{name}"] = float(ref_entropy[m].mean()) if k else math.nan
        if weights is not None:
            out[f"weight_{name}_mean"] = float(weights[m].mean()) if k else math.nan
            out[f"weight_{name}_max"] = float(weights[m].max()) if k else math.nan
            out[f"weight_{name}_min"] = float(weights[m].min()) if k else math.nan
    sigma = {g: _variance(r) for g, r in group_rewards.items()}
    out["zero_variance_groups"] = sum(1 for v in sigma.values() if v == 0.0)
    # Every group's point, in group order: pooled over steps by algos/pooled_rho (the events' diag_groups).
    groups: dict = {"variance": [sigma[g] for g in sorted(group_rewards)]}
    for scope, code in SCOPES.items():
        xs, ys = [], []
        energies = groups[f"energy_{scope}"] = []
        for g in sorted(group_rewards):
            m = token_group == g
            if code is not None:
                m = m & (roles == code)
            if not bool(m.any()):
                energies.append(None)
                continue
            if group_mean == "pooled":
                e = float(energy[m].double().mean())
            else:
                per = defaultdict(list)
                for t, v in zip(token_traj[m].tolist(), energy[m].tolist()):
                    per[t].append(v)
                e = sum(sum(v) / len(v) for v in per.values()) / len(per)
            xs.append(e)
            ys.append(sigma[g])
            energies.append(e)
        rho, p = spearman(xs, ys)
        out[f"rho_{scope}"], out[f"p_{scope}"], out[f"n_{scope}"] = rho, p, len(xs)
    out["group_points"] = groups
    return out


__all__ = ["diagnose", "SCOPES", "ACTION", "REASONING", "OTHER"]
