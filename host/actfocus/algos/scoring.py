"""Forward passes over turn samples, keeping logits only at response positions.

The reference pass returns, per response token, the reference log-prob, entropy and energy
E = -logsumexp(logits) from the same logits (method.md §2): one pass, and the [N, V] logits of a
micro-batch are dropped as soon as their statistics are taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from actfocus.algos.losses import token_stats
from actfocus.policy.lm import LanguageModel


@dataclass
class Packed:
    ids: torch.Tensor  # [B, L] right-padded prompt+response
    mask: torch.Tensor  # [B, L]
    rows: torch.Tensor  # [N] batch row of each response token
    cols: torch.Tensor  # [N] position that predicts it
    targets: torch.Tensor  # [N]


def pack(samples, pad_id: int, device) -> Packed:
    L = max(len(s.prompt_ids) + len(s.response_ids) for s in samples)
    ids = torch.full((len(samples), L), pad_id, dtype=torch.long)
    mask = torch.zeros((len(samples), L), dtype=torch.long)
    rows, cols, targets = [], [], []
    for i, s in enumerate(samples):
        seq = s.prompt_ids + s.response_ids
        ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[i, : len(seq)] = 1
        p = len(s.prompt_ids)
        rows += [i] * len(s.response_ids)
        cols += list(range(p - 1, p - 1 + len(s.response_ids)))
        targets += s.response_ids
    t = lambda x: torch.tensor(x, dtype=torch.long, device=device)  # noqa: E731
    return Packed(ids.to(device), mask.to(device), t(rows), t(cols), t(targets))


def response_hidden(lm: LanguageModel, p: Packed) -> torch.Tensor:
    h, _ = lm.hidden(p.ids, p.mask)
    return h[p.rows, p.cols]


def policy_stats(lm: LanguageModel, samples, device) -> dict[str, torch.Tensor]:
    """Policy log-prob and entropy of each response token (with grad if enabled)."""
    p = pack(samples, lm.eos_id, device)
    return token_stats(lm.logits(response_hidden(lm, p)), p.targets)


@torch.no_grad()
def reference_stats(ref: LanguageModel, samples, device, micro: int) -> dict[str, torch.Tensor]:
    out: dict[str, list] = {"ref_logprob": [], "ref_entropy": [], "energy": []}
    for i in range(0, len(samples), micro):
        st = policy_stats(ref, samples[i : i + micro], device)
        out["ref_logprob"].append(st["logprob"].cpu())
        out["ref_entropy"].append(st["entropy"].cpu())
        out["energy"].append((-st["lse"]).cpu())
    return {k: torch.cat(v) for k, v in out.items()}


@torch.no_grad()
def old_policy_stats(lm: LanguageModel, samples, device, micro: int) -> dict[str, torch.Tensor]:
    lp, ent = [], []
    for i in range(0, len(samples), micro):
        st = policy_stats(lm, samples[i : i + micro], device)
        lp.append(st["logprob"].cpu())
        ent.append(st["entropy"].cpu())
    return {"old_logprob": torch.cat(lp), "entropy": torch.cat(ent)}


def critic_values(critic: LanguageModel, samples, device) -> torch.Tensor:
    p = pack(samples, critic.eos_id, device)
    return critic.values(response_hidden(critic, p))


@torch.no_grad()
def values_no_grad(critic: LanguageModel, samples, device, micro: int) -> torch.Tensor:
    return torch.cat([critic_values(critic, samples[i : i + micro], device).float().cpu() for i in range(0, len(samples), micro)])
