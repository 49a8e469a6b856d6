"""The Action-Bottleneck ρ pooled over a window of steps, with a bootstrap interval (method.md §3).

One step's ρ rests on its few prompt groups (4–8 at the CPU profiles' batch) and jumps between −1 and
+1 from step to step. Pooling the groups of the last W steps gives a value worth reading, and resampling
those groups gives its uncertainty. Energies are z-scored within each step before pooling: their level
drifts as the policy's visits change, and ρ itself compares groups of one step with each other.

One implementation for the run's `metrics` events (what the dashboard draws) and for reports that pool
windows and seeds (`actfocus diagnose`, bench/): both call `pooled_rho` on the points the events carry
(`diag_groups`), with the same seed, so their numbers are the same numbers.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence

import torch

SCOPES = ("full", "reasoning", "action")
RESAMPLES = 1000
LEVEL = 0.95


def step_points(groups: dict, scope: str) -> list[tuple[float, float]]:
    """(mean reference energy, reward variance) of each group of one step that has tokens of the scope. A
    non-finite value (written as null in the events) leaves its group out, in memory as after a resume."""
    return [(float(e), float(v)) for e, v in zip(groups[f"energy_{scope}"], groups["variance"])
            if e is not None and v is not None and math.isfinite(e) and math.isfinite(v)]


def zscored(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """One step's (energy, reward variance) points with the energies z-scored (all 0 where they are equal)."""
    if not points:
        return []
    es = [e for e, _ in points]
    mu = sum(es) / len(es)
    sd = math.sqrt(sum((e - mu) ** 2 for e in es) / len(es))
    return [((e - mu) / sd if sd > 0 else 0.0, v) for e, v in points]


def _ranks(dense: torch.Tensor, k: int, idx: torch.Tensor) -> torch.Tensor:
    """Average ranks (ties share theirs, as scipy's rankdata) of each row of the sample `idx` draws, from
    the values' dense ranks 0..k-1: counting per row instead of sorting each resample (1000 × ~100 points
    per scope and step must stay cheap next to a training step)."""
    d = dense[idx]
    counts = torch.zeros(idx.shape[0], k, dtype=torch.float64).scatter_add_(1, d, torch.ones(d.shape, dtype=torch.float64))
    below = counts.cumsum(1) - counts
    return below.gather(1, d) + (counts.gather(1, d) + 1.0) / 2.0


def _rank_corr(x: torch.Tensor, y: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """Spearman ρ of the samples x[idx[b]], y[idx[b]] for each row b; NaN where either side is constant."""
    ux, dx = torch.unique(x, return_inverse=True)
    uy, dy = torch.unique(y, return_inverse=True)
    rx, ry = _ranks(dx, len(ux), idx), _ranks(dy, len(uy), idx)
    rx = rx - rx.mean(-1, keepdim=True)
    ry = ry - ry.mean(-1, keepdim=True)
    den = (rx.square().sum(-1) * ry.square().sum(-1)).sqrt()
    num = (rx * ry).sum(-1)
    return torch.where(den > 0, num / den.clamp_min(1e-300), torch.full_like(num, math.nan))


def pooled_rho(steps: Iterable[Sequence[tuple[float, float]]], seed: int, resamples: int = RESAMPLES, level: float = LEVEL) -> dict:
    """ρ over the pooled groups of several steps (each step's energies z-scored), and a percentile
    bootstrap interval from resampling the groups with replacement (`seed`: the resampling's, so a value
    can be recomputed exactly). Returns rho, lo, hi (None where undefined: under 3 groups, or one side
    constant) and n, the number of groups."""
    pts = [p for step in steps for p in zscored(step)]
    n = len(pts)
    out = {"rho": None, "lo": None, "hi": None, "n": n}
    if n < 3:
        return out
    x = torch.tensor([e for e, _ in pts], dtype=torch.float64)
    y = torch.tensor([v for _, v in pts], dtype=torch.float64)
    rho = float(_rank_corr(x, y, torch.arange(n)[None])[0])
    if math.isnan(rho):
        return out
    out["rho"] = rho
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(n, (resamples, n), generator=g)
    boot = _rank_corr(x, y, idx)
    boot = boot[~boot.isnan()]
    # Resamples that drew one side constant have no ρ; an interval from under half of them would mislead.
    if boot.numel() >= resamples // 2:
        q = torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64)
        lo, hi = torch.quantile(boot, q).tolist()
        out["lo"], out["hi"] = lo, hi
    return out


def pooled_metrics(steps: Sequence[dict], seed: int) -> dict:
    """The `diag/rho_<scope>_pooled{,_lo,_hi}` and `diag/n_<scope>_pooled` metrics over these steps'
    `diag_groups` records."""
    out = {}
    for scope in SCOPES:
        r = pooled_rho([step_points(g, scope) for g in steps], seed)
        out[f"diag/rho_{scope}_pooled"] = r["rho"]
        out[f"diag/rho_{scope}_pooled_lo"] = r["lo"]
        out[f"diag/rho_{scope}_pooled_hi"] = r["hi"]
        out[f"diag/n_{scope}_pooled"] = r["n"]
    return out


class RhoWindow:
    """The last `window` steps' group points; `add` returns the pooled metrics at that step (seeded by the
    step number, so a report recomputes them from the events)."""

    def __init__(self, window: int, history: Iterable[dict] = ()):
        self.steps: deque[dict] = deque(history, maxlen=window)

    def add(self, step: int, groups: dict) -> dict:
        self.steps.append(groups)
        return pooled_metrics(list(self.steps), seed=step)


__all__ = ["SCOPES", "RhoWindow", "pooled_metrics", "pooled_rho", "step_points"]
