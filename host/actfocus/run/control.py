"""Control requests (docs/protocol.md §Control): files, not sockets, so the extension and the host
may sit on different machines (Remote-SSH) as long as they share the run directory.

The extension writes control/pending/<id>.json atomically (temp name starting with "." + rename).
At each step boundary the host takes the pending requests in name order (ids start with a
timestamp), checks each, and the session applies it and answers with an ack or error event; the file
then moves to control/done/ so a request is applied once even across a crash and resume.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from actfocus.config import PARAMS, ConfigError, validate_value
from actfocus.run import protocol as P

ACTIONS = ("set_hparams", "pause", "resume", "stop", "checkpoint", "export_onnx")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class Request:
    id: str
    action: str = ""
    values: dict = field(default_factory=dict)
    error: str | None = None  # set when the request is refused before it is applied
    field: str | None = None


def _check(rid: str, raw: object) -> Request:
    if not isinstance(raw, dict):
        return Request(rid, error="request is not a JSON object")
    action = raw.get("action")
    if raw.get("v") != P.PROTOCOL_VERSION:
        return Request(rid, str(action or ""), error=f"unsupported protocol version {raw.get('v')!r}; this host speaks {P.PROTOCOL_VERSION}", field="v")
    if action not in ACTIONS:
        return Request(rid, str(action or ""), error=f"unknown action {action!r}; allowed: {', '.join(ACTIONS)}", field="action")
    req = Request(rid, action)
    if action == "set_hparams":
        values = raw.get("values")
        if not isinstance(values, dict) or not values:
            req.error, req.field = "set_hparams needs a non-empty object 'values'", "values"
            return req
        for name, v in values.items():
            spec = PARAMS.get(name)
            if spec is None:
                req.error, req.field = f"unknown hyperparameter {name!r}", name
                return req
            if not spec.get("live"):
                live = ", ".join(n for n, p in PARAMS.items() if p.get("live"))
                req.error, req.field = f"{name} cannot change during a run; live settings: {live}", name
                return req
            try:
                req.values[name] = validate_value(name, v)
            except ConfigError as e:
                req.error, req.field = str(e), name
                return req
    return req


def _action_of(data: bytes) -> str | None:
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return raw.get("action") if isinstance(raw, dict) and isinstance(raw.get("action"), str) else None


def take_pending(run_dir: str, only: frozenset[str] | None = None) -> list[Request]:
    """Pending requests in order, each moved to control/done/ as it is read. only: take just the
    requests for these actions; the rest (and any that cannot be read) stay pending for a later call."""
    pending = os.path.join(run_dir, P.CONTROL_PENDING)
    try:
        names = sorted(n for n in os.listdir(pending) if n.endswith(".json") and not n.startswith("."))
    except FileNotFoundError:
        return []
    done = os.path.join(run_dir, P.CONTROL_DONE)
    os.makedirs(done, exist_ok=True)
    out = []
    for name in names:
        rid = name[: -len(".json")]
        src = os.path.join(pending, name)
        try:
            with open(src, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if only is not None and _action_of(data) not in only:
            continue
        os.replace(src, os.path.join(done, name))
        if not _ID.match(rid):
            rid = re.sub(r"[^A-Za-z0-9_-]", "_", rid)[:64] or "invalid"
            out.append(Request(rid, error="request file name is not a valid id", field="id"))
            continue
        try:
            raw = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError as e:  # found by test_fuzz: it used to end the host
            out.append(Request(rid, error=f"request is not UTF-8 text (byte {e.start})"))
            continue
        except json.JSONDecodeError as e:
            out.append(Request(rid, error=f"request is not valid JSON ({e.msg})"))
            continue
        out.append(_check(rid, raw))
    return out
