"""SIGKILL the host mid-step many times, resuming after each kill: every file still parses (up to a
partial last line), nothing written is lost, and the finished run equals an uninterrupted one."""

import json
import os
import random
import time

import numpy as np
from protocol_util import FAST, actfocus, spawn, validate

from actfocus.run import protocol as P
from actfocus.run.reader import read_events, step_metrics
from actfocus.run.trajstore import read_index, read_record

ARGS = ["--steps", 12, "--eval-every", 4, "--checkpoint-every", 3, "--traj-sampling", "k_per_step", "--traj-k", 3, *FAST]
KILLS = 12


def complete_lines(path):
    data = path.read_bytes() if path.exists() else b""
    return data.split(b"\n")[:-1], data.endswith(b"\n") or not data


def check_parses(run_dir):
    json.loads((run_dir / P.RUN_JSON).read_text())
    for name in (P.HEARTBEAT, os.path.join(P.CHECKPOINTS, "latest.json")):
        if (run_dir / name).exists():
            json.loads((run_dir / name).read_text())
    lines, _ = complete_lines(run_dir / P.EVENTS)
    for line in lines:
        validate("event", json.loads(line))
    for e in read_index(str(run_dir / P.TRAJ_IDX)):
        read_record(str(run_dir / P.TRAJ_BIN), e)
    return lines


def trajectories(run_dir):
    out = []
    for e in read_index(str(run_dir / P.TRAJ_IDX)):
        h, c = read_record(str(run_dir / P.TRAJ_BIN), e)
        out.append(((h["step"], h["index"]), {k: np.asarray(v) if k != "text" else v for k, v in c.items()}))
    return out


def test_sigkill_mid_step_then_resume(tmp_path, tiny_model_dir):
    ref = tmp_path / "uninterrupted"
    r = actfocus("train", "--run-dir", ref, "--model", tiny_model_dir, *ARGS)
    assert r.returncode == 0, r.stderr

    # Kill points are counted in the run's own progress, not in seconds, so the test does the same on a
    # faster engine or machine: after an incarnation has written 1-2 more events than the run held when it
    # started (a resume first rewrites what followed the checkpoint), up to half a step later (the step's
    # length measured on the uninterrupted run, on this machine, now). A run writes ~24 events, so it takes
    # at least 7 incarnations, and every one makes progress.
    step_s = float(np.median([m["time_step_s"] for m in step_metrics(read_events(ref)).values() if "time_step_s" in m]))
    run_dir = tmp_path / "killed"
    rng = random.Random(1)
    written: set[bytes] = set()
    kills = partial_seen = 0
    cmd = ["train", "--run-dir", run_dir, "--model", tiny_model_dir, *ARGS]
    while kills < KILLS:
        before = len(complete_lines(run_dir / P.EVENTS)[0])
        proc = spawn(*cmd)
        target = before + rng.randint(1, 2)
        end = time.time() + 60
        while proc.poll() is None and time.time() < end and len(complete_lines(run_dir / P.EVENTS)[0]) < target:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5) * step_s)
        if proc.poll() is not None:  # finished before the kill: the run is complete
            assert proc.returncode == 0, proc.stderr.read()
            break
        proc.kill()
        proc.wait()
        if json.loads((run_dir / P.RUN_JSON).read_text())["status"] == "completed":
            break  # it finished just before the kill
        kills += 1
        lines = check_parses(run_dir)
        partial_seen += not complete_lines(run_dir / P.EVENTS)[1]
        written |= set(lines)
        cmd = ["resume", run_dir]
    if json.loads((run_dir / P.RUN_JSON).read_text())["status"] != "completed":
        r = actfocus("resume", run_dir)
        assert r.returncode == 0, r.stderr
    assert kills >= 6, f"the run ended after {kills} kills"

    ev = read_events(run_dir)
    assert ev.malformed == 0 and not ev.partial_tail
    for e in ev.records:
        validate("event", e)
    train_steps = [e["step"] for e in ev.records if e["type"] == "metrics" and "reward_mean" in e]
    eval_steps = [e["step"] for e in ev.records if e["type"] == "metrics" and "eval/success_rate" in e]
    assert train_steps == list(range(1, 13)) and eval_steps == [0, 4, 8, 12]
    resumes = [e for e in ev.records if e["type"] == "resume"]
    assert resumes and all(e["from_step"] in (0, 3, 6, 9, 12) for e in resumes)

    # Nothing lost: each complete line seen after a kill is still in events.jsonl or in superseded/.
    kept = set(complete_lines(run_dir / P.EVENTS)[0])
    sup = run_dir / P.SUPERSEDED
    for f in sup.glob("events.jsonl.*") if sup.exists() else []:
        kept |= set(f.read_bytes().split(b"\n"))
    assert written - kept == set()

    # The resumed run is the uninterrupted one: same metrics and the same stored trajectories.
    a, b = step_metrics(read_events(ref)), step_metrics(ev)
    assert sorted(a) == sorted(b)
    for s in a:
        for k in ("reward_mean", "success_rate", "response_tokens_mean", "eval/success_rate"):
            assert a[s].get(k) == b[s].get(k), (s, k)
        # The pooled rho's window reaches back across the resumes: rebuilt from the events, it pools the same steps.
        assert "reward_mean" not in a[s] or b[s]["diag/n_full_pooled"] == min(s, 10) * a[s]["diag/groups"], s
        for k in ("diag/n_full_pooled", "diag/rho_full_pooled", "diag/rho_full_pooled_hi", "diag/rho_action_pooled"):
            assert (a[s].get(k) is None) == (b[s].get(k) is None) and abs((a[s].get(k) or 0) - (b[s].get(k) or 0)) <= 1e-9, (s, k)
        if "loss" in a[s]:
            assert abs(a[s]["loss"] - b[s]["loss"]) <= 1e-6 * max(1.0, abs(a[s]["loss"])), s
    ta, tb = trajectories(ref), trajectories(run_dir)
    assert [k for k, _ in ta] == [k for k, _ in tb] and len(ta) == 12 * 3
    for (_, ca), (_, cb) in zip(ta, tb):
        assert ca["text"] == cb["text"] and np.array_equal(ca["token_id"], cb["token_id"])
        np.testing.assert_allclose(ca["energy"].astype(float), cb["energy"].astype(float), atol=2e-3)
    run = json.loads((run_dir / P.RUN_JSON).read_text())
    assert run["status"] == "completed" and run["step"] == 12 and run["resumed"] >= len(resumes)
    print(f"kills {kills}, partial last lines seen {partial_seen}, resumes {len(resumes)}")
