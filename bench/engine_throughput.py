"""Training-engine throughput at the paper's batch (8 prompts x 16 rollouts, multi-turn FrozenLake):
a baseline commit's engine against this tree's, side by side in one run, same model, same seeds.

Each path runs in its own child process (PYTHONPATH = that tree's host/, its code imported, nothing
else shared) for `--steps` full training steps (rollout, reference and old-policy passes, advantages,
ActFocus weights, update), alternating baseline/current per repetition. Reported per path: rollout
tokens/s (generated tokens / rollout time), training tokens/s (response tokens / time after the
rollout), the step time, and each as a share of a FLOP limit: the arithmetic the work needs at the
machine's measured matmul rate (`limit`, below).

    .venv/bin/python bench/engine_throughput.py --baseline 7db2650 [--steps 2] [--model-dir DIR]
        [--json bench/results/engine_throughput.json]

Without --model-dir a warm start is trained first (the cpu profile's model: d 64, 2 layers), with
--max-context as its context, and reused by both paths.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV, ENV_CONFIG = "frozenlake", {"is_slippery": False}


def worker(model_dir: str, steps: int, max_context: int, threads: int) -> dict:
    """Runs in a child: `steps` training steps with the importable actfocus (whichever tree)."""
    import torch

    from actfocus.algos.trainer import Trainer
    from actfocus.config import make_config
    from actfocus.policy.lm import load_policy

    torch.set_num_threads(threads)
    lm = load_policy(model_dir)
    cfg = make_config(dict(env=ENV, algo="grpo", weighting="actfocus", prompts_per_step=8, group_size=16, max_new_tokens=48,
                           max_context=max_context, mini_batch_size=32, micro_batch_size=16, seed=0))
    tr = Trainer(cfg, lm, ENV_CONFIG)
    out = []
    for step in range(steps):
        t0 = time.perf_counter()
        res = tr.step(step)
        wall = time.perf_counter() - t0
        # Trees before the StepResult (25ca3b0) returned the metrics and kept the rollouts on the trainer.
        m, trajs = (res, tr.last_trajs) if isinstance(res, dict) else (res.metrics, res.trajs)
        samples = [s for t in trajs for s in t.turns]
        out.append({"step_s": wall, "rollout_s": m["time_rollout_s"], "train_s": m["time_train_s"],
                    "generated_tokens": sum(len(s.response_ids) for s in samples), "turns": len(samples),
                    "trajectories": len(trajs), "work": work(lm, trajs)})
    import actfocus

    return {"steps": out, "torch": torch.__version__, "actfocus": actfocus.__file__}


def work(lm, trajs) -> dict:
    """FLOPs the step needs at least: every conversation token through the model once per pass, logits
    only where a token is sampled or scored. Rollout: one forward per conversation token; training: the
    reference and old-policy passes (1 forward each) and the update (forward + backward = 3 forwards)
    over each trajectory's final conversation."""
    c = lm.net.config
    per_token = 2 * 12 * c.d_model ** 2 * c.n_layer  # qkv, proj, 4x MLP: multiply-adds x 2
    logits = 2 * c.d_model * c.vocab_size
    attn = lambda ctx: 4 * c.d_model * ctx * c.n_layer  # noqa: E731 - scores and weighted sum, causal average
    roll = train = 0.0
    for tr in trajs:
        last = tr.turns[-1]
        n = len(last.prompt_ids) + len(last.response_ids)
        resp = sum(len(s.response_ids) for s in tr.turns)
        dense = n * per_token + attn(n / 2) * n
        roll += dense + resp * logits
        train += 5 * dense + 5 * resp * logits
    return {"rollout_flop": roll, "train_flop": train}


