"""Forward passes over turn samples, keeping logits only at response positions.

The turns of a trajectory are scored as one sequence where the conversation allows (`chains`): a
trajectory of T turns costs one pass over its conversation instead of T passes over growing prefixes.

The reference pass returns, per response token, the reference log-prob, entropy and energy
E = -logsumexp(logits) from the same logits (method.md §2): one pass, and the [N, V] logits of a
micro-batch are dropped as soon as their statistics are taken. Every tensor stays on the model's device.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from actfocus.algos.losses import token_stats
from actfocus.policy.lm import LanguageModel
from actfocus.rollout.generate import unique_rows


@dataclass
class Packed:
    ids: torch.Tensor  # [B, L] right-padded sequences, one per unit
    mask: torch.Tensor  # [B, L]
    rows: torch.Tensor  # [N] batch row of each response token
    cols: torch.Tensor  # [N] position that predicts it
    targets: torch.Tensor  # [N]
    units: list[list[int]]  # the samples each row scores (indices into the packed list)
    # With a shared prefix (`share_prefixes`): the distinct first P tokens of the rows [U, P], each row's
    # prefix [B]; `ids`/`mask` then hold the rows after their prefix, `queries` [B, Q] each row's scored
    # positions there (padded with 0), and `cols` index into a row's queries.
    prefixes: torch.Tensor | None = None
    row_prefix: torch.Tensor | None = None
    queries: torch.Tensor | None = None


def _continues(sample, prev) -> bool:
    """Whether `sample`'s prompt starts with `prev`'s prompt and response, token for token."""
    p, r = len(prev.prompt_ids), len(prev.response_ids)
    return (sample.traj == prev.traj and sample.turn == prev.turn + 1 and len(sample.prompt_ids) >= p + r
            and sample.prompt_ids[:p] == prev.prompt_ids and sample.prompt_ids[p : p + r] == prev.response_ids)


def chains(samples) -> list[list[int]]:
    """The samples grouped into units of one sequence each: runs of consecutive turns of a trajectory in
    which every turn's prompt extends the previous turn's prompt and response. Such a run is scored as
    its last turn's sequence: every turn's response tokens sit there at the positions, and after the
    context, they had when sampled, so one causal pass gives what one pass per turn gives, without
    re-reading the conversation once per turn. A conversation cut to fit the context, or a reply whose
    re-encoding differs from the sampled tokens, starts a new unit."""
    units: list[list[int]] = []
    for i, s in enumerate(samples):
        if units and _continues(s, samples[units[-1][-1]]):
            units[-1].append(i)
        else:
            units.append([i])
    return units


def pack(samples, pad_id: int, device, fuse: bool = True, share: bool = False) -> Packed:
    """Right-padded rows and the (row, position, target) of every response token, in sample order.
    fuse=False: one row per turn (the simple path the fused one must equal). share=True: rows that start
    with the same tokens up to the first scored position of any row have that prefix held once
    (`share_prefixes`; the model must offer `hidden_after_prefix`)."""
    units = units_of(samples, fuse)
    seqs = [samples[u[-1]].prompt_ids + samples[u[-1]].response_ids for u in units]
    # Every row's first scored token is predicted at its first prompt's last position: positions before
    # the earliest of those are context only, and rows that share them can share their computation.
    P = min(len(samples[u[0]].prompt_ids) for u in units) - 1 if share else 0
    prefixes, row_prefix = unique_rows([q[:P] for q in seqs]) if P > 0 else ([], [])
    if len(prefixes) == len(seqs):  # nothing shared: the plain pass
        P = 0
    seqs = [q[P:] for q in seqs]
    L = max(len(q) for q in seqs)
    rows, cols, targets = [], [], []
    for r, u in enumerate(units):
        for i in u:
            s = samples[i]
            p = len(s.prompt_ids)
            rows += [r] * len(s.response_ids)
            cols += range(p - 1 - P, p - 1 - P + len(s.response_ids))
            targets += s.response_ids
    # Built from lists straight on the device: no host tensor is made and copied.
    t = lambda x: torch.tensor(x, dtype=torch.long, device=device)  # noqa: E731
    ids = t([q + [pad_id] * (L - len(q)) for q in seqs])
    mask = t([[1] * len(q) + [0] * (L - len(q)) for q in seqs])
    if P == 0:
        return Packed(ids, mask, t(rows), t(cols), t(targets), units)
    queries: list[list[int]] = [[] for _ in seqs]  # a row's scored positions, in the order its tokens come
    index = []
    for r, c in zip(rows, cols):
        index.append(len(queries[r]))
        queries[r].append(c)
    Q = max(len(q) for q in queries)
    return Packed(ids, mask, t(rows), t(index), t(targets), units, t(prefixes), t(row_prefix),
                  t([q + [0] * (Q - len(q)) for q in queries]))


def units_of(samples, fuse: bool = True) -> list[list[int]]:
    return chains(samples) if fuse else [[i] for i in range(len(samples))]


def micro_batches(samples, micro: int, fuse: bool = True) -> list[list]:
    """Consecutive slices of `samples` holding `micro` units (sequences) each."""
    units = units_of(samples, fuse)
    return [[samples[i] for u in units[k : k + micro] for i in u] for k in range(0, len(units), micro)]


def unit_length(samples, unit: list[int]) -> int:
    """Tokens in the sequence that scores `unit`: its last turn's prompt and response."""
    last = samples[unit[-1]]
    return len(last.prompt_ids) + len(last.response_ids)


