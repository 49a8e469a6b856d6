"""Issue 19's pre-registered analysis (docs/results.md, "The Action Bottleneck as a dose-response"):
pure functions, no I/O, so the tests can check them on numbers worked out by hand."""

from __future__ import annotations

import math
import random
import re
import statistics
from collections.abc import Sequence

DELTA = 0.05  # the smallest AUC gain of interest (pre-registered)
PLANNED_SEEDS = 7  # paired seeds 0-6 (pre-registered, from the power estimate): no verdict on fewer
RESAMPLES = 10_000


def auc(curve: Sequence[tuple[int, float]]) -> float | None:
    """Area under the held-out success curve (trapezoids), divided by the steps it spans: the mean success
    over training, in [0, 1]. None under two points."""
    pts = sorted(curve)
    if len(pts) < 2 or pts[-1][0] == pts[0][0]:
        return None
    area = sum((b[0] - a[0]) * (a[1] + b[1]) / 2 for a, b in zip(pts, pts[1:]))
    return area / (pts[-1][0] - pts[0][0])


def bootstrap_mean_ci(xs: Sequence[float], seed: int = 0, resamples: int = RESAMPLES, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, lo, hi): the mean and its percentile bootstrap interval, resampling the values (the seeds)."""
    if not xs:
        return math.nan, math.nan, math.nan
    rng = random.Random(seed)
    n = len(xs)
    means = sorted(sum(rng.choice(xs) for _ in range(n)) / n for _ in range(resamples))
    k = (1 - level) / 2
    return statistics.fmean(xs), _quantile(means, k), _quantile(means, 1 - k)


def _quantile(sorted_xs: Sequence[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default)."""
    pos = q * (len(sorted_xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of y on x."""
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else math.nan


def slope_ci(doses: Sequence[tuple[float, Sequence[float]]], seed: int = 0, resamples: int = RESAMPLES, level: float = 0.95) -> tuple[float, float, float]:
    """Slope of the paired gain on log10(action share) over (share, per-seed gains) doses, with a
    bootstrap interval resampling the seeds within each dose (doses are the design, seeds the sampling)."""
    pts = [(math.log10(s), g) for s, gs in doses for g in gs]
    if len({x for x, _ in pts}) < 2:
        return math.nan, math.nan, math.nan
    rng = random.Random(seed)
    boots = []
    for _ in range(resamples):
        b = [(math.log10(s), rng.choice(gs)) for s, gs in doses for _ in gs]
        boots.append(slope(b))
    boots.sort()
    k = (1 - level) / 2
    return slope(pts), _quantile(boots, k), _quantile(boots, 1 - k)


def dose_verdict(lo: float, hi: float, seeds: int = PLANNED_SEEDS, delta: float = DELTA) -> str:
    """One dose's paired AUC gain (ActFocus − uniform), by its interval; none before the planned seeds ran."""
    if seeds < PLANNED_SEEDS:
        return f"pending ({seeds} of {PLANNED_SEEDS} seeds)"
    if lo > 0:
        return "ActFocus better"
    if hi < 0:
        return "ActFocus worse"
    if -delta < lo and hi < delta:
        return "equivalent within ±δ"
    return "no difference shown"


def overall_verdict(paper_dose: tuple[float, float], slope_interval: tuple[float, float], delta: float = DELTA) -> str:
    """reproduced: at the paper's share the gain's interval lies above 0 and the gain grows as the share
    shrinks (the slope on log share lies below 0); not reproduced: at the paper's share the interval
    excludes a gain of δ or more; inconclusive: anything else."""
    (lo, hi), (s_lo, s_hi) = paper_dose, slope_interval
    if lo > 0 and s_hi < 0:
        return "reproduced"
    if hi < delta:
        return "not reproduced"
    return "inconclusive"


def seeds_needed(sd: float, delta: float = DELTA, z_alpha: float = 1.959964, z_power: float = 0.841621) -> int:
    """Paired seeds for a two-sided 5 % test to detect a mean difference δ with 80 % power, normal approximation."""
    return math.ceil(((z_alpha + z_power) * sd / delta) ** 2)


def mean_curve(curves: Sequence[Sequence[tuple[int, float]]], seed: int = 0, resamples: int = 2_000) -> list[tuple[int, float, float, float]]:
    """(step, mean, lo, hi) over the seeds' curves at each step every curve evaluated: an arm's learning
    curve with a bootstrap interval over seeds (descriptive, for the plot; the tests are on AUC and final)."""
    if not curves:
        return []
    steps = sorted(set.intersection(*(set(s for s, _ in c) for c in curves)))
    at = [dict(c) for c in curves]
    return [(s, *bootstrap_mean_ci([c[s] for c in at], seed=seed, resamples=resamples)) for s in steps]


def rho_gap(steps: Sequence[dict], seed: int = 0, resamples: int = 1000, level: float = 0.95, a: str = "action", b: str = "reasoning") -> dict:
    """ρ(scope a) − ρ(scope b) over the pooled groups of these steps' `diag_groups` records, with a percentile
    bootstrap interval that resamples the groups once for both scopes (the two ρ rest on the same groups,
    so their difference is paired). The Action Bottleneck predicts a gap above 0 for action − reasoning.
    Groups with both scopes' energies and a variance enter; each step's energies z-scored per scope, as in
    `pooled_rho`. Exploratory: not in the pre-registered plan."""
    import torch

    from actfocus.algos.pooled_rho import _rank_corr

    xa: list[float] = []
    xb: list[float] = []
    ys: list[float] = []
    for g in steps:
        rows = [(ea, eb, v) for ea, eb, v in zip(g[f"energy_{a}"], g[f"energy_{b}"], g["variance"])
                if all(isinstance(t, (int, float)) and math.isfinite(t) for t in (ea, eb, v))]
        if not rows:
            continue
        for k, out in ((0, xa), (1, xb)):
            es = [r[k] for r in rows]
            mu = statistics.fmean(es)
            sd = math.sqrt(sum((e - mu) ** 2 for e in es) / len(es))
            out.extend((e - mu) / sd if sd > 0 else 0.0 for e in es)
        ys.extend(r[2] for r in rows)
    n = len(ys)
    res = {"gap": None, "lo": None, "hi": None, "n": n}
    if n < 3:
        return res
    X_a, X_b, Y = (torch.tensor(t, dtype=torch.float64) for t in (xa, xb, ys))
    whole = torch.arange(n)[None]
    gap = float(_rank_corr(X_a, Y, whole)[0] - _rank_corr(X_b, Y, whole)[0])
    if math.isnan(gap):
        return res
    idx = torch.randint(n, (resamples, n), generator=torch.Generator().manual_seed(seed))
    boot = _rank_corr(X_a, Y, idx) - _rank_corr(X_b, Y, idx)
    boot = boot[~boot.isnan()]
    res["gap"] = gap
    if boot.numel() >= resamples // 2:
        lo, hi = torch.quantile(boot, torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64)).tolist()
        res["lo"], res["hi"] = lo, hi
    return res


PARTS = ("a0", "a1", "a4", "b", "c", "d", "e")  # bench/dose/run.sh's parts (a = a0 + a1 + a4)
# The names bench/dose/run.sh gives runs and warm starts (the report reads arms from the same pattern).
RUN_NAME = re.compile(r"^(?P<style>generic|names)(?P<n>\d+)-(?P<algo>grpo|ppo)(?P<af>-actfocus)?(?P<variant>-[\w.]+)?-seed(?P<seed>\d+)$")
WARM_NAME = re.compile(r"^(?P<style>generic|names_move)-(?P<n>\d+)-seed\d+$")
_DOSE_PART = {"0": "a0", "1": "a1", "4": "a4", "12": "b"}  # uninformative reasoning, by sentences


def part_of(kind: str, name: str) -> str | None:
    """The runner part a `logs/seconds.tsv` entry belongs to: warm starts to the part that builds them (12
    sentences: b; c and d reuse b's), runs by arm. None for a name the runner does not write."""
    m = (WARM_NAME if kind == "warm" else RUN_NAME if kind == "run" else None)
    m = m.match(name) if m else None
    if not m:
        return None
    if m["style"] != "generic":
        return "e"
    if kind == "run" and m["variant"]:
        return "d" if re.fullmatch(r"-(alpha|beta)[\d.]+", m["variant"]) else None
    if kind == "run" and m["algo"] == "ppo":
        return "c"
    return _DOSE_PART.get(m["n"])


def part_times(rows: Sequence[tuple[str, str, float]]) -> dict[str, dict]:
    """Per part, from (kind, name, seconds) rows in log order: how many warm starts and runs, their process
    seconds (sum and median), and the part's wall time at two processes at a time estimated from the
    medians. A name logged twice (a run redone after a failure or a stop) counts once, its last time: the
    one that finished."""
    last: dict[tuple[str, str], float] = {}
    for kind, name, secs in rows:
        last[(kind, name)] = secs
    each: dict[str, dict[str, list[float]]] = {p: {"warm": [], "run": []} for p in PARTS}
    for (kind, name), secs in last.items():
        p = part_of(kind, name)
        if p is not None:
            each[p][kind].append(secs)
    out = {}
    for p, k in each.items():
        out[p] = {f"{kind}_{f}": v for kind in ("warm", "run") for f, v in
                  (("n", len(k[kind])), ("s", sum(k[kind])), ("median_s", statistics.median(k[kind]) if k[kind] else 0.0))}
        # A process paused while the machine was lent to tests (SIGSTOP) counts its pause: the medians are
        # what a part costs when it has the machine, the sums what it took.
        out[p]["wall_h_from_medians"] = (out[p]["warm_n"] * out[p]["warm_median_s"] + out[p]["run_n"] * out[p]["run_median_s"]) / 2 / 3600
    return out
