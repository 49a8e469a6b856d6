"""Multi-turn rollouts: P prompts (environment seeds) x G rollouts, turn by turn, batched.

Each agent turn becomes one training sample (its prompt = the conversation so far, its response =
the generated tokens + end-of-turn token), so the logprobs recomputed for training are exactly those
of the context the policy saw, even when old turns are dropped to fit `max_context`.
Observation tokens live only in prompts: they are never trained on.

Token in, token out: while the conversation fits, the next prompt extends the last one with the
response exactly as sampled (LanguageModel.continue_prompt), never a re-encoding of its text; so a
trajectory's turns form one sequence, which training scores in one pass (algos.scoring.chains).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from actfocus.algos.roles import OTHER, assign_roles
from actfocus.envs import make_env
from actfocus.policy.lm import LanguageModel
from actfocus.rollout.generate import TurnCache, generate


@dataclass
class TurnSample:
    traj: int
    group: int
    turn: int
    prompt_ids: list[int]
    response_ids: list[int]
    roles: list[int]
    text: str
    valid: bool
    reward: float
    rank_in_group: int = 0  # which rollout of its group (orders samples the same way on any number of ranks)


@dataclass
class Trajectory:
    index: int
    group: int
    seed: int
    turns: list[TurnSample] = field(default_factory=list)
    messages: list[tuple[str, str]] = field(default_factory=list)
    total_reward: float = 0.0
    success: bool = False
    info: dict = field(default_factory=dict)


def fit_context(lm: LanguageModel, messages: list[tuple[str, str]], budget: int) -> list[int]:
    """Prompt ids for the conversation; drop the oldest (assistant, user) turn pairs until it fits."""
    msgs = list(messages)
    ids = lm.prompt_ids(msgs)
    while len(ids) > budget and len(msgs) > 3:
        del msgs[1:3]  # keep the system prompt and the most recent turns
        ids = lm.prompt_ids(msgs)
    return ids[-budget:] if len(ids) > budget else ids


def next_prompt(lm: LanguageModel, traj: Trajectory, budget: int) -> list[int]:
    """The prompt of the trajectory's next turn: its last turn's sequence continued where the model's chat
    format allows and the result fits, else the conversation rendered (and cut) to fit."""
    if traj.turns:
        last = traj.turns[-1]
        ids = lm.continue_prompt(last.prompt_ids, last.response_ids, traj.messages[-1][1])
        if ids is not None and len(ids) <= budget:
            return ids
    return fit_context(lm, traj.messages, budget)


def rollout(lm: LanguageModel, env_name: str, env_config: dict, seeds: list[int], group_size: int, *,
            temperature: float, max_new_tokens: int, max_context: int, generator: torch.Generator,
            malformed_role: str = "reasoning", device="cpu", reuse_cache: bool = True, compact: bool = True,
            on_turn=None) -> list[Trajectory]:
    """reuse_cache=False reads every turn's prompt whole, compact=False feeds every row to the end of each
    turn (generate's simple paths, which give the same rollouts). on_turn(finished, total) is called before
    each turn with the episodes finished so far; it may raise to abandon the rollout (a stop request), which
    then leaves nothing behind."""
    envs, trajs = [], []
    for g, seed in enumerate(seeds):
        for _ in range(group_size):
            env = make_env(env_name, **env_config)
            obs = env.reset(seed)
            t = Trajectory(index=len(trajs), group=g, seed=seed, messages=[("system", env.system_prompt()), ("user", obs)])
            envs.append(env)
            trajs.append(t)
    was_training = lm.training
    cache = TurnCache() if reuse_cache else None  # a turn's prompt is read from where the last turn's stopped
    lm.eval()
    try:
        while True:
            active = [i for i, e in enumerate(envs) if not e.done]
            if on_turn:
                on_turn(len(envs) - len(active), len(envs))
            if not active:
                break
            budget = max_context - max_new_tokens - 1
            prompts = [next_prompt(lm, trajs[i], budget) for i in active]
            responses = generate(lm, prompts, max_new_tokens, temperature, generator, device, cache=cache, keys=active, compact=compact)
            for i, prompt, resp in zip(active, prompts, responses):
                env, traj = envs[i], trajs[i]
                body = resp[:-1] if resp and resp[-1] == lm.eos_id else resp
                text, offsets = lm.token_offsets(body)
                parsed = env.parse(text)
                roles = assign_roles(offsets, parsed.spans, malformed=not parsed.ok, malformed_role=malformed_role)
                ids = body + [lm.eos_id]
                roles.append(OTHER)  # the end-of-turn token
                obs, reward, done, info = env.step(text)
                traj.turns.append(TurnSample(i, traj.group, len(traj.turns), prompt, ids, roles, text, info["valid_action"], reward))
                traj.messages.append(("assistant", text))
                traj.messages.append(("user", obs))
                if done:
                    traj.total_reward = env.total_reward
                    traj.success = bool(env.success)
                    traj.info = {k: v for k, v in info.items() if k in ("purchased", "strict_success")}
    finally:
        lm.train(was_training)
    return trajs
