"""Warm start (`actfocus pretrain`): supervised fine-tuning on expert demonstrations with templated,
deliberately imperfect reasoning, so a small model starts clearly above zero but far from solved.

Each demonstration turn is the expert's next action(s); with probability `noise` the turn's actions are
replaced by random ones, and the reasoning is a short generic template — the model learns the format
and a decent policy, not a perfect one.
"""

from __future__ import annotations

import random

import numpy as np
import torch

from actfocus.algos import scoring
from actfocus.envs import make_env
from actfocus.policy.lm import BuiltinLM
from actfocus.policy.model import ModelConfig
from actfocus.policy.reasoning import DEFAULT_REASONING, REASONING_STYLES, reasoning_problem, reasoning_text
from actfocus.policy.warm_start import WARM_START, WARM_START_MODEL, WarmStartStopped
from actfocus.policy.tokenizer import Tokenizer
from actfocus.rollout.multiturn import TurnSample, Trajectory, next_prompt


def demonstrations(env_name: str, env_config: dict, episodes: int, noise: float, seed: int,
                   reasoning: str = DEFAULT_REASONING, reasoning_sentences: int = 1) -> list[tuple[list[tuple[str, str]], str]]:
    style = reasoning
    problem = reasoning_problem(style, reasoning_sentences)
    if problem:
        raise ValueError(problem)
    rng = np.random.default_rng(seed)
    prng = random.Random(seed)
    demos = []
    for ep in range(episodes):
        env = make_env(env_name, **env_config)
        messages = [("system", env.system_prompt()), ("user", env.reset(1_000_000 + seed * 100_000 + ep))]
        while not env.done:
            k = min(env.config.max_actions_per_turn, env.actions_left())
            acts = env.expert_actions()[:k]
            if not acts or rng.random() < noise:
                acts = [env.random_action(rng) for _ in range(max(1, min(k, len(acts) or 1)))]
            if reasoning_sentences == 1:  # one template, drawn as before the option existed (same demonstrations)
                thought = prng.choice(REASONING_STYLES[style]).format(acts=" then ".join(acts))
            else:
                thought = reasoning_text(style, acts, reasoning_sentences, prng)
            text = f"<think>{thought}</think><answer>{' || '.join(acts)}</answer>"
            demos.append((list(messages), text))
            obs, _, _, _ = env.step(text)
            messages += [("assistant", text), ("user", obs)]
    return demos


def demo_samples(lm: BuiltinLM, demos, max_context: int) -> list[TurnSample]:
    """The demonstrations as the turn samples a rollout would have recorded: each turn's prompt built as
    rollouts build it (the last turn's tokens continued where the chat format allows, else the conversation
    cut to fit), so the model learns from the prompts it will be sampled from, and an episode's turns chain
    into one sequence that is trained on in one pass (scoring.chains)."""
    samples: list[TurnSample] = []
    traj = None
    for messages, response in demos:
        if len(messages) == 2:  # system prompt and first observation: a new episode
            traj = Trajectory(index=len(samples), group=0, seed=0)
        traj.messages = list(messages)
        resp = lm.tokenizer.encode(response) + [lm.eos_id]
        prompt = next_prompt(lm, traj, max_context - len(resp))
        s = TurnSample(traj.index, 0, len(traj.turns), prompt, resp, [], response, True, 0.0)
        traj.turns.append(s)
        samples.append(s)
    return samples


def build_tokenizer(demos, vocab_size: int) -> Tokenizer:
    texts = []
    for messages, response in demos:
        texts += [t for _, t in messages] + [response]
    return Tokenizer.train(texts, vocab_size)


def pretrain(env_name: str, env_config: dict | None = None, *, steps: int = WARM_START["steps"],
             episodes: int = WARM_START["episodes"], noise: float = WARM_START["noise"], batch_size: int = WARM_START["batch_size"],
             lr: float = WARM_START["lr"], seed: int = 0, model_config: ModelConfig | None = None,
             max_context: int = 1536, reasoning: str = DEFAULT_REASONING, reasoning_sentences: int = 1, log=None, should_stop=None,
             progress=None) -> BuiltinLM:
    """should_stop(step) is asked after every step; True ends the warm start with WarmStartStopped.
    progress(done, total, loss) is told after every step."""
    env_config = env_config or {}
    torch.manual_seed(seed)
    demos = demonstrations(env_name, env_config, episodes, noise, seed, reasoning, reasoning_sentences)
    cfg = model_config or ModelConfig(**WARM_START_MODEL, max_seq_len=max_context)
    tok = build_tokenizer(demos, cfg.vocab_size)
    cfg.vocab_size = tok.vocab_size
    lm = BuiltinLM(tok, cfg)
    lm.trained_on = {"env": env_name, "env_config": env_config}
    samples = demo_samples(lm, demos, max_context)
    units = scoring.chains(samples)
    opt = torch.optim.AdamW(lm.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20) * max(0.1, 1 - s / steps))
    g = random.Random(seed)
    lm.train()
    for step in range(steps):
        batch = [samples[i] for _ in range(batch_size) for i in units[g.randrange(len(units))]]
        loss = -scoring.policy_stats(lm, batch, "cpu")["logprob"].mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lm.parameters(), 1.0)
        opt.step()
        sched.step()
        value = loss.item()
        if log and (step % 50 == 0 or step == steps - 1):
            log(step, value)
        if progress:
            progress(step + 1, steps, value)
        if should_stop and should_stop(step + 1):
            raise WarmStartStopped(f"stopped after {step + 1} of {steps} warm-start steps, before the first checkpoint: "
                                   "a resume starts the warm start again")
    lm.eval()
    return lm
