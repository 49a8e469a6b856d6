"""The command line's inputs, checked before any work starts: config files (YAML or JSON), --set and the
per-hyperparameter flags in their order of precedence, JSON options, environment options and the device.
Every problem is a ConfigError naming the field and what is allowed."""

from __future__ import annotations

import json

from actfocus.config import PARAMS, ConfigError

EXTRA_KEYS = ("model", "env_config")  # config-file keys besides hyperparameters


def resolve_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: cuda was requested but no CUDA device is available; use cpu or auto")
    return name


def json_arg(text: str, what: str) -> dict:
    try:
        v = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{what}: not valid JSON ({e.msg})") from None
    if not isinstance(v, dict):
        raise ConfigError(f"{what}: must be a JSON object")
    return v


def load_config_file(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ConfigError(f"--config: cannot read {path!r} ({e.strerror})") from None
    if path.endswith((".yaml", ".yml")):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise ConfigError(f"--config {path}: not valid YAML{where}") from None
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise ConfigError(f"--config {path}: must be a mapping of setting names to values")
        return data
    return json_arg(text, f"--config {path}")


def _value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_overrides(args) -> tuple[dict, dict]:
    """(hyperparameters, extras) from the config file, then --set, then per-parameter flags."""
    over = load_config_file(args.config) if args.config else {}
    extras = {k: over.pop(k) for k in EXTRA_KEYS if k in over}
    for item in args.set:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected NAME=VALUE")
        k, v = item.split("=", 1)
        over[k.strip()] = _value(v)
    for name in PARAMS:
        v = getattr(args, f"hp_{name}", None)
        if v is not None:
            over[name] = _value(v)
    return over, extras


def check_env_config(env: str, env_cfg: dict, what: str = "env_config") -> None:
    from actfocus.envs import make_env

    try:
        make_env(env, **env_cfg)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{what}: {e}") from None
