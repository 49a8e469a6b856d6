"""What a model folder can honour, read from its small files before any work (no weights, no torch),
and the check of a run's settings against it.

A model pretrained with a 512-token context, or a tokenizer built for another environment, used to fail
in the first training step with a traceback; here such pairings are settled up front: an unset context
limit takes the model's, anything the model cannot honour stops the command with one line naming the
setting, its value and the limit."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass

from actfocus.config import PARAMS, ConfigError

# Hugging Face configs name their position limit differently per architecture.
_HF_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length")


@dataclass(frozen=True)
class ModelLimits:
    folder: str
    kind: str  # "builtin" or "huggingface"
    context: int | None  # tokens the model can attend over (None: the config does not say)
    vocab_size: int | None
    trained_on: dict | None = None  # built-in models: the environment their tokenizer and warm start came from


def read_limits(folder: str) -> ModelLimits:
    path = os.path.join(folder, "config.json")
    try:
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except FileNotFoundError:
        raise ConfigError(f"--model: {folder!r} has no config.json (a built-in model from `actfocus pretrain` or a Hugging Face folder)") from None
    except (OSError, json.JSONDecodeError) as e:
        raise ConfigError(f"--model: cannot read {path!r} ({e})") from None
    if not isinstance(cfg, dict):
        raise ConfigError(f"--model: {path!r} is not a JSON object")
    if cfg.get("type") == "actfocus-builtin":
        m = cfg.get("model") or {}
        return ModelLimits(folder, "builtin", m.get("max_seq_len"), m.get("vocab_size"), cfg.get("trained_on"))
    context = next((int(cfg[k]) for k in _HF_CONTEXT_KEYS if isinstance(cfg.get(k), int) and cfg[k] > 0), None)
    return ModelLimits(folder, "huggingface", context, cfg.get("vocab_size"))


def reconcile(cfg: dict, explicit: Iterable[str], limits: ModelLimits, env_cfg: dict, clamp_context: bool = False) -> tuple[dict, list[str]]:
    """(settings the model can honour, notes for the user). An unset `max_context` takes the model's
    context; an explicit one above it is refused (or, for a resumed run, lowered with a note)."""
    cfg, notes, explicit = dict(cfg), [], set(explicit)
    limit = limits.context
    if limit is not None:
        if "max_context" not in explicit:
            cfg["max_context"] = max(PARAMS["max_context"]["min"], min(limit, PARAMS["max_context"]["max"]))
        elif cfg["max_context"] > limit:
            if not clamp_context:
                raise ConfigError(f"--max-context: {cfg['max_context']} is more than the model {limits.folder} supports ({limit} tokens); "
                                  f"leave --max-context out to use {limit}")
            notes.append(f"max_context {cfg['max_context']} is more than the model supports; using its {limit} tokens")
            cfg["max_context"] = limit
    if cfg["max_new_tokens"] + 1 >= cfg["max_context"]:
        raise ConfigError(f"--max-new-tokens: {cfg['max_new_tokens']} leaves no room for a prompt within max_context {cfg['max_context']}")
    if limits.kind == "builtin":
        _check_builtin(cfg, limits, env_cfg)
    else:
        _check_hf(cfg, limits, env_cfg)
    return cfg, notes


def _first_prompt(env_name: str, env_cfg: dict, seed: int) -> list[tuple[str, str]]:
    from actfocus.envs import make_env

    env = make_env(env_name, **env_cfg)
    return [("system", env.system_prompt()), ("user", env.reset(seed=seed))]


def _check_room(cfg: dict, prompt_tokens: int) -> None:
    need = prompt_tokens + cfg["max_new_tokens"] + 1
    if need > cfg["max_context"]:
        raise ConfigError(f"--max-context: {cfg['max_context']} is too small for {cfg['env']}: its first prompt takes {prompt_tokens} tokens "
                          f"and a response up to max_new_tokens {cfg['max_new_tokens']}, {need} in all")


def _check_hf(cfg: dict, limits: ModelLimits, env_cfg: dict) -> None:
    """A Hugging Face folder: its tokenizer (cheap to load; no weights) against the model and the task."""
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise ConfigError(f"--model: {limits.folder!r} is a Hugging Face model; install the extra: pip install 'actfocus[hf]'") from None
    try:
        tok = AutoTokenizer.from_pretrained(limits.folder, local_files_only=True)
    except (OSError, ValueError) as e:
        raise ConfigError(f"--model: cannot load the tokenizer of {limits.folder!r} ({' '.join(str(e).split())[:200]})") from None
    if limits.vocab_size is not None and len(tok) > limits.vocab_size:
        raise ConfigError(f"--model: {limits.folder!r} is inconsistent: its tokenizer has {len(tok)} tokens, the model embeds only {limits.vocab_size}")
    conv = [{"role": r, "content": t} for r, t in _first_prompt(cfg["env"], env_cfg, cfg["seed"])]
    try:
        ids = tok.apply_chat_template(conv, add_generation_prompt=True, tokenize=True)
    except (ValueError, TypeError) as e:  # transformers: no chat template
        raise ConfigError(f"--model: {limits.folder!r} cannot render a conversation ({' '.join(str(e).split())[:160]})") from None
    _check_room(cfg, len(ids if isinstance(ids, list) else ids["input_ids"]))


def _check_builtin(cfg: dict, limits: ModelLimits, env_cfg: dict) -> None:
    from actfocus.policy.tokenizer import Tokenizer

    try:
        tok = Tokenizer.load(os.path.join(limits.folder, "tokenizer.json"))
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as e:
        raise ConfigError(f"--model: {limits.folder!r} has no readable tokenizer.json ({e})") from None
    if limits.vocab_size is not None and limits.vocab_size != tok.vocab_size:
        raise ConfigError(f"--model: {limits.folder!r} is inconsistent: config.json says {limits.vocab_size} tokens, tokenizer.json has {tok.vocab_size}")
    seen = limits.trained_on or {}
    if seen.get("env") and seen["env"] != cfg["env"]:
        raise ConfigError(f"--env: {cfg['env']} is not what the model {limits.folder} was warm-started on ({seen['env']}); its tokenizer "
                          f"has not seen {cfg['env']}'s text: warm-start one with `actfocus pretrain --env {cfg['env']}`, or leave --model out")
    first = tok.render_chat(_first_prompt(cfg["env"], env_cfg, cfg["seed"])) + tok.generation_prompt()
    unknown = first.count(tok.unk_id)
    if unknown:
        raise ConfigError(f"--env: {unknown} characters of {cfg['env']}'s first prompt are unknown to the tokenizer of {limits.folder}; "
                          f"warm-start a model with `actfocus pretrain --env {cfg['env']}`")
    _check_room(cfg, len(first))
