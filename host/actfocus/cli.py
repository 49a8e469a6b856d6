"""The `actfocus` command line. Subcommands are registered by the modules that implement them."""

from __future__ import annotations

import argparse
import sys
import traceback

from actfocus import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="actfocus",
        description="ActFocus training host: train LLM agents with PPO/GRPO and ActFocus token weighting.",
    )
    parser.add_argument("--version", action="version", version=f"actfocus {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from actfocus.envs.play import register as register_play

    register_play(sub)
    from actfocus.run.commands import register as register_training

    register_training(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code = int(args.func(args) or 0)
    except BaseException as e:
        if not _joined_process_group():
            raise
        # A rank under torchrun reports its failure itself, then ends through exit_process below.
        if isinstance(e, SystemExit):  # sys.exit(): None is success, a message is failure (as CPython exits)
            code = 0 if e.code is None else e.code if isinstance(e.code, int) else 1
        else:
            code = 130 if isinstance(e, KeyboardInterrupt) else 1
        if not isinstance(e, SystemExit):
            traceback.print_exc()
    if _joined_process_group():
        from actfocus.algos import dist

        return dist.exit_process(code)  # does not return: see its docstring (Gloo threads vs. finalization)
    return code


def _joined_process_group() -> bool:
    tdist = sys.modules.get("torch.distributed")
    return bool(tdist is not None and tdist.is_available() and tdist.is_initialized())
