"""Issue 19's report from the committed run directories, exactly as pre-registered (docs/results.md,
"The Action Bottleneck as a dose-response"): per dose the paired AUC gain of ActFocus over uniform
weighting with a bootstrap interval, the slope of the gain on log action share, the verdicts, the pooled ρ
by role with intervals, and a dose-response plot.

    .venv/bin/python bench/dose/dose_report.py [OUT_DIR]      (default docs/results/dose; writes report.md,
                                                          results.json, runs.csv, dose_response.png there)
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "host"))
sys.path.insert(0, HERE)

import dose_analysis as A  # noqa: E402
from actfocus.algos.pooled_rho import pooled_rho, step_points  # noqa: E402
from actfocus.run.reader import RunFileError, read_events, read_run, step_metrics  # noqa: E402

PAPER_SENTENCES = 12  # the dose at the paper's share (about 4 %)


def load(out: str) -> list[dict]:
    runs = []
    root = os.path.join(out, "runs")
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        m = A.RUN_NAME.match(name)
        d = os.path.join(root, name)
        if not m or not os.path.isfile(os.path.join(d, "run.json")):
            continue
        try:
            status = read_run(d).get("status")
        except RunFileError as e:
            runs.append({"name": name, "status": "unreadable", "problem": str(e)})
            continue
        ev = read_events(d)
        by_step = step_metrics(ev)
        curve = [(s, v["eval/success_rate"]) for s, v in sorted(by_step.items()) if isinstance(v.get("eval/success_rate"), (int, float))]
        shares = [v["diag/share_action"] for v in by_step.values() if isinstance(v.get("diag/share_action"), (int, float))]
        groups = [e["diag_groups"] for e in ev.records if e["type"] == "metrics" and isinstance(e.get("diag_groups"), dict)]
        runs.append({"name": name, "style": m["style"], "sentences": int(m["n"]), "algo": m["algo"],
                     "weighting": "actfocus" if m["af"] else "uniform", "variant": (m["variant"] or "")[1:], "seed": int(m["seed"]),
                     "status": status, "curve": curve, "auc": A.auc(curve), "final": curve[-1][1] if curve else None,
                     "share_action": sum(shares) / len(shares) if shares else None, "groups": groups})
    return runs


def arms(runs: list[dict]) -> dict[tuple, dict[int, dict]]:
    """(style, sentences, algo, weighting, variant) → seed → completed run."""
    out: dict[tuple, dict[int, dict]] = {}
    for r in runs:
        if r["status"] == "completed" and r.get("auc") is not None:
            out.setdefault((r["style"], r["sentences"], r["algo"], r["weighting"], r["variant"]), {})[r["seed"]] = r
    return out


def paired(a: dict[int, dict], b: dict[int, dict], key: str) -> list[tuple[int, float]]:
    """(seed, b − a) over the seeds both arms completed."""
    return [(s, b[s][key] - a[s][key]) for s in sorted(set(a) & set(b)) if a[s][key] is not None and b[s][key] is not None]


def comparisons(runs: list[dict]) -> list[dict]:
    """Every ActFocus arm against the uniform arm of the same style, dose and algorithm, seed by seed."""
    by = arms(runs)
    rows = []
    for (style, n, algo, weighting, variant), af in sorted(by.items()):
        base = by.get((style, n, algo, "uniform", ""))
        if weighting != "actfocus" or not base:
            continue
        d_auc, d_final = paired(base, af, "auc"), paired(base, af, "final")
        mean, lo, hi = A.bootstrap_mean_ci([d for _, d in d_auc])
        fm, flo, fhi = A.bootstrap_mean_ci([d for _, d in d_final])
        share = [r["share_action"] for r in (*base.values(), *af.values()) if r["share_action"] is not None]
        rows.append({"style": style, "sentences": n, "algo": algo, "variant": variant or "paper defaults", "seeds": [s for s, _ in d_auc],
                     "share_action": sum(share) / len(share) if share else None,
                     "auc_uniform": A.bootstrap_mean_ci([base[s]["auc"] for s, _ in d_auc]), "auc_actfocus": A.bootstrap_mean_ci([af[s]["auc"] for s, _ in d_auc]),
                     "gain_auc": (mean, lo, hi), "gain_final": (fm, flo, fhi), "verdict": A.dose_verdict(lo, hi, len(d_auc)),
                     # The power estimate's input, as observed: the seeds this spread would have asked for.
                     "sd_gain_auc": statistics.stdev([d for _, d in d_auc]) if len(d_auc) > 1 else None})
    return rows


def diagnosis(runs: list[dict]) -> list[dict]:
    """ρ by role, every step of every seed of an arm pooled (each step's energies z-scored), 95 % interval."""
    by = arms(runs)
    rows = []
    for key, seeds in sorted(by.items()):
        steps = [g for r in seeds.values() for g in r["groups"]]
        row = {"arm": "-".join(str(k) for k in key if k != ""), "steps": len(steps)}
        for scope in ("full", "reasoning", "action"):
            row[scope] = pooled_rho([step_points(g, scope) for g in steps], seed=0)
        row["gap"] = A.rho_gap(steps, seed=0)
        rows.append(row)
    return rows


def arm_rows(runs: list[dict]) -> list[dict]:
    """Every arm on its own: its completed seeds, AUC and final success, each mean with its 95 % interval
    over seeds (the table of PPO/GRPO ± ActFocus and the ablations; the paired tests are in comparisons)."""
    rows = []
    for (style, n, algo, weighting, variant), seeds in sorted(arms(runs).items()):
        rs = [seeds[s] for s in sorted(seeds)]
        rows.append({"style": style, "sentences": n, "arm": _arm_label(algo, weighting, variant), "seeds": sorted(seeds),
                     "auc": A.bootstrap_mean_ci([r["auc"] for r in rs]),
                     "final": A.bootstrap_mean_ci([r["final"] for r in rs if r["final"] is not None])})
    return rows


def _arm_label(algo: str, weighting: str, variant: str) -> str:
    label = algo.upper() + ("+ActFocus" if weighting == "actfocus" else "")
    return f"{label} ({variant})" if variant else label


def _plot_curves(out: str, by: dict) -> None:
    """Held-out success by step at the paper's dose, each arm's mean over seeds with its 95 % band: the
    methods on the left, ActFocus's α/β ablations (with its defaults) on the right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    at = {k: v for k, v in by.items() if k[0] == "generic" and k[1] == PAPER_SENTENCES}
    if not at:
        return
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5), sharey=True)
    panels = ([k for k in at if not k[4]], [k for k in at if k[2] == "grpo" and k[3] == "actfocus"])
    for ax, keys, title in zip(axes, panels, ("methods (ActFocus at α 0.1, β 0.5)", "GRPO+ActFocus: α and β")):
        for key in sorted(keys):
            seeds = at[key]
            mc = A.mean_curve([seeds[s]["curve"] for s in sorted(seeds)])
            if not mc:
                continue
            # Methods: one colour per algorithm, ActFocus solid and uniform dashed; ablations: a colour each.
            style = {"color": {"grpo": "C0", "ppo": "C3"}[key[2]], "ls": "-" if key[3] == "actfocus" else "--"} if ax is axes[0] else {}
            line, = ax.plot([p[0] for p in mc], [p[1] for p in mc], label=f"{_arm_label(*key[2:]) if key[4] or ax is axes[0] else 'GRPO+ActFocus (α 0.1, β 0.5)'} (n {len(seeds)})", **style)
            ax.fill_between([p[0] for p in mc], [p[2] for p in mc], [p[3] for p in mc], color=line.get_color(), alpha=0.15)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    axes[0].set_ylabel(f"held-out success ({PAPER_SENTENCES} sentences)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "curves.png"), dpi=120)
    plt.close(fig)


def _power(r: dict) -> str:
    sd = r["sd_gain_auc"]
    return "–" if sd is None else f"{sd:.3f} ({A.seeds_needed(sd)})"


def _ci(t) -> str:
    m, lo, hi = t
    return f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]"


def _level(t) -> str:
    m, lo, hi = t
    return f"{m:.3f} [{lo:.3f}, {hi:.3f}]"


def part_times(out: str) -> dict[str, dict]:
    """Each runner part's warm starts and runs, counted and timed from logs/seconds.tsv (empty without it)."""
    rows = []
    try:
        with open(os.path.join(out, "logs", "seconds.tsv"), encoding="utf-8") as f:
            for line in f:
                cells = line.rstrip("\n").split("\t")
                if len(cells) == 3 and cells[2].isdigit():
                    rows.append((cells[0], cells[1], float(cells[2])))
    except FileNotFoundError:
        return {}
    return A.part_times(rows)


def write(out: str) -> str:
    if not os.path.isdir(os.path.join(out, "runs")):
        raise SystemExit(f"bench/dose/dose_report.py: no runs in {out} (expected {os.path.join(out, 'runs')}; bench/dose/run.sh writes them)")
    runs = load(out)
    comps = comparisons(runs)
    by = arms(runs)

    def gains(style: str) -> list[tuple[float, list[float]]]:
        """(measured action share, per-seed paired AUC gains) of GRPO±ActFocus at the paper's defaults, per dose of this reasoning style."""
        return [(r["share_action"], [d for _, d in paired(by[(style, r["sentences"], "grpo", "uniform", "")], by[(style, r["sentences"], "grpo", "actfocus", "")], "auc")])
                for r in comps if r["style"] == style and r["algo"] == "grpo" and r["variant"] == "paper defaults" and r["share_action"]]

    # The dose-response: each generic dose's measured action share and its GRPO seeds' paired AUC gains.
    dose = gains("generic")
    sl = A.slope_ci(dose) if len(dose) >= 2 else (float("nan"),) * 3
    paper = next((r for r in comps if r["style"] == "generic" and r["sentences"] == PAPER_SENTENCES and r["algo"] == "grpo" and r["variant"] == "paper defaults"), None)
    complete = paper and len(dose) >= 4 and all(len(g) >= A.PLANNED_SEEDS for _, g in dose)
    verdict = A.overall_verdict(paper["gain_auc"][1:], sl[1:]) if complete else "none yet (the four doses' planned seeds have not all run)"
    lines = ["# Issue 19: the Action Bottleneck as a dose-response (generated by bench/dose/dose_report.py)", "",
             f"Runs found: {len(runs)} ({sum(r['status'] == 'completed' for r in runs)} completed).", "",
             *[f"- {r['name']}: unreadable, left out ({r['problem']})" for r in runs if r["status"] == "unreadable"], "",
             "| reasoning | sentences | algorithm | ActFocus | action share (measured) | seeds | AUC uniform | AUC ActFocus | AUC gain [95 % CI] | final gain [95 % CI] | sd of gain (seeds for 80 % power) | verdict |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in comps:
        lines.append(f"| {r['style']} | {r['sentences']} | {r['algo']} | {r['variant']} | {r['share_action']:.3f} | {len(r['seeds'])} | "
                     f"{r['auc_uniform'][0]:.3f} | {r['auc_actfocus'][0]:.3f} | {_ci(r['gain_auc'])} | {_ci(r['gain_final'])} | "
                     f"{_power(r)} | {r['verdict']} |")
    lines += ["", "Every arm on its own (mean over its seeds, 95 % bootstrap interval over seeds):", "",
              "| reasoning | sentences | arm | seeds | AUC [95 % CI] | final success [95 % CI] |", "|---|---|---|---|---|---|"]
    arm_table = arm_rows(runs)
    for r in arm_table:
        lines.append(f"| {r['style']} | {r['sentences']} | {r['arm']} | {len(r['seeds'])} | {_level(r['auc'])} | {_level(r['final'])} |")
    lines += ["", f"Slope of the GRPO gain on log10(action share): {sl[0]:+.3f} [{sl[1]:+.3f}, {sl[2]:+.3f}] (negative: the gain grows as the share shrinks).",
              "", f"**Verdict, as pre-registered: {verdict}.**", "", "Diagnosis: ρ pooled over every step and seed of an arm, 95 % bootstrap interval over the groups; the last",
              "column (exploratory, not pre-registered) is ρ(action) − ρ(reasoning) over the groups with both, resampled",
              "together — the Action Bottleneck predicts it above 0:", "",
              "| arm | steps | all tokens | reasoning | action | action − reasoning |", "|---|---|---|---|---|---|"]
    def fmt(p: dict, key: str = "rho", n: bool = True) -> str:
        if p[key] is None:
            return "–"
        tail = f" (n {p['n']})" if n else ""
        return f"{p[key]:+.3f} [{p['lo']:+.3f}, {p['hi']:+.3f}]{tail}" if p["lo"] is not None else f"{p[key]:+.3f}{tail}"

    diag = diagnosis(runs)  # bootstraps per arm: computed once, for the table and results.json
    for d in diag:
        lines.append(f"| {d['arm']} | {d['steps']} | {fmt(d['full'])} | {fmt(d['reasoning'])} | {fmt(d['action'])} | {fmt(d['gap'], 'gap', n=False)} |")
    times = part_times(out)
    if times:
        lines += ["", "Time per part (`logs/seconds.tsv`: each warm start's and run's process time; the sums include the time",
                  "processes sat paused (SIGSTOP) while the test suite or a benchmark had this 2-core machine; the medians",
                  "are what one costs when it has the machine; the runner runs two at a time):", "",
                  "| part | warm starts: n, median (min) | runs: n, median (min) | process time, sum (h) | ≈ wall at two at a time, from the medians (h) |",
                  "|---|---|---|---|---|"]
        for p, t in times.items():
            if t["warm_n"] or t["run_n"]:
                lines.append(f"| {p} | {t['warm_n']}, {t['warm_median_s'] / 60:.1f} | {t['run_n']}, {t['run_median_s'] / 60:.1f} | "
                             f"{(t['warm_s'] + t['run_s']) / 3600:.2f} | {t['wall_h_from_medians']:.2f} |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "report.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"comparisons": comps, "arms": arm_table, "slope": sl, "verdict": verdict, "diagnosis": diag, "part_times": times}, f, indent=1, default=str)
    with open(os.path.join(out, "runs.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "style", "sentences", "algo", "weighting", "variant", "seed", "status", "auc", "final", "share_action"])
        for r in runs:
            w.writerow([r.get(k) for k in ("name", "style", "sentences", "algo", "weighting", "variant", "seed", "status", "auc", "final", "share_action")])
    _plot_curves(out, by)
    if dose:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.5))
        dose.sort()
        xs = [x for x, _ in dose]
        stats = [A.bootstrap_mean_ci(gs) for _, gs in dose]
        ax.errorbar([100 * x for x in xs], [s[0] for s in stats], yerr=[[s[0] - s[1] for s in stats], [s[2] - s[0] for s in stats]], fmt="o-", capsize=3,
                    label="uninformative reasoning (the dose)")
        # The other regime, off the dose line: reasoning that names the move (part e), same test.
        named = gains("names")
        for x, gs in named:
            m, lo, hi = A.bootstrap_mean_ci(gs)
            ax.errorbar([100 * x], [m], yerr=[[m - lo], [hi - m]], fmt="s", color="tab:orange", capsize=3, label="reasoning names the move")
            ax.annotate(f"n {len(gs)}", (100 * x, hi), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=8)
            xs = xs + [x]
        if named:
            ax.legend(fontsize=7, loc="best")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xscale("log")
        ticks = [t for t in (2, 4, 10, 20, 50, 100) if min(xs) * 100 / 1.6 <= t <= max(xs) * 100 * 1.6]
        ax.set_xticks(ticks, [f"{t} %" for t in ticks])
        ax.minorticks_off()
        for (x, gs), st in zip(dose, stats):  # each point says how many paired seeds it rests on
            ax.annotate(f"n {len(gs)}", (100 * x, st[2]), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=8)
        ax.set_xlabel("action tokens' share of the response (measured)")
        ax.set_ylabel("AUC gain, GRPO+ActFocus − GRPO")
        ax.set_title("Dose-response, paired seeds, 95 % CI" + ("" if complete else " — pending, not a result"), fontsize=10)
        ax.margins(y=0.15)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "dose_response.png"), dpi=120)
        plt.close(fig)
    return text


if __name__ == "__main__":
    print(write(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "docs", "results", "dose")))