def matmul_rate(threads: int, trials: int = 5) -> float:
    """FLOP/s of a large float32 matmul: the machine's practical peak, the best of `trials` timings (one
    timing moved between 115 and 197 GFLOP/s from run to run on this machine)."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    for _ in range(3):
        a @ b
    best = 0.0
    for _ in range(trials):
        t0, n = time.perf_counter(), 20
        for _ in range(n):
            a @ b
        best = max(best, n * 2 * 1024 ** 3 / (time.perf_counter() - t0))
    return best


def summarize(runs: list[dict], rate: float) -> dict:
    steps = [s for r in runs for s in r["steps"]]
    med = lambda xs: statistics.median(xs)  # noqa: E731
    roll_tps = med([s["generated_tokens"] / s["rollout_s"] for s in steps])
    train_tps = med([s["generated_tokens"] / s["train_s"] for s in steps])
    return {
        "step_s": med([s["step_s"] for s in steps]),
        "rollout_s": med([s["rollout_s"] for s in steps]),
        "train_s": med([s["train_s"] for s in steps]),
        "rollout_tokens_per_s": roll_tps,
        "train_tokens_per_s": train_tps,
        "turns_per_step": med([s["turns"] for s in steps]),
        "generated_tokens_per_step": med([s["generated_tokens"] for s in steps]),
        # share of the FLOP limit: (FLOPs the work needs / machine rate) / time taken
        "rollout_share_of_limit": med([s["work"]["rollout_flop"] / rate / s["rollout_s"] for s in steps]),
        "train_share_of_limit": med([s["work"]["train_flop"] / rate / s["train_s"] for s in steps]),
        "steps": steps,
    }


def run_child(tree_host: str, args) -> dict:
    env = {**os.environ, "PYTHONPATH": tree_host}
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--model-dir", args.model_dir, "--steps", str(args.steps),
           "--max-context", str(args.max_context), "--threads", str(args.threads)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, cwd=tempfile.gettempdir())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", help="git commit of the engine to compare against")
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--model-dir")
    ap.add_argument("--max-context", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.model_dir, args.steps, args.max_context, args.threads)))
        return
    if not args.baseline:
        ap.error("--baseline is required")
    scratch = tempfile.mkdtemp(prefix="actfocus-engine-bench-")
    if args.model_dir:  # the children run elsewhere (cwd: the temp dir)
        args.model_dir = os.path.abspath(args.model_dir)
    else:
        args.model_dir = os.path.join(scratch, "model")
        subprocess.run([sys.executable, "-m", "actfocus", "pretrain", "--env", ENV, "--env-config", json.dumps(ENV_CONFIG), "--out", args.model_dir,
                        "--steps", "300", "--d-model", "64", "--n-layer", "2", "--n-head", "2", "--max-context", str(args.max_context)],
                       check=True, env={**os.environ, "PYTHONPATH": os.path.join(ROOT, "host")})
    base_tree = os.path.join(scratch, "baseline")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", base_tree, args.baseline], check=True, capture_output=True)
    try:
        runs: dict[str, list] = {"baseline": [], "current": []}
        for rep in range(args.reps):
            order = ["baseline", "current"] if rep % 2 == 0 else ["current", "baseline"]
            for name in order:
                tree = base_tree if name == "baseline" else ROOT
                runs[name].append(run_child(os.path.join(tree, "host"), args))
                print(f"rep {rep} {name}: {[round(s['step_s'], 1) for s in runs[name][-1]['steps']]} s/step", file=sys.stderr, flush=True)
        rate = matmul_rate(args.threads)
    finally:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", base_tree], check=False, capture_output=True)
    base, cur = summarize(runs["baseline"], rate), summarize(runs["current"], rate)
    result = {
        "date": time.strftime("%Y-%m-%d"), "python": platform.python_version(), "cpus": os.cpu_count(), "threads": args.threads,
        "baseline_commit": args.baseline,
        "current_commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
        "setting": {"env": ENV, "env_config": ENV_CONFIG, "prompts": 8, "group_size": 16, "max_new_tokens": 48, "max_context": args.max_context,
                    "steps": args.steps, "reps": args.reps},
        "matmul_flop_per_s": rate,
        "baseline": base, "current": cur,
        "ratio": {k: cur[k] / base[k] for k in ("rollout_tokens_per_s", "train_tokens_per_s")} | {"step_s": base["step_s"] / cur["step_s"]},
    }
    for name, r in (("baseline", base), ("current", cur)):
        print(f"{name:9s} step {r['step_s']:6.1f} s  rollout {r['rollout_tokens_per_s']:7.0f} tok/s ({100 * r['rollout_share_of_limit']:.1f}% of limit)"
              f"  train {r['train_tokens_per_s']:7.0f} tok/s ({100 * r['train_share_of_limit']:.1f}% of limit)")
    print("ratio current/baseline: " + ", ".join(f"{k} {v:.2f}x" for k, v in result["ratio"].items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
