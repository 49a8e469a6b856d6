"""`actfocus diagnose RUN_DIR`: the Action-Bottleneck diagnosis of a finished or running run as a table."""

from __future__ import annotations

import json
import math
import statistics
import os
import sys

from actfocus.algos.pooled_rho import RhoWindow, pooled_rho, step_points
from actfocus.run import protocol as P

ROWS = (("all tokens", "full", None), ("reasoning", "reasoning", "reasoning"), ("action", "action", "action"))


def diagnosis_table(by_step: dict[int, dict]) -> dict:
    steps = sorted(s for s, m in by_step.items() if "diag/tokens" in m)
    table = {"steps": len(steps), "rows": []}

    def vals(key):
        return [by_step[s][key] for s in steps if isinstance(by_step[s].get(key), (int, float)) and math.isfinite(by_step[s][key])]

    for label, scope, role in ROWS:
        rho, p = vals(f"diag/rho_{scope}"), vals(f"diag/p_{scope}")
        row = {"tokens": label,
               "share": statistics.fmean(vals(f"diag/share_{role}")) if role and vals(f"diag/share_{role}") else (1.0 if not role else None),
               "weight": statistics.fmean(vals(f"diag/weight_{role}_mean")) if role and vals(f"diag/weight_{role}_mean") else None,
               "energy": statistics.fmean(vals(f"diag/energy_{role}")) if role and vals(f"diag/energy_{role}") else None,
               "rho_median": statistics.median(rho) if rho else None,
               "rho_mean": statistics.fmean(rho) if rho else None,
               "significant": (sum(1 for x in p if x < 0.05) / len(p)) if p else None,
               "n_steps": len(rho)}
        table["rows"].append(row)
    return table


def step_groups(events) -> dict[int, dict]:
    """Each training step's group points (the metrics events' diag_groups; the last record of a step wins)."""
    return {e["step"]: e["diag_groups"] for e in events.records if e["type"] == "metrics" and isinstance(e.get("diag_groups"), dict)}


def pooled_table(groups: dict[int, dict]) -> dict:
    """ρ per scope over every step's groups pooled (energies z-scored per step), with a 95 % bootstrap interval."""
    steps = [groups[s] for s in sorted(groups)]
    return {label: pooled_rho([step_points(g, scope) for g in steps], seed=0) for label, scope, _ in ROWS}


def windowed(groups: dict[int, dict], window: int) -> list[dict]:
    """The pooled ρ of the last `window` steps at every step, recomputed from the events: what the run's
    diag/rho_*_pooled metrics hold (and the dashboard draws)."""
    w, out = RhoWindow(window), []
    for s in sorted(groups):
        out.append({"step": s, **w.add(s, groups[s])})
    return out


def _fmt(v, spec=".3f"):
    return "-" if v is None else format(v, spec)


def _run_window(run_dir: str) -> int:
    """The run's diag_window (run.json's config), else the default."""
    from actfocus.config import DEFAULTS
    from actfocus.run.reader import RunFileError, read_run

    try:
        w = (read_run(run_dir).get("config") or {}).get("diag_window")
    except (OSError, RunFileError):
        w = None
    return w if isinstance(w, int) and not isinstance(w, bool) and w >= 1 else DEFAULTS["diag_window"]


def run_diagnose(args) -> int:
    from actfocus.run.reader import read_events, step_metrics

    if not os.path.isfile(os.path.join(args.run_dir, P.EVENTS)):
        print(f"actfocus diagnose: RUN_DIR: {args.run_dir!r} holds no {P.EVENTS}", file=sys.stderr)
        return 2
    ev = read_events(args.run_dir)
    table = diagnosis_table(step_metrics(ev))
    table["malformed_lines"] = ev.malformed
    groups = step_groups(ev)
    table["pooled"] = pooled_table(groups)
    window = args.window or _run_window(args.run_dir)
    table["window"] = window
    table["windowed"] = windowed(groups, window)
    if args.json:
        print(json.dumps(table, indent=2))
        return 0
    if not table["steps"]:
        print(f"{args.run_dir}: no training step has been recorded yet")
        return 0
    print(f"Action-Bottleneck diagnosis of {args.run_dir} over {table['steps']} steps")
    print("rho = Spearman correlation, across prompt groups, between the group's mean reference energy and its reward variance")
    print(f"{'tokens':<12}{'share':>8}{'weight':>9}{'energy':>10}{'rho med':>10}{'rho mean':>10}{'p<0.05':>8}{'steps':>7}")
    for r in table["rows"]:
        print(f"{r['tokens']:<12}{_fmt(r['share']):>8}{_fmt(r['weight']):>9}{_fmt(r['energy'], '.2f'):>10}{_fmt(r['rho_median']):>10}"
              f"{_fmt(r['rho_mean']):>10}{_fmt(r['significant'], '.0%'):>8}{r['n_steps']:>7}")
    if groups:
        print(f"pooled over the {len(groups)} steps' {table['pooled']['all tokens']['n']} groups (energy z-scored per step), 95 % bootstrap interval:")
        for label, r in table["pooled"].items():
            ci = f"[{_fmt(r['lo'])}, {_fmt(r['hi'])}]" if r["lo"] is not None else "[-]"
            print(f"{label:<12}rho {_fmt(r['rho'])} {ci} over {r['n']} groups")
        last = table["windowed"][-1]
        print(f"last {window} steps (step {last['step']}): action rho {_fmt(last['diag/rho_action_pooled'])} "
              f"[{_fmt(last['diag/rho_action_pooled_lo'])}, {_fmt(last['diag/rho_action_pooled_hi'])}]")
    if ev.malformed:
        print(f"({ev.malformed} malformed lines in {P.EVENTS} were skipped)")
    return 0
