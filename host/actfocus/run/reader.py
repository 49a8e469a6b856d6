"""Reading a run directory from Python (diagnose, tests). Tolerant like the extension's reader:
a partial last line is ignored, malformed lines are skipped and counted."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

from actfocus.run import protocol as P


@dataclass
class Events:
    records: list[dict] = field(default_factory=list)
    malformed: int = 0
    partial_tail: bool = False


def iter_events(run_dir: str, tally: Events | None = None) -> Iterator[dict]:
    """The run's event records in file order, read a line at a time (a long run's file need not fit in
    memory); malformed lines and a partial last line are skipped and counted in `tally`."""
    path = os.path.join(run_dir, P.EVENTS)
    if not os.path.exists(path):
        return
    tally = tally if tally is not None else Events()
    with open(path, "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                tally.partial_tail = True  # still being written, or cut: not a record yet
                return
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                tally.malformed += 1
                continue
            if isinstance(rec, dict) and isinstance(rec.get("type"), str):
                yield rec
            else:
                tally.malformed += 1


def read_events(run_dir: str) -> Events:
    out = Events()
    out.records = list(iter_events(run_dir, out))
    return out


def diag_history(run_dir: str, upto: int, window: int) -> list[dict]:
    """The diagnosis group points (`diag_groups`) of the last `window` steps up to `upto`, oldest first: a
    resumed run's pooled ρ pools the same steps as the uninterrupted run's. A step logged again after a
    resume counts as logged last; only `window` steps are held while the file is read."""
    kept: dict[int, dict] = {}
    for e in iter_events(run_dir):
        step = e.get("step")
        if e["type"] == "metrics" and isinstance(e.get("diag_groups"), dict) and isinstance(step, int) and step <= upto:
            kept.pop(step, None)
            kept[step] = e["diag_groups"]
            if len(kept) > window:
                del kept[min(kept)]
    return [kept[s] for s in sorted(kept)]


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