def by_length(samples, units: list[list[int]]) -> list[list[int]]:
    """The units longest first. A batch is padded to its longest row, and a group's rollouts range from
    one turn to the whole budget: micro-batches of alike lengths pad (and attend over) far less than
    micro-batches in sample order (1.6-1.7x the real tokens, 2-2.3x the attention, at the paper's batch)."""
    return sorted(units, key=lambda u: -unit_length(samples, u))


def _no_grad_pass(stats, samples, micro: int, fuse: bool) -> dict[str, torch.Tensor]:
    """stats(part) -> per-token tensors, over micro-batches of `micro` units; returned in sample order.
    The fused path forms the micro-batches from units sorted by length (by_length) and puts the tokens
    back in sample order; fuse=False takes consecutive slices (the simple path)."""
    if not fuse:
        outs = [stats(part) for part in micro_batches(samples, micro, fuse)]
        return {k: torch.cat([o[k] for o in outs]) for k in outs[0]}
    units = by_length(samples, chains(samples))
    order = [i for u in units for i in u]  # the samples in the order their tokens come out
    outs = [stats([samples[i] for u in units[k : k + micro] for i in u]) for k in range(0, len(units), micro)]
    cat = {k: torch.cat([o[k] for o in outs]) for k in outs[0]}
    # where each sample's tokens landed, read back in sample order
    landed, at = [0] * len(samples), 0
    for i in order:
        landed[i] = at
        at += len(samples[i].response_ids)
    back = torch.tensor([landed[i] + j for i, s in enumerate(samples) for j in range(len(s.response_ids))],
                        dtype=torch.long, device=next(iter(cat.values())).device)
    return {k: v[back] for k, v in cat.items()}


def response_hidden(lm: LanguageModel, p: Packed) -> torch.Tensor:
    if p.prefixes is not None:
        h = lm.hidden_after_prefix(p.prefixes, p.row_prefix, p.ids, p.queries)
    else:
        h, _ = lm.hidden(p.ids, p.mask)
    return h[p.rows, p.cols]


def share_prefixes(lm: LanguageModel, device, fuse: bool) -> bool:
    """Whether passes share the rows' common prefixes and compute the last block only where read: a fast
    path (fuse), where the model offers it. A group's rollouts start from one prompt (~45 % of their
    tokens at the paper's batch) and ~1/5 of a row's positions are scored: a training step's passes took
    0.59x the time (docs/results.md, "Engine throughput")."""
    return fuse and lm.shares_prefixes(device)


def policy_stats(lm: LanguageModel, samples, device, fuse: bool = True) -> dict[str, torch.Tensor]:
    """Policy log-prob and entropy of each response token (with grad if enabled), in sample order."""
    p = pack(samples, lm.eos_id, device, fuse, share_prefixes(lm, device, fuse))
    return token_stats(lm.logits(response_hidden(lm, p)), p.targets)


@torch.no_grad()
def reference_stats(ref: LanguageModel, samples, device, micro: int, fuse: bool = True) -> dict[str, torch.Tensor]:
    def stats(part):
        st = policy_stats(ref, part, device, fuse)
        return {"ref_logprob": st["logprob"], "ref_entropy": st["entropy"], "energy": -st["lse"]}
    return _no_grad_pass(stats, samples, micro, fuse)


@torch.no_grad()
def old_policy_stats(lm: LanguageModel, samples, device, micro: int, fuse: bool = True) -> dict[str, torch.Tensor]:
    def stats(part):
        st = policy_stats(lm, part, device, fuse)
        return {"old_logprob": st["logprob"], "entropy": st["entropy"]}
    return _no_grad_pass(stats, samples, micro, fuse)


def critic_values(critic: LanguageModel, samples, device, fuse: bool = True) -> torch.Tensor:
    p = pack(samples, critic.eos_id, device, fuse, share_prefixes(critic, device, fuse))
    return critic.values(response_hidden(critic, p))


@torch.no_grad()
def values_no_grad(critic: LanguageModel, samples, device, micro: int, fuse: bool = True) -> torch.Tensor:
    return _no_grad_pass(lambda part: {"values": critic_values(critic, part, device, fuse).float()}, samples, micro, fuse)["values"]
