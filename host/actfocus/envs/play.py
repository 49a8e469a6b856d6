"""`actfocus play ENV`: play an environment by hand in the terminal, to check prompts and rewards.

Type a full turn (`<think>...</think><answer>...</answer>`) or just the action(s) — a bare line is
(no tags at all) is
wrapped as `<think></think><answer>LINE</answer>`. `--expert` lets the built-in solver play.
"""

from __future__ import annotations

import argparse
import json
import sys

from actfocus.envs.registry import ENV_NAMES, make_env


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("play", help="play an environment by hand in the terminal",
                       description="Play an environment turn by turn: type actions (e.g. 'Up || Left') or a full "
                                   "<think>...</think><answer>...</answer> turn. Ctrl+D quits.")
    p.add_argument("env", choices=ENV_NAMES, help="environment")
    p.add_argument("--seed", type=int, default=0, help="episode seed (default 0)")
    p.add_argument("--config", default="{}", help='environment options as JSON, e.g. \'{"size": 8}\'')
    p.add_argument("--expert", action="store_true", help="let the expert solver play")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = json.loads(args.config)
        if not isinstance(config, dict):
            raise ValueError("must be a JSON object")
        env = make_env(args.env, **config)
    except ValueError as e:
        print(f"actfocus play: --config: {e}", file=sys.stderr)
        return 2
    print("SYSTEM:\n" + env.system_prompt() + "\n")
    print("USER:\n" + env.reset(args.seed))
    while not env.done:
        if args.expert:
            text = env.expert_response("expert move")
            print(f"\nAGENT: {text}")
        else:
            try:
                line = input("\nAGENT> ")
            except EOFError:
                print()
                break
            # A line with no tags is shorthand for the action(s); anything tagged is taken as typed.
            text = line if any(t in line for t in ("<think>", "</think>", "<answer>", "</answer>")) else f"<think></think><answer>{line}</answer>"
        obs, reward, done, info = env.step(text)
        shown = {k: info[k] for k in ("valid_action", "parse_error", "success") if k in info}
        print(f"\n[reward {reward:g} | done {done} | {json.dumps(shown)}]\nUSER:\n{obs}")
    print(f"\nEpisode return {env.total_reward:g}; success: {env.success}")
    return 0
