"""Run directory writer (docs/protocol.md): run.json replaced atomically, events.jsonl append-only
with one complete JSON object per line (flushed whole, fsync at step boundaries), a heartbeat file
rewritten by a background thread, and the trajectory store."""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
from typing import Any

from actfocus.run import protocol as P
from actfocus.run.trajstore import INDEX, TrajectoryStore

SCHEMA_VERSION = P.PROTOCOL_VERSION
_DATA_FILES = (P.EVENTS, P.TRAJ_BIN, P.TRAJ_IDX)


def _clean(v: Any) -> Any:
    """JSON has no NaN/Infinity: write them as null so every line parses everywhere."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def atomic_write_json(path: str, data: dict, indent: int | None = 2) -> None:
    tmp = f"{path}.tmp{os.getpid()}.{threading.get_ident()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(_clean(data), f, indent=indent, allow_nan=False, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)  # a full disk leaves the old file whole and no half-written temporary beside it
        raise


def remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def check_writable(run_dir: str) -> None:
    try:
        os.makedirs(run_dir, exist_ok=True)
        probe = os.path.join(run_dir, f".write-test{os.getpid()}")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as e:
        raise PermissionError(f"--run-dir: {run_dir!r} is not writable ({e.strerror})") from None


PROGRESS_BEAT_S = 0.5


class Heartbeat(threading.Thread):
    """Rewrites heartbeat.json every interval so a reader can tell a live host from a dead one
    (by age, which works across machines; pid/hostname let a same-machine reader check directly)."""

    def __init__(self, path: str, interval: float = P.HEARTBEAT_INTERVAL_S):
        super().__init__(daemon=True, name="actfocus-heartbeat")
        self.path, self.interval = path, interval
        self.step, self.phase = 0, "starting"
        self.progress: dict | None = None
        self._stop_evt = threading.Event()
        self.beat()

    def beat(self) -> None:
        self._last_beat = time.monotonic()
        atomic_write_json(self.path, {"v": SCHEMA_VERSION, "t": time.time(), "pid": os.getpid(), "hostname": socket.gethostname(),
                                      "interval_s": self.interval, "step": self.step, "phase": self.phase,
                                      **({"progress": self.progress} if self.progress else {})}, indent=None)

    def set(self, step: int | None = None, phase: str | None = None, progress: tuple[int, int, str] | None = None) -> None:
        """A new phase drops the last one's progress; progress = (done, total, unit) for the phase now."""
        only_progress = step is None and (phase is None or phase == self.phase)
        if step is not None:
            self.step = step
        if phase is not None and phase != self.phase:
            self.phase, self.progress = phase, None
        if progress is not None:
            self.progress = {"done": int(progress[0]), "total": int(progress[1]), "unit": progress[2]}
            if only_progress and time.monotonic() - self._last_beat < PROGRESS_BEAT_S:
                return  # many small steps: written at most this often (the timer thread writes it anyway)
        try:
            self.beat()
        except OSError:
            pass  # as in run(): liveness is best effort; the write that matters reports the error

    def run(self) -> None:
        while not self._stop_evt.wait(self.interval):
            try:
                self.beat()
            except OSError:
                pass  # a full disk must not kill training; the reader will see a stale heartbeat

    def stop(self) -> None:
        self._stop_evt.set()


