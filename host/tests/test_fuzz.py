"""Property-based tests (Hypothesis) over everything the host reads from outside: events files, control
requests, trajectory records and the index, configuration. Random and adversarial input never crashes
or hangs a reader; it gets a clear message, and nothing already read is lost."""

import json
import math
import os
import tempfile

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from actfocus.config import PARAMS, ConfigError, make_config
from actfocus.run import protocol as P
from actfocus.run.control import take_pending
from actfocus.run.reader import read_events
from actfocus.run.trajstore import COLUMNS, CorruptRecord, TrajectoryStore, decode_payload, encode_record, read_index, read_record

# Deterministic and bounded: the suite must not depend on luck or on time.
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
events = st.fixed_dictionaries({"v": st.just(1), "t": st.floats(0, 1e10), "step": st.integers(0, 10**6), "type": st.text(min_size=1, max_size=10)},
                               optional={"message": st.text(max_size=40)})
garbage_line = st.binary(max_size=60).filter(lambda b: b"\n" not in b)


@FUZZ
@given(st.lists(st.one_of(events.map(lambda e: ("event", e)), garbage_line.map(lambda b: ("junk", b))), max_size=30), garbage_line)
def test_events_reader_keeps_every_whole_event_and_counts_the_rest(lines, tail):
    with tempfile.TemporaryDirectory() as d:
        body = b"".join((json.dumps(x).encode() if kind == "event" else x) + b"\n" for kind, x in lines) + tail
        with open(os.path.join(d, P.EVENTS), "wb") as f:
            f.write(body)
        ev = read_events(d)
    wanted = [x for kind, x in lines if kind == "event"]
    assert [r for r in ev.records if r in wanted] == wanted  # nothing written whole is lost, in order
    junk = [x for kind, x in lines if kind == "junk" and x.strip()]
    assert len(ev.records) + ev.malformed == len(wanted) + len(junk)
    assert ev.partial_tail == bool(tail)  # a partial last line is held back, not counted as malformed


@FUZZ
@given(st.lists(st.tuples(st.text(min_size=1, max_size=20).filter(lambda n: "/" not in n and "\0" not in n and n not in (".", "..")),
                          st.one_of(st.binary(max_size=80), json_values.map(lambda v: json.dumps(v).encode()),
                                    st.fixed_dictionaries({"v": st.integers(0, 2), "action": st.sampled_from(["stop", "pause", "set_hparams", "x"]),
                                                           "values": json_values}).map(lambda v: json.dumps(v).encode()))),
                max_size=6, unique_by=lambda x: x[0]))
def test_every_control_request_file_gets_one_answer_and_is_kept(files):
    with tempfile.TemporaryDirectory() as d:
        pending = os.path.join(d, P.CONTROL_PENDING)
        os.makedirs(pending)
        for name, data in files:
            with open(os.path.join(pending, name + ".json"), "wb") as f:
                f.write(data)
        answers = take_pending(d)
        assert len(answers) == len(files)
        for a in answers:
            assert a.error is None or (isinstance(a.error, str) and a.error)
            assert a.id and len(a.id) <= 64
        # Nothing is lost: every request moved to done/, byte for byte.
        done = sorted(os.listdir(os.path.join(d, P.CONTROL_DONE)))
        assert done == sorted(name + ".json" for name, _ in files)
        assert os.listdir(pending) == []


def _record(texts, rng):
    n = len(texts)
    cols = {name: (list(texts) if dt == "utf8" else rng.normal(size=n) if dt == "f16" else rng.integers(0, 3 if name == "role" else 2**31, size=n))
            for name, dt in COLUMNS}
    header = {"v": 1, "step": 1, "index": 0, "group": 0, "seed": 0, "env": "shop", "reward": 0.0, "success": False, "advantage": None,
              "system": "", "turns": [], "n_tokens": n}
    return header, cols


@FUZZ
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=()), max_size=30), max_size=20), st.binary(min_size=1, max_size=64),
       st.integers(0, 10**6))
