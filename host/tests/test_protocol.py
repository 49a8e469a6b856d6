"""The run directory written by a real training run matches docs/protocol.schema.json; the trajectory
encoding round-trips within float16 precision; sampling policies; robustness of the index."""

import json
import os
import random
from types import SimpleNamespace

import numpy as np
import pytest
from protocol_util import FAST, SCHEMA, actfocus, validate

from actfocus.config import PARAMS
from actfocus.run import protocol as P
from actfocus.run.reader import read_events, read_run
from actfocus.run.trajstore import (COLUMNS, INDEX, CorruptRecord, TrajectoryStore, decode_payload, read_index, read_record, select)


def test_version_and_columns_come_from_the_schema():
    assert P.PROTOCOL_VERSION == SCHEMA["version"] == SCHEMA["$defs"]["version"]["const"]
    col = SCHEMA["$defs"]["column"]["properties"]
    assert [n for n, _ in COLUMNS] == col["name"]["enum"]
    assert {d for _, d in COLUMNS} <= set(col["dtype"]["enum"])


def test_the_control_actions_are_the_schemas():
    from actfocus.run import control

    assert list(control.ACTIONS) == SCHEMA["$defs"]["controlAction"]["enum"]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory, tiny_model_dir):
    run_dir = tmp_path_factory.mktemp("runs") / "run"
    r = actfocus("train", "--run-dir", run_dir, "--model", tiny_model_dir, "--steps", 3, "--eval-every", 2,
                 "--checkpoint-every", 2, "--traj-sampling", "all", *FAST)
    assert r.returncode == 0, r.stderr
    return run_dir


def test_every_file_of_a_real_run_matches_the_schema(trained_run):
    validate("run", read_run(trained_run))
    validate("heartbeat", json.loads((trained_run / P.HEARTBEAT).read_text()))
    ev = read_events(trained_run)
    assert ev.malformed == 0 and not ev.partial_tail
    for e in ev.records:
        validate("event", e)
    types = [e["type"] for e in ev.records]
    assert {"status", "hparams", "metrics", "checkpoint"} <= set(types)
    assert ev.records[-1] == {**ev.records[-1], "type": "status", "status": "completed"}
    entries = read_index(str(trained_run / P.TRAJ_IDX))
    assert len(entries) == 3 * 2 * 2  # steps x prompts x group size, sampling "all"
    for e in entries:
        validate("trajectoryIndexEntry", e.__dict__)
        header, cols = read_record(str(trained_run / P.TRAJ_BIN), e)
        validate("trajectory", header)
        assert (header["step"], header["group"], header["index"]) == (e.step, e.group, e.index)
        assert header["reward"] == pytest.approx(e.reward) and header["success"] == e.success
        n = header["n_tokens"]
        assert n == sum(t["n_tokens"] for t in header["turns"]) and all(len(v) == n for v in cols.values())
        # the response text of each turn is exactly its tokens' texts (the end-of-turn token has none)
        for t in header["turns"]:
            assert "".join(cols["text"][t["start"] : t["start"] + t["n_tokens"]]) == t["text"]
        assert header["turns"][0]["observation"].startswith("Turn 1:")


def test_hparams_event_lists_every_hyperparameter(trained_run):
    first = next(e for e in read_events(trained_run).records if e["type"] == "hparams")
    assert first["source"] == "start" and set(first["values"]) == set(PARAMS)


def _random_cols(rng, n):
    hostile = ["<script>alert(1)</script>", "&amp;", "\u0000", "é", "🙂", "\u202e", "\n", "", " Down", "</answer>"]
    return {"token_id": rng.integers(0, 150_000, n), "role": rng.integers(0, 3, n),
            "text": [hostile[i % len(hostile)] for i in range(n)],
            **{name: rng.normal(0, 5, n) for name, dt in COLUMNS if dt == "f16"}}


