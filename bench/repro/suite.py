"""The paper-reproduction suite (docs/results.md): one command per experiment, runs written as ordinary
run directories (open any of them with "ActFocus: Open Run Folder…").

    .venv/bin/python bench/repro/suite.py all --profile cpu --out runs/repro        # everything, then the report
    .venv/bin/python bench/repro/suite.py diagnosis  --profile cpu --out runs/repro  # GRPO runs + Action-Bottleneck table
    .venv/bin/python bench/repro/suite.py comparison --profile cpu --out runs/repro  # PPO, GRPO, both + ActFocus
    .venv/bin/python bench/repro/suite.py ablations  --profile cpu --out runs/repro  # alpha, beta, action signal
    .venv/bin/python bench/repro/suite.py report --out runs/repro                    # tables, CSV/JSON, PNG plots
    .venv/bin/python bench/repro/suite.py throughput --profile gpu --out runs/gpu    # tokens/s, real-size configs

Experiments share runs: the diagnosis runs are the comparison's GRPO runs, and an ablation's default
setting is the comparison's GRPO+ActFocus run. A finished run is never run again, an unfinished one is
resumed, so an interrupted suite picks up where it stopped. Profiles: bench/repro/profiles.yaml.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

METHODS = {  # name → (algo, weighting); the paper's four settings
    "PPO": ("ppo", "uniform"),
    "GRPO": ("grpo", "uniform"),
    "PPO+ActFocus": ("ppo", "actfocus"),
    "GRPO+ActFocus": ("grpo", "actfocus"),
}
EXPERIMENTS = ("diagnosis", "comparison", "ablations")


@dataclass
class Run:
    name: str  # path under OUT/runs
    env: str
    method: str
    seed: int
    overrides: dict = field(default_factory=dict)  # hyperparameters beyond the profile's
    experiments: set = field(default_factory=set)


def load_profile(name: str, path: str = os.path.join(HERE, "profiles.yaml")) -> dict:
    with open(path, encoding="utf-8") as f:
        profiles = yaml.safe_load(f)
    if name not in profiles:
        raise SystemExit(f"suite: unknown profile {name!r}; profiles: {', '.join(profiles)}")
    profile = {"name": name, **profiles[name]}
    from actfocus import budget

    if budget.mode() == "smoke":  # one seed; each run's steps and batch are capped by `actfocus train` itself
        profile["seeds"] = profile["seeds"][:1]
        if profile.get("ablations"):
            profile["ablations"] = {**profile["ablations"], "seeds": profile["ablations"]["seeds"][:1]}
        print(f"{budget.ENV_VAR}=smoke: suite: seeds -> {profile['seeds']}", file=sys.stderr)
    return profile


def method_slug(method: str) -> str:
    return method.lower().replace("+", "_")


def plan(profile: dict, experiments: list[str]) -> list[Run]:
    """Every run the experiments need, each once (shared runs carry all their experiments)."""
    runs: dict[str, Run] = {}

    def add(env, method, seed, exp, overrides=None, tag=None):
        name = f"{env}/{tag or method_slug(method)}-s{seed}"
        r = runs.setdefault(name, Run(name, env, method, seed, dict(overrides or {})))
        r.experiments.add(exp)

    for exp in experiments:
        if exp == "diagnosis":
            for env in profile["envs"]:
                for s in profile["seeds"]:
                    add(env, "GRPO", s, exp)
        elif exp == "comparison":
            for env in profile["envs"]:
                for m in METHODS:
                    for s in profile["seeds"]:
                        add(env, m, s, exp)
        elif exp == "ablations":
            ab = profile.get("ablations")
            if not ab:  # a profile may have none
                continue
            for s in ab["seeds"]:
                add(ab["env"], "GRPO+ActFocus", s, exp)  # the default setting
                for key in ("alpha", "beta", "signal"):
                    for v in ab[key]:
                        add(ab["env"], "GRPO+ActFocus", s, exp, {key: v}, tag=f"grpo_actfocus-{key}={v}")
        else:
            raise SystemExit(f"suite: unknown experiment {exp!r}")
    return list(runs.values())


def train_args(profile: dict, run: Run, run_dir: str, model: str) -> list[str]:
    algo, weighting = METHODS[run.method]
    hp = {**profile["train"], **run.overrides, "env": run.env, "algo": algo, "weighting": weighting, "seed": run.seed}
    # Every GRPO (uniform) run keeps all its trajectories: the diagnosis scatter plot is drawn from them.
    hp["traj_sampling"] = "all" if run.method == "GRPO" and not run.overrides else hp.get("traj_sampling", "best_worst")
    args = [sys.executable, "-m", "actfocus", "train", "--run-dir", run_dir, "--env-config", json.dumps(profile["envs"][run.env])]
    if model:
        args += ["--model", model]
    for k, v in hp.items():
        args += ["--set", f"{k}={json.dumps(v) if not isinstance(v, str) else v}"]
    return args


def run_status(run_dir: str) -> str | None:
    try:
        with open(os.path.join(run_dir, "run.json"), encoding="utf-8") as f:
            return json.load(f).get("status")
    except (FileNotFoundError, json.JSONDecodeError):
        return None


class Suite:
    def __init__(self, profile: dict, out: str, jobs: int | None = None, log=print):
        self.profile, self.out, self.log = profile, os.path.abspath(out), log
        self.jobs = jobs or int(profile.get("jobs", 1))
        self.threads = max(1, (os.cpu_count() or 1) // self.jobs)
        os.makedirs(os.path.join(self.out, "logs"), exist_ok=True)
        self._lock = threading.Lock()
        self.record = self._load_record()

    # ---- bookkeeping: OUT/suite.json (profile, machine, commit, per-run wall times) ----
    def _load_record(self) -> dict:
        path = os.path.join(self.out, "suite.json")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                rec = json.load(f)
            if rec.get("profile", {}).get("name") != self.profile["name"]:
                raise SystemExit(f"suite: {self.out} holds a {rec['profile']['name']!r} suite; use another --out")
            rec["profile"] = self.profile  # the profile as it is now (runs already done are kept)
            return rec
        return {"profile": self.profile, "machine": machine(), "commit": commit(), "sessions": [], "runs": {}, "warm_start": {}}

    def save(self) -> None:
        with self._lock:  # the worker threads record their runs concurrently
            tmp = os.path.join(self.out, "suite.json.tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(self.record, f, indent=1)
            os.replace(tmp, os.path.join(self.out, "suite.json"))

    def _env(self) -> dict:
        env = dict(os.environ, OMP_NUM_THREADS=str(self.threads), MKL_NUM_THREADS=str(self.threads))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.join(ROOT, "host"), env.get("PYTHONPATH")]))
        return env

    def _call(self, args: list[str], log_name: str) -> tuple[int, float]:
        t0 = time.time()
        with open(os.path.join(self.out, "logs", log_name + ".log"), "ab") as f:
            rc = subprocess.call(args, stdout=f, stderr=subprocess.STDOUT, env=self._env(), cwd=ROOT)
        return rc, time.time() - t0

    # ---- warm start: one built-in model per environment, shared by all its runs ----
    def model_for(self, env: str) -> str:
        if self.profile.get("model"):
            return self.profile["model"]
        path = os.path.join(self.out, "models", env)
        if os.path.isdir(path):
            return path
        ws = {**self.profile["warm_start"], **self.profile["warm_start"].get("per_env", {}).get(env, {})}
        tmp = path + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        args = [sys.executable, "-m", "actfocus", "pretrain", "--env", env, "--out", tmp, "--env-config", json.dumps(self.profile["envs"][env]),
                "--steps", str(ws["steps"]), "--episodes", str(ws["episodes"]), "--noise", str(ws["noise"]), "--lr", str(ws.get("lr", 1e-3)),
                "--d-model", str(ws["d_model"]), "--n-layer", str(ws["n_layer"]), "--n-head", str(ws["n_head"]),
                "--max-context", str(ws["max_context"]), *(["--reasoning", ws["reasoning"]] if "reasoning" in ws else [])]
        self.log(f"warm start {env}")
        rc, dt = self._call(args, f"pretrain-{env}")
        if rc != 0:
            raise RuntimeError(f"warm start of {env} failed (exit {rc}); see {self.out}/logs/pretrain-{env}.log")
        os.replace(tmp, path)
        self.record["warm_start"][env] = {"wall_s": dt}
        return path

    # ---- runs ----
    def execute(self, runs: list[Run]) -> list[str]:
        """Run what is not finished yet, `jobs` at a time. Returns the names of failed runs."""
        t0 = time.time()
        ws = self.profile.get("warm_start", {})
        # longest warm starts first, so the workers finish together
        envs = sorted({r.env for r in runs}, key=lambda e: -ws.get("per_env", {}).get(e, {}).get("steps", ws.get("steps", 0)))
        with ThreadPoolExecutor(self.jobs) as pool:
            models = dict(zip(envs, pool.map(self.model_for, envs)))
        self.save()
        todo = [r for r in runs if run_status(self.run_dir(r)) != "completed"]
        self.log(f"{len(runs)} runs planned, {len(runs) - len(todo)} already finished, {len(todo)} to run ({self.jobs} at a time)")
        failed: list[str] = []

        def one(r: Run):
            d = self.run_dir(r)
            if run_status(d) is not None:
                args = [sys.executable, "-m", "actfocus", "resume", d]
            else:
                os.makedirs(os.path.dirname(d), exist_ok=True)
                args = train_args(self.profile, r, d, models[r.env])
            rc, dt = self._call(args, r.name.replace("/", "__"))
            status = run_status(d)
            self.record["runs"][r.name] = {"wall_s": dt, "rc": rc, "status": status, "env": r.env, "method": r.method,
                                           "seed": r.seed, "overrides": r.overrides}
            if rc != 0 or status != "completed":
                failed.append(r.name)
            self.log(f"  {r.name}: {status} in {dt:.0f}s" + (f" (exit {rc})" if rc else ""))
            self.save()

        # Longest environments first, so the two workers finish together.
        order = {"shop": 0, "sudoku": 1, "sokoban": 2, "frozenlake": 3}
        with ThreadPoolExecutor(self.jobs) as pool:
            list(pool.map(one, sorted(todo, key=lambda r: (order.get(r.env, 9), r.name))))
        self.record["sessions"].append({"started": t0, "wall_s": time.time() - t0, "runs": len(todo), "jobs": self.jobs,
                                        "threads_per_job": self.threads})
        self.save()
        return failed

    def run_dir(self, r: Run) -> str:
        return os.path.join(self.out, "runs", r.name)


def machine() -> dict:
    import torch

    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "torch": torch.__version__,
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def commit() -> str | None:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True, stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("all", *EXPERIMENTS, "report", "throughput"))
    ap.add_argument("--profile", default="cpu", help="quick | cpu | gpu (bench/repro/profiles.yaml)")
    ap.add_argument("--out", required=True, help="suite folder: models/, runs/, logs/, report/, suite.json")
    ap.add_argument("--jobs", type=int, help="runs at a time (default: the profile's)")
    ap.add_argument("--model", help="override the profile's model (a local Hugging Face folder)")
    a = ap.parse_args(argv)
    if a.what == "report":
        from report import write_report

        print(write_report(a.out))
        return 0
    profile = load_profile(a.profile)
    if a.model:
        profile["model"] = a.model
    if a.what == "throughput":
        from throughput import run_throughput

        return run_throughput(profile, a.out)
    suite = Suite(profile, a.out, a.jobs, log=lambda s: print(s, flush=True))
    failed = suite.execute(plan(profile, list(EXPERIMENTS) if a.what == "all" else [a.what]))
    from report import write_report

    print(write_report(a.out))
    if failed:
        print(f"{len(failed)} runs did not complete: {', '.join(failed)} (logs in {suite.out}/logs; rerun to resume them)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
