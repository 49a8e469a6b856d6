"""The reproduction report: reads a suite folder's run directories, writes OUT/report/
(results.md with the tables, *.csv and summary.json with the data, *.png plots)."""

from __future__ import annotations

import csv
import json
import math
import os
import time

import analysis as A

from actfocus.algos.stats import spearman
from actfocus.run.reader import read_events, read_run, step_metrics
from actfocus.run.trajstore import CorruptRecord, read_index, read_record

METHOD_ORDER = ["PPO", "GRPO", "PPO+ActFocus", "GRPO+ActFocus"]
ENV_ORDER = ["sokoban", "frozenlake", "sudoku", "shop"]
DIAG_KEYS = ("share_action", "rho_full", "rho_reasoning", "rho_action", "p_full", "p_reasoning", "p_action")


def load_runs(out: str) -> list[dict]:
    """Every run the suite recorded, with its metrics (runs whose files are gone are skipped)."""
    with open(os.path.join(out, "suite.json"), encoding="utf-8") as f:
        suite = json.load(f)
    runs = []
    for name, info in sorted(suite["runs"].items()):
        d = os.path.join(out, "runs", name)
        if not os.path.isfile(os.path.join(d, "run.json")):
            continue
        by_step = step_metrics(read_events(d))
        runs.append({"name": name, "dir": d, **{k: info[k] for k in ("env", "method", "seed", "overrides")},
                     "status": read_run(d).get("status"), "wall_s": info.get("wall_s"),
                     "curve": A.eval_curve(by_step), "reward_curve": A.eval_curve(by_step, "eval/reward_mean"), "train_curve": A.eval_curve(by_step, "success_rate"),
                     "diag": [{"step": s, **{k: m.get(f"diag/{k}") for k in DIAG_KEYS}} for s, m in sorted(by_step.items()) if "diag/tokens" in m],
                     "time_step_s": [m["time_step_s"] for m in by_step.values() if A.finite(m.get("time_step_s"))],
                     "tokens_per_s": [m["rollout_tokens_per_s"] for m in by_step.values() if A.finite(m.get("rollout_tokens_per_s"))]})
    return suite, runs


def trajectory_points(run_dir: str) -> dict[str, list]:
    """Scatter points of every stored step of a run (its GRPO trajectories are all kept)."""
    idx = read_index(os.path.join(run_dir, "trajectories.idx"))
    by_step: dict[int, list] = {}
    for e in idx:
        try:
            by_step.setdefault(e.step, []).append(read_record(os.path.join(run_dir, "trajectories.bin"), e))
        except CorruptRecord:
            continue
    pts = {sc: [] for sc in A.SCOPES}
    for recs in by_step.values():
        for sc, p in A.scatter_points(recs).items():
            pts[sc] += p
    return pts


def _envs(runs):
    present = {r["env"] for r in runs}
    return [e for e in ENV_ORDER if e in present] + sorted(present - set(ENV_ORDER))


