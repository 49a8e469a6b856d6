"""How long a Stop takes to stop a real host, by phase: a baseline commit's host against this tree's,
side by side in one run (alternating per trial), same settings, same model.

Each trial starts `actfocus train` (PYTHONPATH = that tree's host/) with the New Run defaults, waits until
the host is in the phase under test, then asks it to stop — a stop request (what the extension's Stop
writes) or SIGTERM — and measures the time until run.json says "stopped" and until the process exited.

  warm start  the built-in model's warm start, 3-8 s into it (heartbeat phase "pretraining")
  training    a uniformly random moment within a training step (rollout, scoring or update), from a
              shared init model (no warm start)

    .venv/bin/python bench/stop_latency.py --baseline 3ead2ff [--trials 5] [--json bench/results/stop_latency.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_json(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def stop_request(run_dir: str) -> None:
    rid = f"{time.time_ns() // 1_000_000:014d}-bench"
    pending = os.path.join(run_dir, "control", "pending")
    os.makedirs(pending, exist_ok=True)
    tmp = os.path.join(pending, f".{rid}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"v": 1, "id": rid, "action": "stop", "t": time.time()}, f)
    os.replace(tmp, os.path.join(pending, f"{rid}.json"))


def wait_until(pred, timeout: float, poll: float = 0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(poll)
    return None


def trial(tree: str, scenario: str, how: str, run_dir: str, model_dir: str, rng: random.Random) -> dict:
    args = [sys.executable, "-m", "actfocus", "train", "--run-dir", run_dir, "--steps", "1000", "--eval-every", "0", "--checkpoint-every", "0"]
    if scenario == "training":
        args += ["--model", model_dir]
    env = {**os.environ, "PYTHONPATH": os.path.join(tree, "host")}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        events = os.path.join(run_dir, "events.jsonl")
        if scenario == "warm start":
            ok = wait_until(lambda: (read_json(os.path.join(run_dir, "heartbeat.json")) or {}).get("phase") == "pretraining", 120)
            time.sleep(rng.uniform(3, 8))
        else:
            def step_done():
                try:
                    with open(events, encoding="utf-8") as f:
                        return any('"type": "metrics"' in line and '"step": 1,' in line for line in f)
                except OSError:
                    return False
            ok = wait_until(step_done, 300)
            time.sleep(rng.uniform(0, STEP_S))
        if not ok or proc.poll() is not None:
            raise RuntimeError(f"{scenario}: the host did not get there ({proc.stderr.read() if proc.poll() is not None else 'timeout'})")
        t0 = time.monotonic()
        if how == "request":
            stop_request(run_dir)
        else:
            proc.send_signal(signal.SIGTERM)
        stopped = wait_until(lambda: (read_json(os.path.join(run_dir, "run.json")) or {}).get("status") == "stopped", 600)
        t_status = time.monotonic() - t0
        proc.wait(timeout=600)
        t_exit = time.monotonic() - t0
        run = read_json(os.path.join(run_dir, "run.json")) or {}
        return {"status_s": t_status if stopped else None, "exit_s": t_exit, "returncode": proc.returncode, "reason": run.get("reason", "")}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


STEP_S = 3.0  # about one training step at the defaults on 2 cores (the random moment's range)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", required=True, help="git commit of the host to compare against")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    scratch = tempfile.mkdtemp(prefix="stop-latency-")
    base_tree = os.path.join(scratch, "baseline")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", base_tree, args.baseline], check=True, capture_output=True)
    model_dir = os.path.join(scratch, "model")
    subprocess.run([sys.executable, "-m", "actfocus", "pretrain", "--env", "frozenlake", "--out", model_dir, "--steps", "200"],
                   check=True, capture_output=True, env={**os.environ, "PYTHONPATH": os.path.join(ROOT, "host")})
    rng = random.Random(0)
    results: dict = {}
    try:
        for scenario in ("warm start", "training"):
            for how in ("request", "SIGTERM"):
                for rep in range(args.trials):
                    for name in (["baseline", "current"] if rep % 2 == 0 else ["current", "baseline"]):
                        tree = base_tree if name == "baseline" else ROOT
                        r = trial(tree, scenario, how, os.path.join(scratch, f"{name}-{scenario.replace(' ', '_')}-{how}-{rep}"), model_dir, rng)
                        results.setdefault(f"{scenario} / {how}", {}).setdefault(name, []).append(r)
                        print(f"{scenario:10s} {how:7s} {name:8s} stopped after {r['status_s']:.2f} s, exited after {r['exit_s']:.2f} s", flush=True)
    finally:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", base_tree], check=False, capture_output=True)
    table = {}
    for key, by in results.items():
        row = {}
        for name, rs in by.items():
            st = [r["status_s"] for r in rs if r["status_s"] is not None]
            row[name] = {"status_mean_s": statistics.mean(st), "status_max_s": max(st), "exit_mean_s": statistics.mean(r["exit_s"] for r in rs),
                         "not_stopped": sum(r["status_s"] is None for r in rs), "reasons": sorted({r["reason"] for r in rs})[:3]}
        row["ratio_mean_status"] = row["baseline"]["status_mean_s"] / row["current"]["status_mean_s"]
        table[key] = row
    print(f"\n{'phase / how':24s} {'baseline mean (max)':>22s} {'current mean (max)':>22s} {'baseline/current':>17s}")
    for key, row in table.items():
        b, c = row["baseline"], row["current"]
        print(f"{key:24s} {b['status_mean_s']:10.2f} s ({b['status_max_s']:5.2f}) {c['status_mean_s']:10.2f} s ({c['status_max_s']:5.2f}) {row['ratio_mean_status']:16.1f}x")
    out = {"baseline_commit": args.baseline, "trials": args.trials, "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
           "what": "seconds from the stop (request written / SIGTERM sent) to run.json status 'stopped'; exit: to the process's exit",
           "results": table, "raw": results}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