def test_encoding_round_trips_within_float16_precision(tmp_path):
    rng = np.random.default_rng(0)
    store = TrajectoryStore(str(tmp_path))
    written = []
    for i in range(20):
        n = int(rng.integers(0, 300))
        cols = _random_cols(rng, n)
        cols["energy"][: min(n, 2)] = [1e6, -1e-9][: min(n, 2)]  # beyond range: saturates; tiny: subnormal
        header = {"step": i // 4, "index": i, "group": i % 4, "seed": i, "env": "sokoban", "reward": float(rng.normal()),
                  "success": bool(i % 2), "advantage": None, "system": "<b>sys</b>",
                  "turns": [{"observation": "obs <img src=x onerror=alert(1)>", "text": "".join(cols["text"]), "start": 0,
                             "n_tokens": n, "valid": True, "reward": 0.5}], "n_tokens": n}
        store.append(header, cols)
        written.append((header, cols))
    store.close()
    entries = read_index(str(tmp_path / P.TRAJ_IDX))
    assert len(entries) == 20
    for e, (header, cols) in zip(entries, written):
        h, c = read_record(str(tmp_path / P.TRAJ_BIN), e)
        assert {k: v for k, v in h.items() if k not in ("v", "columns")} == header
        assert c["text"] == cols["text"]
        assert np.array_equal(c["token_id"], cols["token_id"]) and np.array_equal(c["role"], cols["role"])
        for name, dt in COLUMNS:
            if dt != "f16":
                continue
            want = np.clip(np.asarray(cols[name], dtype=np.float64), -65504, 65504)
            got = c[name].astype(np.float64)
            # float16: relative error <= 2^-11 for normal numbers, absolute <= 2^-25 below 2^-14
            assert np.all(np.abs(got - want) <= np.maximum(np.abs(want) * 2.0**-11, 2.0**-25)), name


def test_a_token_longer_than_a_text_entry_is_cut_on_a_character_and_marked(tmp_path):
    rng = np.random.default_rng(1)
    cols = _random_cols(rng, 4)
    long_text = "é" * 40_000  # 80,000 bytes: more than the 65,535 a text entry holds
    cols["text"] = ["a", long_text, "b", "x" * 65_535]  # the last one fits exactly
    header = {"step": 1, "index": 0, "group": 0, "seed": 0, "env": "shop", "reward": 0.0, "success": False, "advantage": None,
              "system": "", "turns": [], "n_tokens": 4}
    store = TrajectoryStore(str(tmp_path))
    store.append(header, cols)
    store.close()
    h, c = read_record(str(tmp_path / P.TRAJ_BIN), read_index(str(tmp_path / P.TRAJ_IDX))[0])
    validate("trajectory", h)
    assert h["cut"] == [[1, 80_000]]  # which token, and how long it was
    assert c["text"][1] == "é" * 32_767 and "\ufffd" not in c["text"][1]  # whole characters only (65,534 bytes)
    assert c["text"][0] == "a" and c["text"][2] == "b" and c["text"][3] == "x" * 65_535


def test_partial_index_entry_and_corrupt_record(tmp_path):
    store = TrajectoryStore(str(tmp_path))
    rng = np.random.default_rng(1)
    for i in range(3):
        store.append({"step": 1, "index": i, "group": 0, "seed": 0, "env": "frozenlake", "reward": 0.0, "success": False,
                      "advantage": 0.0, "system": "", "turns": [], "n_tokens": 5}, _random_cols(rng, 5))
    store.close()
    idx = tmp_path / P.TRAJ_IDX
    with open(idx, "ab") as f:
        f.write(b"\x01" * 17)  # a write cut short by a crash
    entries = read_index(str(idx))
    assert len(entries) == 3 and os.path.getsize(idx) == 3 * INDEX.size + 17
    data = bytearray((tmp_path / P.TRAJ_BIN).read_bytes())
    data[entries[1].offset + 12] ^= 0xFF
    (tmp_path / P.TRAJ_BIN).write_bytes(bytes(data))
    read_record(str(tmp_path / P.TRAJ_BIN), entries[0])
    with pytest.raises(CorruptRecord, match="checksum"):
        read_record(str(tmp_path / P.TRAJ_BIN), entries[1])
    read_record(str(tmp_path / P.TRAJ_BIN), entries[2])


def _trajs(rewards_by_group):
    out = []
    for g, rewards in enumerate(rewards_by_group):
        for r in rewards:
            out.append(SimpleNamespace(index=len(out), group=g, total_reward=r))
    return out


def test_sampling_policies():
    trajs = _trajs([[0.0, 1.0, 0.5], [0.2, 0.2, 0.2], [1.0, -1.0, 1.0]])
    assert select(trajs, "all", 0, random.Random(0)) == trajs
    assert select(trajs, "none", 0, random.Random(0)) == []
    bw = [t.index for t in select(trajs, "best_worst", 0, random.Random(0))]
    assert bw == [0, 1, 3, 6, 7]  # group 0: worst 0, best 1; group 1 all equal: one; group 2: best 6 (first of ties), worst 7
    k = select(trajs, "k_per_step", 4, random.Random(5))
    assert len(k) == 4 and [t.index for t in k] == sorted(t.index for t in k)
    assert k == select(trajs, "k_per_step", 4, random.Random(5))  # seeded: the same on resume
    assert len(select(trajs, "k_per_step", 100, random.Random(5))) == len(trajs)


def test_decode_rejects_garbage():
    with pytest.raises(CorruptRecord, match="does not decompress"):
        decode_payload(b"not compressed")
