"""ACTFOCUS_BUDGET=smoke: every command runs its whole pipeline on a tiny budget.

The documentation's commands are run as written by the test command (test/docs); this environment
variable, inherited by every process they start, is how they get a small budget without editing them.
Values are capped (never raised), the caps are printed once, and the run records the values it used, so
a smoke run is never mistaken for a real one."""

from __future__ import annotations

import os
import sys

ENV_VAR = "ACTFOCUS_BUDGET"

# Hyperparameters of `train` (and of the suite's runs, which call `train`).
SMOKE_TRAIN = {"steps": 2, "prompts_per_step": 2, "group_size": 2, "eval_prompts": 2, "max_new_tokens": 32}
# Warm starts: `pretrain` steps and episodes, and `train`'s --pretrain-steps.
SMOKE_PRETRAIN = {"steps": 10, "episodes": 8}


def mode() -> str | None:
    value = os.environ.get(ENV_VAR, "").strip()
    if value in ("", "full"):
        return None
    if value != "smoke":
        raise SystemExit(f"{ENV_VAR}={value!r} is not allowed; use smoke (a tiny budget for smoke checks) or leave it unset")
    return value


def cap(values: dict, caps: dict, what: str) -> dict:
    """values with every capped key lowered to its cap; says on stderr what changed."""
    if mode() is None:
        return values
    out = dict(values)
    changed = []
    for k, limit in caps.items():
        if k in out and isinstance(out[k], (int, float)) and out[k] > limit:
            changed.append(f"{k} {out[k]} -> {limit}")
            out[k] = limit
    if changed:
        print(f"{ENV_VAR}=smoke: {what}: {', '.join(changed)}", file=sys.stderr, flush=True)
    return out