class RunWriter:
    def __init__(self, run_dir: str, run: dict, heartbeat_interval: float = P.HEARTBEAT_INTERVAL_S):
        check_writable(run_dir)
        self.dir = run_dir
        self.run = run
        # A fresh heartbeat before run.json says the run is live: a resumed run's old heartbeat (from when it
        # stopped) next to a live run.json reads as a dead host.
        self.heartbeat = Heartbeat(self.path(P.HEARTBEAT), heartbeat_interval)
        atomic_write_json(self.path(P.RUN_JSON), self.run)
        self._lock = threading.Lock()
        self.events = open(self.path(P.EVENTS), "a", encoding="utf-8")
        self.trajectories = TrajectoryStore(run_dir)
        self.heartbeat.start()

    @classmethod
    def create(cls, run_dir: str, run_id: str, config: dict, versions: dict, **kw) -> "RunWriter":
        # (the constructor checks that run_dir is writable before writing anything)
        if os.path.exists(os.path.join(run_dir, P.RUN_JSON)):
            raise FileExistsError(f"--run-dir: {run_dir!r} already holds a run; use `actfocus resume {run_dir}` or a new directory")
        now = time.time()
        run = {"schema_version": SCHEMA_VERSION, "id": run_id, "config": config, "versions": versions, "seed": config.get("seed"),
               "status": "starting", "step": 0, "created": now, "heartbeat": now, "pid": os.getpid(),
               "hostname": socket.gethostname(), "resumed": 0}
        return cls(run_dir, run, **kw)

    @classmethod
    def reopen(cls, run_dir: str, marks: dict[str, int], from_step: int, **kw) -> tuple["RunWriter", list[str]]:
        """Reopen for `resume`: records written after the checkpoint (marks = file sizes then) are
        moved unchanged to superseded/, so the main files hold every step exactly once."""
        with open(os.path.join(run_dir, P.RUN_JSON), encoding="utf-8") as f:
            run = json.load(f)
        run.update(status="starting", step=from_step, pid=os.getpid(), hostname=socket.gethostname(), heartbeat=time.time(),
                   resumed=int(run.get("resumed", 0)) + 1)
        run.pop("ended", None)
        run.pop("reason", None)  # a running run has none (the last stop's is in the events)
        moved = supersede_tails(run_dir, marks, run["resumed"])
        return cls(run_dir, run, **kw), moved

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def emit(self, event: dict, step: int | None = None) -> None:
        rec = {"v": SCHEMA_VERSION, "t": time.time(), "step": self.run["step"] if step is None else step, **event}
        line = json.dumps(_clean(rec), allow_nan=False, ensure_ascii=False) + "\n"
        with self._lock:  # one write per line: a line is never interleaved or split by us
            self.events.write(line)
            self.events.flush()

    def update(self, **fields) -> None:
        self.run.update(fields)
        atomic_write_json(self.path(P.RUN_JSON), self.run)

    def sync(self) -> None:
        with self._lock:
            self.events.flush()
            os.fsync(self.events.fileno())
        self.trajectories.sync()

    def marks(self) -> dict[str, int]:
        """Sizes of the append-only files now (call after sync): where a resume cuts them."""
        return {name: os.path.getsize(self.path(name)) for name in _DATA_FILES}

    def end_step(self, step: int) -> None:
        self.sync()
        self.heartbeat.set(step=step)
        self.update(step=step, heartbeat=time.time())

    def set_status(self, status: str, reason: str | None = None) -> None:
        self.emit({"type": "status", "status": status, **({"reason": reason} if reason else {})})
        self._set_reason(reason)
        self.update(status=status, heartbeat=time.time())

    def _set_reason(self, reason: str | None) -> None:
        if reason:
            self.run["reason"] = reason
        else:
            self.run.pop("reason", None)

    def close(self, status: str, reason: str | None = None) -> None:
        self.heartbeat.set(phase="stopping")
        self.emit({"type": "status", "status": status, **({"reason": reason} if reason else {})})
        self.sync()
        self.heartbeat.stop()
        self._set_reason(reason)
        self.update(status=status, ended=time.time(), heartbeat=time.time())
        self.events.close()
        self.trajectories.close()


def supersede_tails(run_dir: str, marks: dict[str, int], generation: int) -> list[str]:
    moved = []
    for name in _DATA_FILES:
        path = os.path.join(run_dir, name)
        if not os.path.exists(path):
            continue
        mark = int(marks.get(name, 0))
        if name == P.TRAJ_IDX:
            mark -= mark % INDEX.size
        size = os.path.getsize(path)
        if size <= mark:
            continue
        os.makedirs(os.path.join(run_dir, P.SUPERSEDED), exist_ok=True)
        rel = os.path.join(P.SUPERSEDED, f"{name}.{generation}")
        with open(path, "r+b") as f:
            f.seek(mark)
            tail = f.read()
            with open(os.path.join(run_dir, rel), "wb") as out:
                out.write(tail)
                out.flush()
                os.fsync(out.fileno())
            f.truncate(mark)  # only after the tail is safely elsewhere
            f.flush()
            os.fsync(f.fileno())
        moved.append(rel)
    return moved


class _NullHeartbeat:
    def set(self, step: int | None = None, phase: str | None = None, progress: tuple[int, int, str] | None = None) -> None:
        pass

    def stop(self) -> None:
        pass


class _NullStore:
    def append(self, header: dict, cols: dict) -> None:
        pass

    def sync(self) -> None:
        pass

    def close(self) -> None:
        pass


class NullWriter:
    """The writer of ranks other than 0 under torchrun: the same interface, and nothing is written
    (rank 0 writes the run directory for everyone)."""

    def __init__(self, run_dir: str, run: dict | None = None):
        self.dir = run_dir
        self.run = dict(run or {"step": 0, "config": {}})
        self.heartbeat = _NullHeartbeat()
        self.trajectories = _NullStore()

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def emit(self, event: dict, step: int | None = None) -> None:
        pass

    def update(self, **fields) -> None:
        self.run.update(fields)

    def sync(self) -> None:
        pass

    def marks(self) -> dict[str, int]:
        return {}

    def end_step(self, step: int) -> None:
        self.run["step"] = step

    def set_status(self, status: str, reason: str | None = None) -> None:
        self.run["status"] = status

    def close(self, status: str, reason: str | None = None) -> None:
        self.run["status"] = status
