"""Writes a run directory with the host's real writer (events with NaN, hostile and non-ASCII text;
random trajectories) plus what Python reads back, for the TypeScript round-trip test
(test/unit/protocolRoundTrip.test.ts). Usage: protocol_fixture.py OUT_DIR"""

import json
import math
import os
import sys

import numpy as np

from actfocus.run.reader import read_events
from actfocus.run.trajstore import COLUMNS, read_index, read_record
from actfocus.run.writer import RunWriter

HOSTILE = ["<script>alert('x')</script>", "</answer><img src=x onerror=alert(1)>", "é", "🙂", "\u202eevil", "\t", "", " Left", "&lt;", "\\"]


def main(out: str) -> None:
    run_dir = os.path.join(out, "run")
    w = RunWriter.create(run_dir, "fixture", {"env": "sokoban", "alpha": 0.1, "seed": 3}, {"actfocus": "test"})
    w.emit({"type": "status", "status": "running"})
    w.emit({"type": "hparams", "values": {"alpha": 0.1, "signal": "energy"}, "source": "start"})
    rng = np.random.default_rng(7)
    for step in range(1, 4):
        w.run["step"] = step
        w.emit({"type": "metrics", "reward_mean": float(rng.normal()), "loss": math.nan, "diag/rho_action": float("inf"), "big": 1e300, "tiny": 5e-324})
        w.emit({"type": "log", "level": "warning", "message": HOSTILE[step] + " ünïcödé ✓"})
        for i in range(4):
            n = int(rng.integers(1, 120)) if i else 0
            cols = {"token_id": rng.integers(0, 2**32 - 1, n), "role": rng.integers(0, 3, n), "text": [HOSTILE[(i + j) % len(HOSTILE)] for j in range(n)]}
            for name, dt in COLUMNS:
                if dt == "f16":
                    cols[name] = rng.normal(0, 10, n) * (10.0 ** rng.integers(-6, 4, n))
            header = {"step": step, "index": i, "group": i // 2, "seed": 100 + i, "env": "sokoban", "reward": float(rng.normal()),
                      "success": bool(i % 2), "advantage": float(rng.normal()), "system": "<|system|> & <b>", "n_tokens": n,
                      "turns": [{"observation": "Turn 1: <b>board</b>", "text": "".join(cols["text"]), "start": 0, "n_tokens": n,
                                 "valid": True, "reward": 0.25}]}
            w.trajectories.append(header, cols)
            originals.append({name: (np.asarray(v).tolist() if name != "text" else v) for name, v in cols.items()})
        w.end_step(step)
    w.emit({"type": "resume", "from_step": 2, "superseded": ["superseded/events.jsonl.1"]})
    w.close("completed")
    trajs = []
    for e, orig in zip(read_index(os.path.join(run_dir, "trajectories.idx")), originals):
        h, c = read_record(os.path.join(run_dir, "trajectories.bin"), e)
        trajs.append({"entry": e.__dict__, "header": h, "decoded": {k: (v if k == "text" else np.asarray(v, dtype=np.float64).tolist()) for k, v in c.items()},
                      "original": orig})
    with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"events": read_events(run_dir).records, "trajectories": trajs}, f, ensure_ascii=False)


originals: list = []
if __name__ == "__main__":
    main(sys.argv[1])
