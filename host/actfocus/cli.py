"""The `actfocus` command line. Subcommands are registered by the modules that implement them."""

from __future__ import annotations

import argparse
import sys

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
    return int(args.func(args) or 0)
