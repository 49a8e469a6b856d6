"""Reading a run directory from Python (diagnose, tests). Tolerant like the extension's reader:
a partial last line is ignored, malformed lines are skipped and counted."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from actfocus.run import protocol as P


@dataclass
class Events:
    records: list[dict] = field(default_factory=list)
    malformed: int = 0
    partial_tail: bool = False


def read_events(run_dir: str) -> Events:
    out = Events()
    path = os.path.join(run_dir, P.EVENTS)
    if not os.path.exists(path):
        return out
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines and lines[-1]:
        out.partial_tail = True
    for raw in lines[:-1]:
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            out.malformed += 1
            continue
        if isinstance(rec, dict) and isinstance(rec.get("type"), str):
            out.records.append(rec)
        else:
            out.malformed += 1
    return out


class RunFileError(ValueError):
    """A run.json that cannot be used, with the file and what is wrong in the message."""


def read_run(run_dir: str) -> dict:
    path = os.path.join(run_dir, P.RUN_JSON)
    with open(path, "rb") as f:
        data = f.read()
    try:
        run = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise RunFileError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise RunFileError(f"{path}: not valid JSON ({e.msg}: line {e.lineno}, column {e.colno})") from None
    if not isinstance(run, dict) or not isinstance(run.get("config"), dict):
        raise RunFileError(f"{path}: not a run record (expected a JSON object with a \"config\" object)")
    return run


def step_metrics(events: Events) -> dict[int, dict]:
    """Training metrics per step (eval-only records merged in)."""
    by_step: dict[int, dict] = {}
    for r in events.records:
        if r["type"] == "metrics":
            by_step.setdefault(r["step"], {}).update({k: v for k, v in r.items() if k not in ("v", "t", "step", "type")})
    return by_step
