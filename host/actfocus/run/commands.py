"""`actfocus pretrain | train | resume | diagnose | export-onnx`.

Every input is checked before any work starts; a problem stops the command with one line naming the
field and what is allowed, exit code 2."""

from __future__ import annotations

import argparse
import json
import os
import sys

from actfocus import __version__, budget
from actfocus.config import PARAMS, ConfigError, make_config
from actfocus.policy.compat import read_limits, reconcile
from actfocus.policy.reasoning import DEFAULT_REASONING, REASONING_STYLES, reasoning_problem
from actfocus.policy.warm_start import WARM_START, WARM_START_MODEL
from actfocus.run import protocol as P
from actfocus.run.diagnosis_report import run_diagnose
from actfocus.run.drive import drive
from actfocus.run.inputs import check_env_config, json_arg, parse_overrides, resolve_device



def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _param_help(p: dict) -> str:
    allowed = ", ".join(p["choices"]) if p["type"] == "enum" else f"{p['min']} to {p['max']}"
    # argparse %-formats help strings: a literal % in hparams.json (e.g. "95 %") must reach it doubled.
    return f"{p['description']} [{allowed}; default {p['default']}]".replace("%", "%%")


def register(sub) -> None:
    p = sub.add_parser("pretrain", help="warm-start the built-in model on expert demonstrations",
                       description="Supervised warm start of the built-in model on expert demonstrations with templated, "
                                   "deliberately imperfect reasoning (noise = share of random turns).")
    p.add_argument("--env", required=True, choices=PARAMS["env"]["choices"])
    p.add_argument("--out", required=True, help="model folder to write")
    p.add_argument("--steps", type=int, default=WARM_START["steps"])
    p.add_argument("--episodes", type=int, default=WARM_START["episodes"])
    p.add_argument("--noise", type=float, default=WARM_START["noise"])
    p.add_argument("--lr", type=float, default=WARM_START["lr"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--env-config", default="{}", help="environment options as JSON")
    p.add_argument("--d-model", type=int, default=WARM_START_MODEL["d_model"])
    p.add_argument("--n-layer", type=int, default=WARM_START_MODEL["n_layer"])
    p.add_argument("--n-head", type=int, default=WARM_START_MODEL["n_head"])
    p.add_argument("--max-context", type=int, default=512)
    p.add_argument("--reasoning", default=DEFAULT_REASONING, choices=sorted(REASONING_STYLES),
                   help="demonstrated reasoning names the chosen move (default) or stays generic, leaving the decision to the answer")
    p.add_argument("--reasoning-sentences", type=int, default=1, metavar="N",
                   help="sentences of demonstrated reasoning per turn (default 1); beyond the first they carry no "
                        "information (sets the action tokens' share; 0: empty reasoning, generic style only)")
    p.set_defaults(func=run_pretrain)

    t = sub.add_parser(
        "train", help="train with PPO/GRPO and ActFocus, writing a run directory",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a policy and write a run directory (docs/protocol.md) that the VS Code extension shows live.\n\n"
                    "Settings come from the defaults, then --config FILE (YAML or JSON: hyperparameters plus optional\n"
                    "'model' and 'env_config'), then flags. Examples:\n"
                    "  actfocus train --run-dir runs/fl --env frozenlake --steps 30\n"
                    "  actfocus train --run-dir runs/sok --config sokoban.yaml --alpha 0.05\n"
                    "  actfocus train --resume runs/fl            (continue from the last checkpoint)")
    t.add_argument("--run-dir", help="run directory to create (must not hold a run yet)")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue RUN_DIR from its last checkpoint instead")
    t.add_argument("--model", help="model folder (built-in from `actfocus pretrain`, or a local Hugging Face model); "
                                   "default: warm-start a built-in model first")
    t.add_argument("--config", help="YAML or JSON file of settings")
    t.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="set any hyperparameter by name")
    t.add_argument("--env-config", help="environment options as JSON, e.g. '{\"size\": 6}'")
    t.add_argument("--pretrain-steps", type=int, default=WARM_START["steps"], help="warm-start steps when no --model is given")
    t.add_argument("--pretrain-env-config", metavar="JSON",
                   help="environment options of the warm start's demonstrations (default: --env-config); e.g. warm-start on "
                        "random FrozenLake maps, then train on Gymnasium's fixed map")
    hp = t.add_argument_group("hyperparameters (host/actfocus/hparams.json)")
    for name, spec in PARAMS.items():
        hp.add_argument(_flag(name), dest=f"hp_{name}", metavar="X" if spec["type"] != "enum" else "{" + ",".join(spec["choices"]) + "}",
                        default=None, help=_param_help(spec))
    t.set_defaults(func=run_train)

    r = sub.add_parser("resume", help="continue a run from its last checkpoint (same as train --resume)",
                       description="Continue RUN_DIR from its last checkpoint. Records written after that checkpoint move to "
                                   "RUN_DIR/superseded/, so every step appears once.")
    r.add_argument("run_dir", metavar="RUN_DIR")
    r.set_defaults(func=lambda a: resume_run(a.run_dir))

    d = sub.add_parser("diagnose", help="print the Action-Bottleneck table of a run",
                       description="Summarise the per-step Action-Bottleneck diagnosis of RUN_DIR (docs/method.md §3): token shares, "
                                   "ActFocus weights, reference energy, and the Spearman correlation between a group's mean token "
                                   "energy and its reward variance, for all, reasoning and action tokens.")
    d.add_argument("run_dir", metavar="RUN_DIR")
    d.add_argument("--json", action="store_true", help="print the table as JSON")
    d.add_argument("--window", type=int, default=None, metavar="STEPS",
                   help="steps pooled for the windowed rho (default: the run's diag_window)")
    d.set_defaults(func=run_diagnose)

    e = sub.add_parser("export-onnx", help="export a run's policy to ONNX for the extension's scoring",
                       description="Write RUN_DIR/exports/NAME (model.onnx and the tokenizer it is scored with) from the final model, or else the last checkpoint.")
    e.add_argument("run_dir", metavar="RUN_DIR")
    e.add_argument("--out", help="output folder (default RUN_DIR/exports/final or exports/step-N)")
    e.set_defaults(func=run_export)


def run_pretrain(args) -> int:
    from actfocus.policy.model import ModelConfig
    from actfocus.policy.pretrain import pretrain

    try:
        env_cfg = json_arg(args.env_config, "--env-config")
    except ConfigError as e:
        print(f"actfocus pretrain: {e}", file=sys.stderr)
        return 2
    problem = reasoning_problem(args.reasoning, args.reasoning_sentences)
    if problem:
        print(f"actfocus pretrain: --reasoning-sentences: {problem}", file=sys.stderr)
        return 2
    capped = budget.cap({"steps": args.steps, "episodes": args.episodes}, budget.SMOKE_PRETRAIN, "pretrain")
    args.steps, args.episodes = capped["steps"], capped["episodes"]
    mc = ModelConfig(d_model=args.d_model, n_layer=args.n_layer, n_head=args.n_head, max_seq_len=args.max_context)
    lm = pretrain(args.env, env_cfg, steps=args.steps, episodes=args.episodes, noise=args.noise, lr=args.lr, seed=args.seed,
                  model_config=mc, max_context=args.max_context, reasoning=args.reasoning, reasoning_sentences=args.reasoning_sentences, log=lambda s, loss: print(f"step {s}: loss {loss:.4f}", flush=True))
    lm.save(args.out)
    print(f"saved {args.out}")
    return 0


def run_train(args) -> int:
    if args.resume:
        if args.run_dir or args.config or args.set or args.model or any(getattr(args, f"hp_{n}") is not None for n in PARAMS):
            print("actfocus train: --resume continues a run with its own settings; change live settings through the extension "
                  "or a control request (docs/protocol.md)", file=sys.stderr)
            return 2
        return resume_run(args.resume)
    import torch

    from actfocus.algos import dist as D
    from actfocus.run.session import Session
    from actfocus.run.writer import NullWriter, RunWriter

    # Under torchrun every rank runs this; all check the same arguments, rank 0 writes the run directory.
    world = D.init_from_env()
    error, writer = None, None
    try:
        if not args.run_dir:
            raise ConfigError("--run-dir: required (the folder to write the run to), or --resume RUN_DIR")
        over, extras = parse_overrides(args)
        cfg = make_config(over)
        env_cfg = extras.get("env_config", {})
        if args.env_config is not None:
            env_cfg = json_arg(args.env_config, "--env-config")
        if not isinstance(env_cfg, dict):
            raise ConfigError("env_config: must be an object of environment options")
        check_env_config(cfg["env"], env_cfg)
        warm_env_cfg = env_cfg
        if args.pretrain_env_config is not None:
            warm_env_cfg = json_arg(args.pretrain_env_config, "--pretrain-env-config")
            check_env_config(cfg["env"], warm_env_cfg, "--pretrain-env-config")
        model = args.model or extras.get("model")
        if model is not None and not os.path.isdir(model):
            raise ConfigError(f"--model: {model!r} is not a model folder (a built-in model from `actfocus pretrain` or a Hugging Face folder)")
        model = os.path.abspath(model) if model else None
        if model is not None:
            cfg, _ = reconcile(cfg, over.keys(), read_limits(model), env_cfg)
        cfg = budget.cap(cfg, budget.SMOKE_TRAIN, "train")
        args.pretrain_steps = budget.cap({"steps": args.pretrain_steps}, {"steps": budget.SMOKE_PRETRAIN["steps"]}, "warm start")["steps"]
        device = resolve_device(cfg["device"])
        run_config = {**cfg, "env_config": env_cfg, "model": model, "pretrain_steps": args.pretrain_steps,
                      "pretrain_env_config": warm_env_cfg, "world_size": world.size}
        if world.is_main:
            run_id = os.path.basename(os.path.abspath(args.run_dir))
            writer = RunWriter.create(args.run_dir, run_id, run_config,
                                      {"actfocus": __version__, "torch": torch.__version__, "protocol": str(P.PROTOCOL_VERSION)})
    except (ConfigError, PermissionError, FileExistsError, OSError) as e:
        error = str(e)
    error = D.broadcast_object(error, world)  # rank 0's verdict, so no rank starts alone
    if error:
        if world.is_main:
            print(f"actfocus train: {error}", file=sys.stderr)
        return 2
    if writer is None:
        writer = NullWriter(args.run_dir, {"step": 0, "config": run_config})
    session = Session(writer, cfg, env_cfg, device, log=lambda s: print(s, flush=True))
    return drive(session, writer, lambda: session.build(model, args.pretrain_steps, None), start_step=0, source="start")


def resume_run(run_dir: str) -> int:
    import torch

    from actfocus.run.reader import RunFileError, read_run
    from actfocus.run.session import Session, init_model_path, latest_checkpoint
    from actfocus.run.writer import RunWriter

    try:
        if not os.path.isfile(os.path.join(run_dir, P.RUN_JSON)):
            raise ConfigError(f"RUN_DIR: {run_dir!r} holds no run (no {P.RUN_JSON})")
        run = read_run(run_dir)
        if run.get("status") == "completed":  # nothing left to do: resuming is idempotent
            print(f"{run_dir} already completed all {run['config'].get('steps')} steps; nothing to resume")
            return 0
        ckpt = latest_checkpoint(run_dir)
        cfg = make_config({k: v for k, v in run["config"].items() if k in PARAMS})
        if ckpt:
            cfg.update(make_config({k: v for k, v in ckpt["cfg"].items() if k in PARAMS}))
        env_cfg = run["config"].get("env_config") or {}
        device = resolve_device(cfg["device"])
        if run["config"].get("model") and not os.path.isdir(run["config"]["model"]):
            raise ConfigError(f"model: {run['config']['model']!r} (the run's initial model) is gone")
        init = init_model_path(run_dir, run["config"])
        if os.path.isdir(init):  # a run created before its context was reconciled with the model's is lowered to fit
            cfg, notes = reconcile(cfg, PARAMS.keys(), read_limits(init), env_cfg, clamp_context=True)
            for note in notes:
                print(f"actfocus resume: {note}", file=sys.stderr)
    except (ConfigError, RunFileError, OSError, json.JSONDecodeError, KeyError) as e:
        print(f"actfocus resume: {e}", file=sys.stderr)
        return 2
    from actfocus.algos import dist as D
    from actfocus.run.writer import NullWriter

    world = D.init_from_env()
    from_step = ckpt["step"] if ckpt else 0
    marks = ckpt["marks"] if ckpt else {}
    if world.is_main:
        writer, moved = RunWriter.reopen(run_dir, marks, from_step)
        writer.emit({"type": "resume", "from_step": from_step, "superseded": moved}, step=from_step)
    else:
        writer, moved = NullWriter(run_dir, {**run, "step": from_step}), []
    D.broadcast_object(None, world)  # the files are cut back before any rank goes on
    session = Session(writer, cfg, env_cfg, device, log=lambda s: print(s, flush=True))
    session.paused = bool(ckpt and ckpt.get("paused"))
    if world.is_main:
        print(f"resuming {run_dir} from step {from_step}" + (f" (moved later records to {', '.join(moved)})" if moved else ""), flush=True)
    # No checkpoint yet (killed during start-up): start over from step 0 in the same directory.
    return drive(session, writer, lambda: session.build(run["config"].get("model"), int(run["config"].get("pretrain_steps", WARM_START["steps"])), ckpt), start_step=from_step,
                  source="resume" if ckpt else "start")


# ---- export ----
def run_export(args) -> int:
    from actfocus.export.onnx import ExportError, export_onnx
    from actfocus.run.reader import RunFileError, read_run
    from actfocus.run.session import init_model_path, latest_checkpoint

    try:
        if not os.path.isfile(os.path.join(args.run_dir, P.RUN_JSON)):
            raise ConfigError(f"RUN_DIR: {args.run_dir!r} holds no run (no {P.RUN_JSON})")
        run = read_run(args.run_dir)
        import torch

        from actfocus.policy.lm import load_policy

        final = os.path.join(args.run_dir, P.FINAL_MODEL)
        ckpt = latest_checkpoint(args.run_dir)
        if os.path.isdir(final):
            lm, name = load_policy(final), "final"
        else:
            init = init_model_path(args.run_dir, run["config"])
            if not os.path.isdir(init):
                raise ConfigError(f"RUN_DIR: {args.run_dir!r} has no model yet (no final_model, no init_model)")
            lm, name = load_policy(init), "step-000000"
            if ckpt and ckpt.get("state"):
                lm.load_state_dict(torch.load(os.path.join(args.run_dir, ckpt["state"]), map_location="cpu", weights_only=False)["policy"])
                name = f"step-{ckpt['step']:06d}"
        out = args.out or os.path.join(args.run_dir, P.EXPORTS, name)
        export_onnx(lm, out)
    except (ConfigError, ExportError, RunFileError, OSError) as e:
        print(f"actfocus export-onnx: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}/model.onnx and the tokenizer it is scored with")
    return 0
