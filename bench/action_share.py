"""The action tokens' share of a warm start's demonstrated responses, by reasoning length (issue 19's dose).

For each environment and number of reasoning sentences (`actfocus pretrain --reasoning generic
--reasoning-sentences N`): the demonstrations a warm start trains on, tokenised with the tokenizer the warm
start would build from them, roles assigned as in rollouts (the answer block, tags included, is action; the
think block reasoning; the end-of-turn token other). The share a warm-started model then generates is
measured in training (diag/share_action); this is what it imitates.

    PYTHONPATH=host .venv/bin/python bench/action_share.py [--envs frozenlake sokoban] [--json bench/results/action_share.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "host"))

from actfocus.algos.roles import ACTION, assign_roles  # noqa: E402
from actfocus.envs import make_env  # noqa: E402
from actfocus.policy.model import ModelConfig  # noqa: E402
from actfocus.policy.pretrain import build_tokenizer, demonstrations  # noqa: E402


def share(env_name: str, env_cfg: dict, style: str, sentences: int, episodes: int, seed: int) -> dict:
    demos = demonstrations(env_name, env_cfg, episodes, 0.3, seed, reasoning=style, reasoning_sentences=sentences)
    tok = build_tokenizer(demos, ModelConfig().vocab_size)
    env = make_env(env_name, **env_cfg)
    action = total = 0
    for _, response in demos:
        _, offsets = tok.encode_with_offsets(response)
        parsed = env.parse(response)
        roles = assign_roles(offsets, parsed.spans, malformed=not parsed.ok)
        action += sum(r == ACTION for r in roles)
        total += len(roles) + 1  # the end-of-turn token
    return {"env": env_name, "style": style, "sentences": sentences, "turns": len(demos),
            "tokens_per_turn": total / len(demos), "action_share": action / total}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--envs", nargs="+", default=["frozenlake", "sokoban"])
    ap.add_argument("--sentences", nargs="+", type=int, default=[0, 1, 2, 3, 4, 6, 8, 10, 12])
    ap.add_argument("--episodes", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    rows = []
    for env in a.envs:
        cfg = {"is_slippery": False} if env == "frozenlake" else {}
        for n in a.sentences:
            rows.append(share(env, cfg, "generic", n, a.episodes, a.seed))
        rows.append(share(env, cfg, "names_move", 1, a.episodes, a.seed))
    print(f"{'env':<12}{'style':<12}{'sentences':>10}{'tokens/turn':>13}{'action share':>14}")
    for r in rows:
        print(f"{r['env']:<12}{r['style']:<12}{r['sentences']:>10}{r['tokens_per_turn']:>13.1f}{r['action_share']:>14.3f}")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"episodes": a.episodes, "seed": a.seed, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