def test_trajectory_records_round_trip_and_corrupt_ones_are_refused_by_name(texts, noise, where):
    """Any text, lone surrogates included (stored as U+FFFD: they have no UTF-8 form)."""
    header, cols = _record(texts, np.random.default_rng(len(texts)))
    header["system"] = "".join(texts)  # header text too
    frame = encode_record(header, cols)
    with tempfile.TemporaryDirectory() as d:
        store = TrajectoryStore(d)
        store.append(header, cols)
        store.close()
        (entry,) = read_index(os.path.join(d, P.TRAJ_IDX))
        h, c = read_record(os.path.join(d, P.TRAJ_BIN), entry)
        assert c["text"] == [t.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for t in texts]
        # Any damage to the frame is refused as a corrupt record: never another exception, never a hang.
        k = 8 + where % max(1, len(frame) - 8)
        damaged = frame[:k] + noise + frame[k + len(noise):]
        with open(os.path.join(d, P.TRAJ_BIN), "wb") as f:
            f.write(damaged)
        try:
            read_record(os.path.join(d, P.TRAJ_BIN), entry)
        except CorruptRecord as e:
            assert str(e)
    try:
        decode_payload(noise)
    except CorruptRecord as e:
        assert str(e)


@FUZZ
@given(st.binary(max_size=200))
def test_a_damaged_index_gives_whole_entries_only(data):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, P.TRAJ_IDX)
        with open(path, "wb") as f:
            f.write(data)
        assert len(read_index(path)) == len(data) // 32


@FUZZ
@given(st.dictionaries(st.sampled_from([*PARAMS, "nope", "alpha "]), json_values | st.floats(), max_size=5))
@example({"steps": math.inf})  # int(inf) raised OverflowError instead of naming the field (found by this test)
@example({"diag_window": -math.inf})
@example({"traj_k": math.nan})
def test_any_configuration_is_accepted_or_refused_with_the_field_named(over):
    try:
        cfg = make_config(over)
    except ConfigError as e:
        assert any(k in str(e) for k in over)
        return
    for k, v in over.items():
        assert cfg[k] == v or (isinstance(v, (int, float)) and cfg[k] == float(v))


@FUZZ
@given(st.one_of(st.binary(max_size=120), json_values.map(lambda v: json.dumps(v).encode()),
                 st.fixed_dictionaries({"config": json_values}).map(lambda v: json.dumps(v).encode())))
def test_any_run_json_is_read_or_refused_naming_the_file(data):
    from actfocus.run.reader import RunFileError, read_run

    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, P.RUN_JSON), "wb") as f:
            f.write(data)
        try:
            run = read_run(d)
        except RunFileError as e:
            assert os.path.join(d, P.RUN_JSON) in str(e)
            return
        assert isinstance(run, dict) and isinstance(run["config"], dict)


flag_names = st.sampled_from(["--steps", "--alpha", "--set", "--config", "--env", "--algo", "--run-dir", "--env-config", "--max-context",
                              "--weighting", "--seed", "--nope", "-x", "--"])
argv_items = st.one_of(flag_names, st.text(max_size=12), json_values.map(json.dumps))


@FUZZ
@given(st.sampled_from(["train", "resume", "pretrain", "diagnose", "export-onnx", "play", "bogus"]), st.lists(argv_items, max_size=8))
def test_any_command_line_parses_or_is_refused_with_usage(command, argv):
    """argparse refuses with exit 2 and a usage message; parsed `train` flags become settings or a ConfigError."""
    import contextlib
    import io

    from actfocus.cli import build_parser
    from actfocus.run.inputs import parse_overrides

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            args = build_parser().parse_args([command, *argv])
    except SystemExit as e:
        assert e.code == 2 and "usage: actfocus" in err.getvalue()
        return
    if command == "train":
        try:
            over, extras = parse_overrides(args)
        except (ConfigError, OSError) as e:
            assert str(e)
            return
        try:
            make_config(over, extras)
        except ConfigError as e:
            assert any(k in str(e) for k in over)
