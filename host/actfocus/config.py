"""Training configuration, with defaults and ranges from hparams.json (shared with the extension)."""

from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any

_SPEC = json.loads(resources.files("actfocus").joinpath("hparams.json").read_text())
PARAMS: dict[str, dict[str, Any]] = {p["name"]: p for p in _SPEC["params"]}
DEFAULTS: dict[str, Any] = {name: p["default"] for name, p in PARAMS.items()}


class ConfigError(ValueError):
    """A configuration problem, with the field name and the allowed values in its message."""


def validate_value(name: str, value: Any) -> Any:
    p = PARAMS.get(name)
    if p is None:
        raise ConfigError(f"unknown setting {name!r}; known settings: {', '.join(PARAMS)}")
    kind = p["type"]
    if kind == "enum":
        if value not in p["choices"]:
            raise ConfigError(f"{name}: {value!r} is not allowed; choose one of {', '.join(p['choices'])}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name}: expected a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name}: expected a finite number, got {value!r}")  # int(inf) would raise OverflowError
    if kind == "int":
        if int(value) != value:
            raise ConfigError(f"{name}: expected an integer, got {value!r}")
        value = int(value)
    else:
        value = float(value)
    if not (p["min"] <= value <= p["max"]):
        raise ConfigError(f"{name}: {value!r} is out of range; allowed {p['min']} to {p['max']}")
    return value


def make_config(overrides: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults + validated overrides. `extra` carries non-hyperparameter settings (model path, env options)."""
    cfg = dict(DEFAULTS)
    for k, v in (overrides or {}).items():
        cfg[k] = validate_value(k, v)
    cfg.update(extra or {})
    return cfg
