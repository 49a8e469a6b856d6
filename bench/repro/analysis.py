"""Pure aggregation for the reproduction report: run metrics in, tables and curves out (no files, no plots).

Paper conventions (method.md §5): a run's *final* is its held-out evaluation success at the last step,
its *peak* the best evaluation over training; a method's cell is mean ± sample standard deviation over
seeds. The diagnosis ρ is the per-step Spearman correlation between a group's mean reference energy
and its reward variance, summarised over steps and seeds.
"""

from __future__ import annotations

import math
import statistics

from actfocus.algos.pooled_rho import zscored

SCOPES = ("full", "reasoning", "action")


def finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def eval_curve(by_step: dict[int, dict], key: str = "eval/success_rate") -> list[tuple[int, float]]:
    return sorted((s, m[key]) for s, m in by_step.items() if finite(m.get(key)))


def final_and_peak(curve: list[tuple[int, float]]) -> tuple[float, float] | None:
    if not curve:
        return None
    return curve[-1][1], max(v for _, v in curve)


def mean_sd(xs: list[float]) -> tuple[float, float, int]:
    xs = [x for x in xs if finite(x)]
    if not xs:
        return math.nan, math.nan, 0
    return statistics.fmean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0), len(xs)


def fmt_ms(m: float, sd: float, n: int, digits: int = 3) -> str:
    if n == 0 or not finite(m):
        return "–"
    return f"{m:.{digits}f} ± {sd:.{digits}f}"


def summarise_runs(runs: list[dict]) -> dict:
    """runs: {"env", "method", "seed", "curve"} → {(env, method): final/peak/collapse mean, sd, n, seeds}."""
    cells: dict[tuple[str, str], dict] = {}
    for r in runs:
        fp = final_and_peak(r["curve"])
        if fp is None:
            continue
        c = cells.setdefault((r["env"], r["method"]), {"final": [], "peak": [], "collapse": [], "seeds": []})
        c["final"].append(fp[0])
        c["peak"].append(fp[1])
        c["collapse"].append(fp[1] - fp[0])
        c["seeds"].append(r["seed"])
    return {k: {name: mean_sd(v[name]) for name in ("final", "peak", "collapse")} | {"seeds": sorted(v["seeds"])}
            for k, v in cells.items()}


def mean_curve(curves: list[list[tuple[int, float]]]) -> list[tuple[int, float, float, int]]:
    """(step, mean, sd, n) over the runs that have a value at that step."""
    by: dict[int, list[float]] = {}
    for c in curves:
        for s, v in c:
            by.setdefault(s, []).append(v)
    return [(s, *mean_sd(v)) for s, v in sorted(by.items())]


def verdicts(summary: dict, envs: list[str]) -> dict:
    """The acceptance questions, per environment: is each ActFocus variant ahead of its baseline at the
    final step, is the best ActFocus variant ahead of both baselines, and does ActFocus collapse less
    (peak − final) under GRPO."""
    out = {}
    for env in envs:
        g = lambda m, k="final": summary.get((env, m), {}).get(k, (math.nan, 0, 0))[0]  # noqa: E731
        best_af = max(g("PPO+ActFocus"), g("GRPO+ActFocus"))
        out[env] = {
            "ppo_af_beats_ppo": g("PPO+ActFocus") > g("PPO"),
            "grpo_af_beats_grpo": g("GRPO+ActFocus") > g("GRPO"),
            "af_ahead_of_both": best_af > max(g("PPO"), g("GRPO")),
            "grpo_collapse": g("GRPO", "collapse"),
            "grpo_af_collapse": g("GRPO+ActFocus", "collapse"),
            "less_collapse": g("GRPO+ActFocus", "collapse") <= g("GRPO", "collapse"),
        }
    return out


def diagnosis_summary(per_step: list[dict]) -> dict:
    """per_step: {"share_action", "rho_full", "rho_reasoning", "rho_action", "p_*"} rows over steps and
    seeds of one environment → mean ± sd over steps, median, share of steps with p < 0.05."""
    out = {"steps": len(per_step), "share_action": mean_sd([r.get("share_action") for r in per_step])}
    for sc in SCOPES:
        rho = [r.get(f"rho_{sc}") for r in per_step if finite(r.get(f"rho_{sc}"))]
        p = [r.get(f"p_{sc}") for r in per_step if finite(r.get(f"p_{sc}"))]
        out[sc] = {"rho": mean_sd(rho), "median": statistics.median(rho) if rho else math.nan,
                   "significant": (sum(1 for x in p if x < 0.05) / len(p)) if p else math.nan,
                   "positive": (sum(1 for x in rho if x > 0) / len(rho)) if rho else math.nan}
    return out


def scatter_points(records: list[tuple[dict, dict]]) -> dict[str, list[tuple[float, float, int]]]:
    """Group points of the paper's scatter plot from one step's stored trajectories (header, columns):
    per group and scope, (pooled mean reference energy, reward variance, step)."""
    groups: dict[int, dict] = {}
    for h, cols in records:
        g = groups.setdefault(h["group"], {"rewards": [], "sum": [0.0, 0.0, 0.0], "n": [0, 0, 0], "step": h["step"]})
        g["rewards"].append(h["reward"])
        for role, e in zip(cols["role"], cols["energy"]):
            for k, want in enumerate((None, 0, 1)):  # full, reasoning (code 0), action (code 1)
                if want is None or role == want:
                    g["sum"][k] += float(e)
                    g["n"][k] += 1
    out = {sc: [] for sc in SCOPES}
    for g in groups.values():
        r = g["rewards"]
        m = sum(r) / len(r)
        var = sum((x - m) ** 2 for x in r) / len(r)
        for k, sc in enumerate(SCOPES):
            if g["n"][k]:
                out[sc].append((g["sum"][k] / g["n"][k], var, g["step"]))
    return out


def standardise_per_step(points: list[tuple[float, float, int]]) -> list[tuple[float, float]]:
    """z-score the energies within each step, so groups from different steps (whose energy level drifts
    with the policy's visits) share one axis, as ρ itself is computed within a step: the host's z-scoring,
    the one its pooled ρ (and the dashboard) uses."""
    by: dict[int, list[tuple[float, float]]] = {}
    for e, v, s in points:
        by.setdefault(s, []).append((e, v))
    return [p for pts in by.values() for p in zscored(pts)]
