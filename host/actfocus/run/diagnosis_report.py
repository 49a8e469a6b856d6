"""`actfocus diagnose RUN_DIR`: the Action-Bottleneck diagnosis of a finished or running run as a table."""

from __future__ import annotations

import json
import math
import statistics
import os
import sys

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


def _fmt(v, spec=".3f"):
    return "-" if v is None else format(v, spec)


def run_diagnose(args) -> int:
    from actfocus.run.reader import read_events, step_metrics

    if not os.path.isfile(os.path.join(args.run_dir, P.EVENTS)):
        print(f"actfocus diagnose: RUN_DIR: {args.run_dir!r} holds no {P.EVENTS}", file=sys.stderr)
        return 2
    ev = read_events(args.run_dir)
    table = diagnosis_table(step_metrics(ev))
    table["malformed_lines"] = ev.malformed
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
    if ev.malformed:
        print(f"({ev.malformed} malformed lines in {P.EVENTS} were skipped)")
    return 0
