"""ActFocus token weights (method.md §4).

reasoning: w = alpha; action: w = 1 + beta * sigmoid((s - mu) / sigma), with mu and sigma the mean and
(population) standard deviation of the signal s over all action tokens of the step's batch,
sigma = sqrt(var + eps); other tokens: `other_weight` (default 1). Weights are constants (no gradient).
A signal with no spread (sigma = 0: eps = 0 with a constant signal or a single action token) standardises
to 0, so every action token gets 1 + beta/2: all equally uncertain, and never 0/0 = NaN.
"""

from __future__ import annotations

import math

import torch

from actfocus.algos.roles import ACTION, OTHER, REASONING
from actfocus.registry import Registry

# The score that drives action weights, from the per-token statistics of the step (method.md §4).
SIGNAL = Registry("signal")
SIGNAL.register("energy")(lambda energy, ref_entropy, old_logprob, ref_logprob: energy)  # the paper's default
SIGNAL.register("ref_entropy")(lambda energy, ref_entropy, old_logprob, ref_logprob: ref_entropy)
SIGNAL.register("policy_nll")(lambda energy, ref_entropy, old_logprob, ref_logprob: -old_logprob)
SIGNAL.register("logprob_shift")(lambda energy, ref_entropy, old_logprob, ref_logprob: old_logprob - ref_logprob)
SIGNALS = SIGNAL.names()


def action_signal(name: str, *, energy, ref_entropy, old_logprob, ref_logprob) -> torch.Tensor:
    return SIGNAL[name](energy, ref_entropy, old_logprob, ref_logprob)


def batch_signal_stats(signal: torch.Tensor, roles: torch.Tensor, eps: float, world=None) -> tuple[float, float] | None:
    """(mu, sigma) over the action tokens of the batch (of every rank under data parallelism), or None
    when there is no action token. Two passes in both cases, so ranks get exactly what one process would:
    a one-pass E[x^2] - E[x]^2 leaves rounding noise where the spread is 0, which sigma_eps = 0 would
    then divide by."""
    from actfocus.algos import dist as D

    world = world or D.World()
    s = signal[roles == ACTION].double()
    n, total = D.all_sum([float(s.numel()), float(s.sum())], world)
    if n == 0:
        return None
    mu = total / n
    (ss,) = D.all_sum([float(((s - mu) ** 2).sum())], world)
    return mu, math.sqrt(ss / n + eps)


def actfocus_weights(roles: torch.Tensor, signal: torch.Tensor, alpha: float, beta: float, eps: float = 1e-6,
                     other_weight: float = 1.0, stats: tuple[float, float] | None = None) -> torch.Tensor:
    """Per-token weights (float32, detached). `stats` overrides the batch (mu, sigma) — for previews."""
    # masked_fill takes the numbers as scalars: `w[mask] = alpha` would wrap each in a host tensor and copy it over.
    w = torch.empty(roles.shape, dtype=torch.float32, device=roles.device)
    w.masked_fill_(roles == REASONING, alpha).masked_fill_(roles == OTHER, other_weight)
    act = roles == ACTION
    if bool(act.any()):
        mu, sd = stats if stats is not None else batch_signal_stats(signal, roles, eps)  # type: ignore[misc]
        s = signal[act].double()
        z = (s - mu) / sd if sd > 0 else torch.zeros_like(s)
        w[act] = (1.0 + beta * torch.sigmoid(z)).float()
    return w.detach()


def uniform_weights(roles: torch.Tensor) -> torch.Tensor:
    return torch.ones(roles.shape, dtype=torch.float32, device=roles.device)


# Token credit (`weighting`): f(cfg, tok, keep, world) -> (per-token weights, the signal's batch (mu, sigma) or None).
# tok: the step's per-token tensors; keep: which tokens take part in the update (group filtering).
WEIGHTING = Registry("weighting")
WEIGHTING.register("uniform")(lambda cfg, tok, keep, world: (uniform_weights(tok["roles"]), None))


@WEIGHTING.register("actfocus")
def _actfocus(cfg: dict, tok: dict, keep: torch.Tensor, world) -> tuple[torch.Tensor, tuple[float, float] | None]:
    sig = action_signal(cfg["signal"], energy=tok["energy"], ref_entropy=tok["ref_entropy"],
                        old_logprob=tok["old_logprob"], ref_logprob=tok["ref_logprob"])
    # Batch statistics over the action tokens that take part in the update, of every rank.
    roles_kept = torch.where(keep, tok["roles"], torch.full_like(tok["roles"], -1))
    stats = batch_signal_stats(sig, roles_kept, cfg["sigma_eps"], world)
    w = actfocus_weights(tok["roles"], sig, cfg["alpha"], cfg["beta"], cfg["sigma_eps"], cfg["other_weight"], stats=stats)
    return w, stats