def write_report(out: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    suite, runs = load_runs(out)
    rep = os.path.join(out, "report")
    os.makedirs(rep, exist_ok=True)
    plain = [r for r in runs if not r["overrides"]]
    envs = _envs(plain)
    summary: dict = {"profile": suite["profile"]["name"], "commit": suite.get("commit"), "machine": suite.get("machine"),
                     "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                     "suite_wall_s": sum(x["wall_s"] for x in suite.get("sessions", [])),  # warm starts included
                     "runs": len(runs), "completed": sum(r["status"] == "completed" for r in runs)}
    md = []

    # ---- comparison ----
    with open(os.path.join(rep, "comparison.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["env", "method", "seed", "step", "eval_success_rate"])
        for r in plain:
            for s, v in r["curve"]:
                w.writerow([r["env"], r["method"], r["seed"], s, v])
    cells = A.summarise_runs(plain)
    methods = [m for m in METHOD_ORDER if any(k[1] == m for k in cells)]
    ver = A.verdicts(cells, envs)
    summary["comparison"] = {f"{e}/{m}": cells[(e, m)] for (e, m) in cells}
    summary["verdicts"] = ver
    md += ["## Comparison: held-out success (final step, and peak over training)", "",
           "Mean ± sample standard deviation over seeds; evaluation on fixed held-out seeds at temperature "
           f"{suite['profile']['train'].get('eval_temperature', 0.5)}, every {suite['profile']['train'].get('eval_every')} steps. "
           "Best final per environment in bold.", "",
           "| Environment | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for e in envs:
        finals = {m: cells[(e, m)]["final"][0] for m in methods if (e, m) in cells}
        best = max(finals.values()) if finals else None
        row = []
        for m in methods:
            c = cells.get((e, m))
            if not c:
                row.append("–")
                continue
            cell = f"{A.fmt_ms(*c['final'])} (peak {A.fmt_ms(*c['peak'])})"
            row.append(f"**{cell}**" if c["final"][0] == best else cell)
        md.append(f"| {e} | " + " | ".join(row) + " |")
    rcells = A.summarise_runs([{**r, "curve": r["reward_curve"]} for r in plain])
    summary["comparison_reward"] = {f"{e}/{m}": rcells[(e, m)] for (e, m) in rcells}
    md += ["", "Held-out mean episode reward at the final step (peak), the finer signal where success stays at 0:", "",
           "| Environment | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
    for e in envs:
        md.append(f"| {e} | " + " | ".join(f"{A.fmt_ms(*rcells[(e, m)]['final'], digits=2)} (peak {A.fmt_ms(*rcells[(e, m)]['peak'], digits=2)})"
                                            if (e, m) in rcells else "–" for m in methods) + " |")
    md += ["", "| Environment | PPO+ActFocus > PPO | GRPO+ActFocus > GRPO | best ActFocus > both baselines | GRPO collapse (peak − final) | GRPO+ActFocus collapse |",
           "|---|---|---|---|---|---|"]
    yn = lambda b: "yes" if b else "no"  # noqa: E731
    for e in envs:
        v = ver[e]
        md.append(f"| {e} | {yn(v['ppo_af_beats_ppo'])} | {yn(v['grpo_af_beats_grpo'])} | {yn(v['af_ahead_of_both'])} | "
                  f"{v['grpo_collapse']:.3f} | {v['grpo_af_collapse']:.3f} |")
    md += ["", f"ActFocus ahead of both baselines at the final step on {sum(v['af_ahead_of_both'] for v in ver.values())} of {len(envs)} environments; "
           f"less GRPO peak-to-final collapse with ActFocus on {sum(v['less_collapse'] for v in ver.values())} of {len(envs)}.", "",
           "![success curves](comparison_curves.png)", ""]
    fig, axes = plt.subplots(1, max(1, len(envs)), figsize=(4.2 * max(1, len(envs)), 3.4), squeeze=False)
    for ax, e in zip(axes[0], envs):
        for m in methods:
            mc = A.mean_curve([r["curve"] for r in plain if r["env"] == e and r["method"] == m])
            if not mc:
                continue
            xs, ys, sd = [p[0] for p in mc], [p[1] for p in mc], [p[2] for p in mc]
            ax.plot(xs, ys, marker="o", label=m, linestyle="-" if "ActFocus" in m else "--")
            ax.fill_between(xs, [y - s for y, s in zip(ys, sd)], [y + s for y, s in zip(ys, sd)], alpha=0.12)
        ax.set_title(e)
        ax.set_xlabel("training step")
        ax.set_ylim(-0.02, 1.02)
    axes[0][0].set_ylabel("held-out success rate")
    _legend(axes[0][-1])
    fig.tight_layout()
    fig.savefig(os.path.join(rep, "comparison_curves.png"), dpi=110)
    plt.close(fig)

    # ---- diagnosis (GRPO runs) ----
    grpo = [r for r in plain if r["method"] == "GRPO"]
    with open(os.path.join(rep, "diagnosis.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["env", "seed", "step", *DIAG_KEYS])
        for r in grpo:
            for d in r["diag"]:
                w.writerow([r["env"], r["seed"], d["step"], *[d[k] for k in DIAG_KEYS]])
    diag = {e: A.diagnosis_summary([d for r in grpo if r["env"] == e for d in r["diag"]]) for e in envs}
    # Pooled over every (step, group) of every seed, energies z-scored within their step: a larger-sample
    # estimate than the per-step ρ over a handful of groups.
    scatter = {}
    for e in envs:
        pts = {sc: [] for sc in A.SCOPES}
        for r in grpo:
            if r["env"] == e:
                for sc, p in trajectory_points(r["dir"]).items():
                    pts[sc] += p
        scatter[e] = {sc: A.standardise_per_step(pts[sc]) for sc in A.SCOPES}
        for sc in A.SCOPES:
            z = scatter[e][sc]
            rho, pv = spearman([a for a, _ in z], [b for _, b in z])
            diag[e][sc]["pooled"] = {"rho": rho, "p": pv, "n": len(z)}
    summary["diagnosis"] = diag
    md += ["## Diagnosis: the Action Bottleneck under GRPO", "",
           "ρ = Spearman correlation, across a step's prompt groups, between the group's mean reference energy and its reward "
           "variance (method.md §3), for all response tokens, reasoning tokens only and action tokens only; mean ± sd over "
           "steps × seeds, median, share of steps with ρ > 0 and with p < 0.05; and pooled: one ρ over every (step, group) "
           "point of all seeds, energies z-scored within their step (p in brackets).", "",
           "| Environment | action-token share | ρ all | ρ reasoning | ρ action | ρ>0 (all / reas. / action) | p<0.05 (all / reas. / action) | pooled ρ all / reas. / action | steps |",
           "|---|---|---|---|---|---|---|---|---|"]
    pct = lambda x: "–" if not A.finite(x) else f"{x:.0%}"  # noqa: E731
    for e in envs:
        d = diag[e]
        md.append(f"| {e} | {A.fmt_ms(*d['share_action'])} | " +
                  " | ".join(f"{A.fmt_ms(*d[sc]['rho'])} (med {d[sc]['median']:.3f})" if A.finite(d[sc]['median']) else "–" for sc in A.SCOPES) +
                  " | " + " / ".join(pct(d[sc]["positive"]) for sc in A.SCOPES) +
                  " | " + " / ".join(pct(d[sc]["significant"]) for sc in A.SCOPES) +
                  " | " + " / ".join(f"{d[sc]['pooled']['rho']:+.3f} ({d[sc]['pooled']['p']:.2g})" if A.finite(d[sc]["pooled"]["rho"]) else "–" for sc in A.SCOPES) +
                  f" | {d['steps']} |")
    md += ["", "![rho over training](diagnosis_rho.png)", "", "![energy vs reward variance](diagnosis_scatter.png)", ""]
    fig, axes = plt.subplots(1, max(1, len(envs)), figsize=(4.2 * max(1, len(envs)), 3.2), squeeze=False)
    for ax, e in zip(axes[0], envs):
        for sc in A.SCOPES:
            curves = [[(d["step"], d[f"rho_{sc}"]) for d in r["diag"] if A.finite(d[f"rho_{sc}"])] for r in grpo if r["env"] == e]
            mc = A.mean_curve(curves)
            if mc:
                ax.plot([p[0] for p in mc], [p[1] for p in mc], label=sc)
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_title(f"{e}: ρ per step (mean over seeds)")
        ax.set_xlabel("training step")
        ax.set_ylim(-1.05, 1.05)
    _legend(axes[0][-1])
    fig.tight_layout()
    fig.savefig(os.path.join(rep, "diagnosis_rho.png"), dpi=110)
    plt.close(fig)
    fig, axes = plt.subplots(max(1, len(envs)), 3, figsize=(11, 3.0 * max(1, len(envs))), squeeze=False)
    for row, e in zip(axes, envs):
        for ax, sc in zip(row, A.SCOPES):
            z = scatter[e][sc]
            if z:
                ax.scatter([p[0] for p in z], [p[1] for p in z], s=7, alpha=0.45)
            ax.set_title(f"{e}: {sc} tokens (pooled ρ {diag[e][sc]['pooled']['rho']:+.2f}, n={len(z)})", fontsize=9)
            ax.set_xlabel("group mean reference energy (z within step)")
        row[0].set_ylabel("group reward variance")
    fig.tight_layout()
    fig.savefig(os.path.join(rep, "diagnosis_scatter.png"), dpi=100)
    plt.close(fig)

    # ---- ablations ----
    ab = suite["profile"].get("ablations")
    abl = []
    if ab:
        env = ab["env"]
        base = [r for r in runs if r["env"] == env and r["method"] == "GRPO+ActFocus" and r["seed"] in ab["seeds"]]
        rows = [("default (α 0.1, β 0.5, energy)", [r for r in base if not r["overrides"]])]
        for key in ("alpha", "beta", "signal"):
            for v in ab[key]:
                rows.append((f"{key} = {v}", [r for r in base if r["overrides"] == {key: v}]))
        md += [f"## Ablations ({env}, GRPO+ActFocus, seeds {ab['seeds']})", "",
               "| Setting | final | peak | runs |", "|---|---|---|---|"]
        with open(os.path.join(rep, "ablations.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["setting", "seed", "step", "eval_success_rate"])
            for label, rs in rows:
                fp = [A.final_and_peak(r["curve"]) for r in rs]
                fp = [x for x in fp if x]
                fin, peak = A.mean_sd([x[0] for x in fp]), A.mean_sd([x[1] for x in fp])
                abl.append({"setting": label, "final": fin, "peak": peak, "runs": len(fp)})
                md.append(f"| {label} | {A.fmt_ms(*fin)} | {A.fmt_ms(*peak)} | {len(fp)} |")
                for r in rs:
                    for s, v in r["curve"]:
                        w.writerow([label, r["seed"], s, v])
        md += ["", "![ablations](ablations.png)", ""]
        fig, ax = plt.subplots(figsize=(8, 3.2))
        ax.bar(range(len(abl)), [a["final"][0] if A.finite(a["final"][0]) else 0 for a in abl],
               yerr=[a["final"][1] if A.finite(a["final"][1]) else 0 for a in abl], capsize=3)
        ax.set_xticks(range(len(abl)), [a["setting"].replace("default ", "default\n") for a in abl], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("final held-out success")
        ax.set_title(f"Ablations on {env} (GRPO+ActFocus)")
        fig.tight_layout()
        fig.savefig(os.path.join(rep, "ablations.png"), dpi=110)
        plt.close(fig)
    summary["ablations"] = abl

    # ---- cost ----
    md += ["## Cost", "", "| Environment | method | s per training step (mean) | rollout tokens/s | run wall time (s, mean) |", "|---|---|---|---|---|"]
    for e in envs:
        for m in methods:
            rs = [r for r in plain if r["env"] == e and r["method"] == m]
            st = A.mean_sd([x for r in rs for x in r["time_step_s"]])
            tp = A.mean_sd([x for r in rs for x in r["tokens_per_s"]])
            wt = A.mean_sd([r["wall_s"] for r in rs if A.finite(r.get("wall_s"))])
            md.append(f"| {e} | {m} | {st[0]:.1f} | {tp[0]:.0f} | {wt[0]:.0f} |")
    head = [f"# Reproduction suite: profile `{summary['profile']}`", "",
            f"Generated {summary['generated']} from commit `{summary['commit']}` on {summary['machine'].get('processor')} "
            f"({summary['machine'].get('cpus')} CPUs, torch {summary['machine'].get('torch')}); {summary['completed']} of {summary['runs']} runs completed; "
            f"suite wall time {summary['suite_wall_s'] / 60:.1f} min.", ""]
    with open(os.path.join(rep, "results.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(head + md) + "\n")
    with open(os.path.join(rep, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(_jsonable(summary), f, indent=1)
    return os.path.join(rep, "results.md")


def _legend(ax) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
