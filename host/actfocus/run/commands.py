"""`actfocus pretrain` and `actfocus train`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch

from actfocus import __version__
from actfocus.config import PARAMS, ConfigError, make_config


def _device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: cuda was requested but no CUDA device is available; use cpu or auto")
    return name


def _model_config(args):
    from actfocus.policy.model import ModelConfig

    return ModelConfig(d_model=args.d_model, n_layer=args.n_layer, n_head=args.n_head, max_seq_len=args.max_context)


def register(sub) -> None:
    p = sub.add_parser("pretrain", help="warm-start the built-in model on expert demonstrations",
                       description="Supervised warm start of the built-in model on expert demonstrations with templated, "
                                   "deliberately imperfect reasoning (noise = share of random turns).")
    p.add_argument("--env", required=True, choices=PARAMS["env"]["choices"])
    p.add_argument("--out", required=True, help="model folder to write")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--episodes", type=int, default=300)
    p.add_argument("--noise", type=float, default=0.3)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--env-config", default="{}", help="environment options as JSON")
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--n-layer", type=int, default=2)
    p.add_argument("--n-head", type=int, default=2)
    p.add_argument("--max-context", type=int, default=512)
    p.set_defaults(func=run_pretrain)

    t = sub.add_parser("train", help="train with PPO/GRPO and ActFocus, writing a run directory",
                       description="Train a policy. Any hyperparameter can be given as --set NAME=VALUE (see hparams.json); "
                                   "--config FILE (JSON) gives several at once, flags override it.")
    t.add_argument("--run-dir", required=True, help="run directory to create")
    t.add_argument("--model", help="model folder (built-in from `actfocus pretrain`, or a local Hugging Face model); "
                                   "default: warm-start a built-in model first")
    t.add_argument("--config", help="JSON file of hyperparameters")
    t.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override one hyperparameter")
    t.add_argument("--env-config", default="{}", help="environment options as JSON")
    t.add_argument("--pretrain-steps", type=int, default=600)
    t.set_defaults(func=run_train)


def _json_arg(text: str, what: str) -> dict:
    try:
        v = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{what}: not valid JSON ({e.msg})") from None
    if not isinstance(v, dict):
        raise ConfigError(f"{what}: must be a JSON object")
    return v


def run_pretrain(args) -> int:
    from actfocus.policy.pretrain import pretrain

    try:
        env_cfg = _json_arg(args.env_config, "--env-config")
    except ConfigError as e:
        print(f"actfocus pretrain: {e}", file=sys.stderr)
        return 2
    lm = pretrain(args.env, env_cfg, steps=args.steps, episodes=args.episodes, noise=args.noise, lr=args.lr, seed=args.seed,
                  model_config=_model_config(args), max_context=args.max_context,
                  log=lambda s, loss: print(f"step {s}: loss {loss:.4f}", flush=True))
    lm.save(args.out)
    print(f"saved {args.out}")
    return 0


def parse_overrides(args) -> dict:
    over = _json_arg(open(args.config).read(), f"--config {args.config}") if args.config else {}
    for item in args.set:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected NAME=VALUE")
        k, v = item.split("=", 1)
        try:
            over[k] = json.loads(v)
        except json.JSONDecodeError:
            over[k] = v
    return over


def run_train(args) -> int:
    try:
        cfg = make_config(parse_overrides(args))
        env_cfg = _json_arg(args.env_config, "--env-config")
        device = _device(cfg["device"])
        if args.model and not os.path.isdir(args.model):
            raise ConfigError(f"--model: {args.model!r} is not a model folder")
        from actfocus.run.writer import RunWriter

        writer = RunWriter(args.run_dir, os.path.basename(os.path.abspath(args.run_dir)), {**cfg, "env_config": env_cfg, "model": args.model},
                           {"actfocus": __version__, "torch": torch.__version__})
    except (ConfigError, PermissionError, OSError) as e:
        print(f"actfocus train: {e}", file=sys.stderr)
        return 2
    return train_loop(cfg, env_cfg, device, writer, args)


def train_loop(cfg, env_cfg, device, writer, args) -> int:
    from actfocus.algos.trainer import Trainer
    from actfocus.policy.lm import load_policy
    from actfocus.policy.pretrain import pretrain

    writer.update(status="running")
    writer.emit({"type": "status", "status": "running"})
    writer.emit({"type": "hparams", "values": {k: cfg[k] for k in PARAMS}})
    try:
        if args.model:
            lm = load_policy(args.model)
        else:
            writer.emit({"type": "log", "level": "info", "message": f"warm-starting a built-in model ({args.pretrain_steps} steps)"})
            from actfocus.policy.model import ModelConfig

            lm = pretrain(cfg["env"], env_cfg, steps=args.pretrain_steps, seed=cfg["seed"], max_context=cfg["max_context"],
                          model_config=ModelConfig(d_model=64, n_layer=2, n_head=2, max_seq_len=cfg["max_context"]))
            lm.save(writer.path("init_model"))
        trainer = Trainer(cfg, lm, env_cfg, emit=writer.emit, device=device)
        if cfg["eval_every"]:
            writer.emit({"type": "metrics", **trainer.evaluate()}, step=0)
        for step in range(1, cfg["steps"] + 1):
            m = trainer.step(step)
            writer.emit({"type": "metrics", **m}, step=step)
            if cfg["eval_every"] and step % cfg["eval_every"] == 0:
                writer.emit({"type": "metrics", **trainer.evaluate()}, step=step)
            writer.end_step(step)
            print(f"step {step}/{cfg['steps']}: reward {m['reward_mean']:.3f} success {m['success_rate']:.3f} "
                  f"action share {m['diag/share_action']:.3f} rho_action {m['diag/rho_action']}", flush=True)
        lm.save(writer.path("final_model")) if hasattr(lm, "tokenizer") else None
        writer.close("completed")
        return 0
    except KeyboardInterrupt:
        writer.close("stopped")
        return 130
    except Exception as e:  # noqa: BLE001 - recorded for the extension, then re-raised for the terminal
        writer.emit({"type": "error", "message": f"{type(e).__name__}: {e}"})
        writer.close("failed")
        raise


__all__ = ["register", "time"]
