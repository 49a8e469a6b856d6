"""Run directory writer (the contract with the extension, docs/DESIGN §3): run.json replaced
atomically, events.jsonl append-only with one complete JSON object per line, fsync at step ends."""

from __future__ import annotations

import json
import math
import os
import time
from typing import Any

SCHEMA_VERSION = 1


def _clean(v: Any) -> Any:
    """JSON has no NaN/Infinity: write them as null so every line parses everywhere."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def atomic_write_json(path: str, data: dict) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(_clean(data), f, indent=2, allow_nan=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class RunWriter:
    def __init__(self, run_dir: str, run_id: str, config: dict, versions: dict):
        try:
            os.makedirs(run_dir, exist_ok=True)
            probe = os.path.join(run_dir, ".write-test")
            with open(probe, "w"):
                pass
            os.remove(probe)
        except OSError as e:
            raise PermissionError(f"run directory {run_dir!r} is not writable ({e.strerror})") from None
        self.dir = run_dir
        self.run = {"schema_version": SCHEMA_VERSION, "id": run_id, "config": config, "versions": versions,
                    "seed": config.get("seed"), "status": "starting", "step": 0, "created": time.time(), "pid": os.getpid()}
        atomic_write_json(self.path("run.json"), self.run)
        self.events = open(self.path("events.jsonl"), "a", encoding="utf-8")

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def emit(self, event: dict, step: int | None = None) -> None:
        rec = {"v": SCHEMA_VERSION, "t": time.time(), "step": self.run["step"] if step is None else step, **event}
        self.events.write(json.dumps(_clean(rec), allow_nan=False, ensure_ascii=False) + "\n")
        self.events.flush()

    def update(self, **fields) -> None:
        self.run.update(fields)
        atomic_write_json(self.path("run.json"), self.run)

    def end_step(self, step: int) -> None:
        self.events.flush()
        os.fsync(self.events.fileno())
        self.update(step=step, heartbeat=time.time())

    def close(self, status: str) -> None:
        self.emit({"type": "status", "status": status})
        self.update(status=status, ended=time.time())
        self.events.close()
