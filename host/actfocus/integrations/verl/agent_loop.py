"""The project's text environments (Sokoban, FrozenLake, Sudoku, Shop) as a verl agent loop, so that
verl's rollout plays them multi-turn: the model's turn, the environment's answer, the next turn.

verl 0.9.1 serves multi-turn tasks through agent loops (verl.experimental.agent_loop): a registered class
whose `run` talks to the rollout server and returns one trajectory's tokens with a response mask (1 for
the model's tokens, 0 for what the environment wrote). This one builds the environment named in the
dataset row's `extra_info["actfocus_env"]` (see `dataset_rows`), renders the same system prompt and
observations as the host's own rollout, and returns the episode's total reward as the trajectory's
score, so no reward function is needed. Tokens are built with verl's own Continuous Token builder, as
verl's ToolAgentLoop does, so training sees exactly the tokens the server saw.

Select it with `actor_rollout_ref.rollout.agent.default_agent_loop=actfocus_env` and
`actor_rollout_ref.rollout.agent.agent_loop_config_path=` the path `AGENT_LOOP_CONFIG` names (docs/verl.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any
from uuid import uuid4

from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopOutput, register

from actfocus.algos.trainer import EVAL_SEED_BASE
from actfocus.envs import make_env

# verl reads agent loops from a YAML list (name, _target_); this file holds ours.
AGENT_LOOP_CONFIG = Path(__file__).with_name("agent_loops.yaml")
NAME = "actfocus_env"


def opening(env, seed: int) -> list[dict[str, str]]:
    """An episode's first messages, its environment reset to the seed: the system prompt and first observation
    (the prompt a dataset row shows verl, and where the loop's conversation starts)."""
    return [{"role": "system", "content": env.system_prompt()}, {"role": "user", "content": env.reset(seed)}]


def dataset_rows(env_name: str, env_config: dict[str, Any], seeds: list[int], split: str) -> list[dict[str, Any]]:
    """Rows for verl's RLHFDataset (write them to parquet): one episode seed each, played by this loop."""
    # The configuration travels as JSON text: parquet cannot store an empty struct, and configurations differ.
    return [{"data_source": f"actfocus/{env_name}", "agent_name": NAME,
             "prompt": opening(make_env(env_name, **env_config), s),
             "extra_info": {"index": i, "split": split, "actfocus_env": {"env": env_name, "config": json.dumps(env_config), "seed": int(s)}}}
            for i, s in enumerate(seeds)]


def write_parquet(rows: list[dict[str, Any]], path: str | Path) -> None:
    import pyarrow as pa  # a dependency of verl (through datasets)
    import pyarrow.parquet as pq

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), str(path))


def main(argv: list[str] | None = None) -> None:
    """Write train.parquet and val.parquet of episode seeds for verl (docs/verl.md, "A multi-turn agent")."""
    ap = argparse.ArgumentParser(prog="python -m actfocus.integrations.verl.agent_loop", description=main.__doc__)
    ap.add_argument("--env", required=True)
    ap.add_argument("--env-config", default="{}", help="JSON, as for `actfocus train`")
    ap.add_argument("--train", type=int, default=1024, help="training episodes (seeds 0..N-1)")
    ap.add_argument("--val", type=int, default=128, help="held-out episodes: the host's evaluation seeds (from EVAL_SEED_BASE)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    cfg = json.loads(a.env_config)
    write_parquet(dataset_rows(a.env, cfg, list(range(a.train)), "train"), Path(a.out) / "train.parquet")
    write_parquet(dataset_rows(a.env, cfg, [EVAL_SEED_BASE + i for i in range(a.val)], "val"), Path(a.out) / "val.parquet")
    print(f"{a.out}/train.parquet ({a.train} episodes), {a.out}/val.parquet ({a.val})")



def env_of(row: dict[str, Any]):
    """The environment and episode seed a dataset row names, or a ValueError that says what is wrong with it
    (a row from another dataset reaches this loop when it is verl's default agent loop)."""
    extra = row.get("extra_info")
    spec = extra.get("actfocus_env") if isinstance(extra, dict) else None
    where = f"dataset row {row.get('index', '?')} ({row.get('data_source', 'no data_source')})"
    if not isinstance(spec, dict) or "env" not in spec or "seed" not in spec:
        raise ValueError(f"{where}: extra_info has no actfocus_env {{env, config, seed}} for the {NAME} agent loop; "
                         f"write the episodes with `python -m actfocus.integrations.verl.agent_loop`")
    config = spec.get("config") or "{}"
    try:
        config = json.loads(config) if isinstance(config, str) else dict(config)
        return make_env(spec["env"], **config), int(spec["seed"])
    except (ValueError, TypeError) as e:
        raise ValueError(f"{where}: {e}") from e


@register(NAME)
class EnvAgentLoop(AgentLoopBase):
    """One episode of a text environment per call; turns alternate model and environment until it ends."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.response_length = self.rollout_config.response_length

    def turn_text(self, ids: list[int]) -> str:
        """The model's turn as the environment reads it. Only the end-of-turn tokens are dropped: tags such as
        <think> may be special tokens of a tokenizer, and skip_special_tokens would remove them."""
        ends = {self.tokenizer.eos_token_id, self.tokenizer.pad_token_id}
        n = len(ids)
        while n and ids[n - 1] in ends:
            n -= 1
        return self.tokenizer.decode(ids[:n], skip_special_tokens=False)

    async def run(self, sampling_params: dict[str, Any], **kwargs) -> AgentLoopOutput:
        env, seed = env_of(kwargs)
        messages = opening(env, seed)
        tokens = await self.ct_build_initial_tokens(messages)
        mask: list[int] = []
        logprobs: list[float] | None = None
        total, turns, done = 0.0, 0, False
        while not done and len(mask) < self.response_length:
            out = await self.server_manager.generate(request_id=uuid4().hex, prompt_ids=tokens, sampling_params=sampling_params)
            merged, mask, logprobs = await self.ct_merge_assistant_token(
                tokens, out.token_ids, mask, logprobs if (logprobs or out.log_probs) else None,
                assistant_logprobs=out.log_probs or None)
            tokens = merged.token_ids
            text = self.turn_text(out.token_ids)
            observation, reward, done, _ = env.step(text)
            total += reward
            turns += 1
            messages.append({"role": "assistant", "content": text})
            if done or len(mask) >= self.response_length:
                break
            before = list(messages)
            messages.append({"role": "user", "content": observation})
            merged, mask, logprobs = await self.ct_merge_context_msg(before, messages, tokens, mask, logprobs)
            tokens = merged.token_ids
        n = len(mask)
        return AgentLoopOutput(
            prompt_ids=tokens[: len(tokens) - n], response_ids=tokens[len(tokens) - n:][: self.response_length],
            response_mask=mask[: self.response_length],
            response_logprobs=logprobs[: self.response_length] if logprobs else None,
            reward_score=total, num_turns=2 * turns + 1, metrics={},
            # verl keeps extra fields per trajectory; success is what the dashboard charts for these tasks.
            extra_fields={"success": float(env.success), "env_turns": turns, "turn_scores": [], "tool_rewards": []})


if __name__ == "__main__":
    main()
