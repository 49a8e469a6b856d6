"""Driver-side ActFocus pieces for verl batches (padded [B, T] response tensors). No verl import: these
are plain torch, so they are tested without verl and usable from any trainer.

Route (docs/verl.md): after the reference pass, (1) energies E = -logsumexp of the reference logits at
each response position (`reference_energy`, one reduction over logits the reference forward already
produced), (2) token roles from the decoded response text with our environments' parsers
(`token_roles`; multi-turn responses are split into assistant turns at response_mask gaps, where verl's
agent loop masks out environment tokens), (3) the host's ActFocus weights over the step's action tokens
(`actfocus_token_weights`), (4) carried to the loss in the batch's `rollout_is_weights` field
(`attach_weights`), the per-token factor verl forwards to a registered policy loss.
"""

from __future__ import annotations

from typing import Callable

import torch

from actfocus.algos.actfocus import action_signal, actfocus_weights
from actfocus.algos.roles import OTHER, assign_roles

Decode = Callable[[list[int]], str]


# Rows of logits reduced at a time: bounds the float32 copy logsumexp makes (rows × vocabulary).
ENERGY_CHUNK_ROWS = 2048


def reference_energy(logits: torch.Tensor, chunk_rows: int = ENERGY_CHUNK_ROWS) -> torch.Tensor:
    """E = -logsumexp over the vocabulary (method.md §2), in float32 whatever the logits' dtype, a chunk of
    rows at a time (used on the driver and inside verl's reference pass, ref_energy.py)."""
    flat = logits.reshape(-1, logits.shape[-1])
    out = torch.empty(flat.shape[0], dtype=torch.float32, device=logits.device)
    for i in range(0, flat.shape[0], chunk_rows):
        out[i : i + chunk_rows] = -torch.logsumexp(flat[i : i + chunk_rows].float(), dim=-1)
    return out.reshape(logits.shape[:-1])


def turn_segments(mask_row: torch.Tensor) -> list[tuple[int, int]]:
    """[start, end) of each run of 1s: the assistant turns of a multi-turn response."""
    segs, start = [], None
    for i, m in enumerate(mask_row.tolist()):
        if m and start is None:
            start = i
        elif not m and start is not None:
            segs.append((start, i))
            start = None
    if start is not None:
        segs.append((start, len(mask_row)))
    return segs


def token_offsets(ids: list[int], decode: Decode) -> tuple[str, list[tuple[int, int]]]:
    """Text of a turn and each token's character range (prefix decoding: exact for any tokenizer)."""
    offsets, prev = [], 0
    for i in range(len(ids)):
        n = len(decode(ids[: i + 1]))
        offsets.append((prev, max(prev, n)))
        prev = max(prev, n)
    return decode(ids), offsets


def parser_for(env_name: str, **env_config):
    """text → ParsedTurn (spans, ok) with the named environment's own parser."""
    from actfocus.envs import make_env

    env = make_env(env_name, **env_config)
    return env.parse


def token_roles(response_ids: torch.Tensor, response_mask: torch.Tensor, decode: Decode, parse, malformed_role: str = "reasoning",
                eos_ids: frozenset[int] = frozenset()) -> torch.Tensor:
    """Role code per response position; positions outside the mask (padding, environment text) are OTHER."""
    roles = torch.full(response_ids.shape, OTHER, dtype=torch.long)
    for b in range(response_ids.shape[0]):
        for s, e in turn_segments(response_mask[b]):
            ids = response_ids[b, s:e].tolist()
            body = ids[:-1] if ids and ids[-1] in eos_ids else ids  # the end-of-turn token stays OTHER, as in the host
            text, offs = token_offsets(body, decode)
            parsed = parse(text)
            r = assign_roles(offs, parsed.spans, malformed=not parsed.ok, malformed_role=malformed_role)
            roles[b, s : s + len(r)] = torch.tensor(r, dtype=torch.long)
    return roles


def actfocus_token_weights(roles: torch.Tensor, response_mask: torch.Tensor, *, energy: torch.Tensor | None = None,
                           ref_entropy: torch.Tensor | None = None, old_log_prob: torch.Tensor | None = None,
                           ref_log_prob: torch.Tensor | None = None, alpha: float, beta: float, signal: str = "energy",
                           eps: float = 1e-6, other_weight: float = 1.0, normalise: bool = True) -> torch.Tensor:
    """[B, T] weights: the host's ActFocus weights over the batch's response tokens (signal statistics over
    all its action tokens), 0 outside the mask; normalise scales them to mean 1 over the response tokens
    (the weighted token mean does not change; verl's token-count normalisation then equals Σ w)."""
    mask = response_mask.bool()

    def flat(x):
        return None if x is None else x[mask].float()

    s = action_signal(signal, energy=flat(energy), ref_entropy=flat(ref_entropy), old_logprob=flat(old_log_prob), ref_logprob=flat(ref_log_prob))
    if s is None:
        raise ValueError(f"signal {signal!r} needs its per-token tensor (energy, ref_entropy, old/ref log-probs)")
    w = actfocus_weights(roles[mask], s, alpha, beta, eps, other_weight)
    if normalise and w.numel() and float(w.sum()) > 0:
        w = w * (w.numel() / w.sum())
    out = torch.zeros(response_mask.shape, dtype=torch.float32)
    out[mask] = w
    return out


def attach_weights(batch, weights: torch.Tensor, key: str = "rollout_is_weights") -> None:
    """Put the weights where verl forwards them to the policy loss; rollout-correction weights already
    there are kept (both are per-token loss factors: the product applies both)."""
    prev = batch[key] if key in batch.keys() else None
    batch[key] = weights.to(prev.dtype) * prev if prev is not None else weights
