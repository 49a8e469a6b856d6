"""Control requests against a real training process: pause, live hyperparameter changes (valid and
refused), malformed requests, checkpoint, ONNX export, resume and stop, each answered by an event."""

import json
import os
import time

import numpy as np
import pytest
import torch
from protocol_util import FAST, spawn, validate

from actfocus.run import protocol as P
from actfocus.run.reader import read_events

_n = [0]


def request(run_dir, action, values=None, raw=None, name=None):
    _n[0] += 1
    rid = name or f"{time.time_ns()}-{_n[0]:03d}"
    pending = run_dir / P.CONTROL_PENDING
    pending.mkdir(parents=True, exist_ok=True)
    body = raw if raw is not None else json.dumps({"v": 1, "id": rid, "action": action, "t": time.time(), **({"values": values} if values else {})})
    if raw is None:
        validate("controlRequest", json.loads(body))
    tmp = pending / f".{rid}.tmp"
    tmp.write_text(body)
    os.replace(tmp, pending / f"{rid}.json")
    return rid


def wait_for(run_dir, pred, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        for e in read_events(run_dir).records:
            if pred(e):
                return e
        time.sleep(0.1)
    raise AssertionError(f"no matching event within {timeout}s; events: {[e['type'] for e in read_events(run_dir).records]}")


def answer(run_dir, rid):
    return wait_for(run_dir, lambda e: e.get("request") == rid and e["type"] in ("ack", "error"))


def test_control_requests_on_a_live_run(tmp_path, tiny_model_dir):
    run_dir = tmp_path / "run"
    proc = spawn("train", "--run-dir", run_dir, "--model", tiny_model_dir, "--steps", 1000, "--eval-every", 0,
                 "--checkpoint-every", 0, "--traj-sampling", "none", *FAST)
    try:
        wait_for(run_dir, lambda e: e["type"] == "metrics" and e["step"] >= 1)
        rid = request(run_dir, "pause")
        assert answer(run_dir, rid)["type"] == "ack"
        paused_at = wait_for(run_dir, lambda e: e["type"] == "status" and e["status"] == "paused")["step"]
        assert json.loads((run_dir / P.RUN_JSON).read_text())["status"] == "paused"
        time.sleep(P.HEARTBEAT_INTERVAL_S * 1.5)
        hb = json.loads((run_dir / P.HEARTBEAT).read_text())
        assert hb["phase"] == "paused" and time.time() - hb["t"] < 3 * hb["interval_s"] and hb["pid"] == proc.pid

        # While paused: requests are still answered, and no step runs.
        rid = request(run_dir, "set_hparams", {"alpha": 0.3, "beta": 1.5})
        assert answer(run_dir, rid)["type"] == "ack"
        change = wait_for(run_dir, lambda e: e["type"] == "hparams" and e.get("request") == rid)
        assert change["values"] == {"alpha": 0.3, "beta": 1.5} and change["previous"] == {"alpha": 0.1, "beta": 0.5}
        assert change["step"] == paused_at

        refused = {
            request(run_dir, "set_hparams", {"alpha": 5}): ("alpha", "out of range; allowed 0.0 to 1.0"),
            request(run_dir, "set_hparams", {"env": "sokoban"}): ("env", "cannot change during a run"),
            request(run_dir, "set_hparams", {"colour": 1}): ("colour", "unknown hyperparameter"),
            request(run_dir, None, raw=json.dumps({"v": 1, "action": "fly"})): ("action", "unknown action 'fly'"),
            request(run_dir, None, raw="{not json"): (None, "not valid JSON"),
            request(run_dir, None, raw=json.dumps({"v": 99, "action": "pause"})): ("v", "unsupported protocol version"),
        }
        for rid, (field, message) in refused.items():
            err = answer(run_dir, rid)
            assert err["type"] == "error" and message in err["message"], err
            assert err.get("field") == field
            validate("event", err)

        rid = request(run_dir, "checkpoint")
        ack = answer(run_dir, rid)
        assert ack["type"] == "ack" and os.path.exists(run_dir / ack["detail"])

        rid = request(run_dir, "export_onnx")
        ack = answer(run_dir, rid)
        assert ack["type"] == "ack", ack
        export = run_dir / ack["detail"]
        assert (export / "model.onnx").exists() and json.loads((export / "tokenizer.json").read_text())["special"]["eos"] >= 0
        steps_while_paused = [e for e in read_events(run_dir).records if e["type"] == "metrics" and e["step"] > paused_at]
        assert steps_while_paused == []

        rid = request(run_dir, "resume")
        assert answer(run_dir, rid)["type"] == "ack"
        wait_for(run_dir, lambda e: e["type"] == "metrics" and e["step"] > paused_at)
        rid = request(run_dir, "stop")
        assert answer(run_dir, rid)["type"] == "ack"
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
    ev = read_events(run_dir)
    assert ev.records[-1]["type"] == "status" and ev.records[-1]["status"] == "stopped"
    for e in ev.records:
        validate("event", e)
    run = json.loads((run_dir / P.RUN_JSON).read_text())
    assert run["status"] == "stopped" and "ended" in run
    last = json.loads((run_dir / P.CHECKPOINTS / "latest.json").read_text())
    assert last["step"] == run["step"] and last["cfg"]["alpha"] == 0.3  # the live change survives into the checkpoint
    assert sorted(os.listdir(run_dir / P.CONTROL_PENDING)) == []
    assert len(os.listdir(run_dir / P.CONTROL_DONE)) == 12


def test_exported_onnx_matches_the_torch_model(tmp_path, tiny_model_dir):
    import onnxruntime as ort  # a test extra, installed by scripts/setup.sh
    from actfocus.export.onnx import export_onnx
    from actfocus.policy.lm import load_policy

    lm = load_policy(str(tiny_model_dir))
    export_onnx(lm, str(tmp_path / "exp"))
    meta = json.loads((tmp_path / "exp" / "tokenizer.json").read_text())
    assert meta["vocab"] == lm.tokenizer.id_to_token and meta["outputs"] == ["logits", "energy"]
    sess = ort.InferenceSession(str(tmp_path / "exp" / "model.onnx"))
    ids = torch.tensor([lm.prompt_ids([("system", "be brief"), ("user", "Turn 1: go <b>down</b>")])] * 2)
    mask = torch.ones_like(ids)
    mask[1, :3] = 0  # left padding in the second row
    logits, energy = sess.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})
    with torch.no_grad():
        h, _ = lm.net.hidden(ids, mask)
        want = lm.net.logits(h)
    assert logits.shape == tuple(want.shape)
    np.testing.assert_allclose(logits, want.numpy(), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(energy, -torch.logsumexp(want, -1).numpy(), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("how", ["signal", "request"])
def test_stop_during_the_warm_start(tmp_path, how):
    """SIGTERM or a stop request ends a run in its warm start (which used to run to its end first); pause and
    resume act there too; other requests are refused, saying why; no half-trained init model is left for a
    resume to pick up; the heartbeat carries the warm start's progress as numbers."""
    import signal

    run_dir = tmp_path / "run"
    proc = spawn("train", "--run-dir", run_dir, "--pretrain-steps", 100_000, "--steps", 5, *FAST)
    try:
        wait_for(run_dir, lambda e: e["type"] == "log" and e["message"].startswith("warm start 50/"), timeout=180)
        hb = json.loads((run_dir / P.HEARTBEAT).read_text())
        assert hb["phase"] == "pretraining" and hb["progress"]["total"] == 100_000 and hb["progress"]["unit"] == "steps", hb
        assert hb["progress"]["done"] >= 1
        validate("heartbeat", hb)
        if how == "signal":
            proc.send_signal(signal.SIGTERM)
            expected = "signal SIGTERM"
        else:
            refused = answer(run_dir, request(run_dir, "set_hparams", {"alpha": 0.2}))
            assert refused["type"] == "error" and "not available during the warm start" in refused["message"]
            # A pause holds the warm start where it is (no step while paused), a resume goes on with it.
            before = json.loads((run_dir / P.HEARTBEAT).read_text())["progress"]["done"]
            assert answer(run_dir, request(run_dir, "pause"))["type"] == "ack"
            assert json.loads((run_dir / P.HEARTBEAT).read_text())["phase"] == "paused"
            held = json.loads((run_dir / P.RUN_JSON).read_text())["status"]
            logged = len(read_events(run_dir).records)
            time.sleep(1.0)
            assert held == "paused" and len(read_events(run_dir).records) == logged
            assert answer(run_dir, request(run_dir, "resume"))["type"] == "ack"

            def warm_start_moved():
                hb = json.loads((run_dir / P.HEARTBEAT).read_text())
                return hb["phase"] == "pretraining" and hb.get("progress", {}).get("done", 0) > before
            end = time.time() + 120
            while not warm_start_moved() and time.time() < end:
                time.sleep(0.1)
            assert warm_start_moved()
            rid = request(run_dir, "stop")
            assert answer(run_dir, rid)["type"] == "ack"
            expected = f"request {rid}"
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    finally:
        proc.kill()
    run = json.loads((run_dir / P.RUN_JSON).read_text())
    assert run["status"] == "stopped" and run["reason"].startswith(expected) and "of 100000 warm-start steps" in run["reason"]
    assert "before the first checkpoint" in run["reason"]
    assert not (run_dir / "init_model").exists()
    ev = read_events(run_dir).records
    assert ev[-1]["type"] == "status" and ev[-1]["status"] == "stopped"
    for e in ev:
        validate("event", e)


def _in_process(*argv) -> int:
    """actfocus's CLI in this process (the run's signal handlers are put back afterwards)."""
    import signal

    from actfocus.cli import main

    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        return main([str(a) for a in argv])
    finally:
        for s, h in saved.items():
            signal.signal(s, h)


@pytest.mark.parametrize("phase,nth", [("rollout", 2), ("update", 4)])
def test_sigterm_inside_a_step_abandons_it_and_a_resume_equals_the_uninterrupted_run(tmp_path, acting_model_dir, monkeypatch, phase, nth):
    """A stop no longer waits for the step's end: SIGTERM in the middle of step 2 — its rollout (second
    turn), or its update after two of four optimiser steps — ends the run there (step 2 abandoned, the
    checkpoint is step 1's state: parameters, optimiser and random states put back), and resuming gives the
    same steps 2 and 3 as a run never stopped. The signal is real; only its moment is chosen, by sending
    it from the hook the trainer calls between a step's parts (the nth call in that phase)."""
    import signal

    from actfocus.run.session import Session

    # One trajectory per mini-batch: step 2's update is four optimiser steps, with the hook before each.
    args = ["--model", acting_model_dir, "--steps", 3, "--eval-every", 0, "--checkpoint-every", 0, *FAST,
            "--mini-batch-size", 1, "--micro-batch-size", 1]
    ref = tmp_path / "uninterrupted"
    assert _in_process("train", "--run-dir", ref, *args) == 0

    calls = []
    original = Session.within_step

    def within_step(self, at, done, total):
        calls.append((self.w.run["step"], at))
        if calls.count((2, phase)) == nth and calls[-1] == (2, phase):
            os.kill(os.getpid(), signal.SIGTERM)
        return original(self, at, done, total)

    monkeypatch.setattr(Session, "within_step", within_step)
    run_dir = tmp_path / "stopped"
    assert _in_process("train", "--run-dir", run_dir, *args) == 0
    run = json.loads((run_dir / P.RUN_JSON).read_text())
    assert run["status"] == "stopped" and run["step"] == 1, run
    assert run["reason"] == f"signal SIGTERM (during step 2's {phase}, which was abandoned: the run ends at step 1)"
    assert calls.count((2, phase)) == nth and calls[-1] == (2, phase)  # it stopped where the signal came
    assert json.loads((run_dir / P.CHECKPOINTS / "latest.json").read_text())["step"] == 1
    assert [e["step"] for e in read_events(run_dir).records if e["type"] == "metrics"] == [1]

    monkeypatch.setattr(Session, "within_step", original)
    assert _in_process("resume", run_dir) == 0
    got = {e["step"]: e for e in read_events(run_dir).records if e["type"] == "metrics"}
    want = {e["step"]: e for e in read_events(ref).records if e["type"] == "metrics"}
    assert sorted(got) == sorted(want) == [1, 2, 3]
    for s in want:
        for k in ("reward_mean", "success_rate", "response_tokens_mean", "turns_mean", "loss", "signal_mu", "signal_sigma",
                  "diag/rho_full_pooled", "diag/rho_full_pooled_lo", "diag/n_full_pooled", "diag_groups"):
            assert got[s][k] == want[s][k], (s, k)


def test_a_stop_during_an_evaluation_ends_it_at_the_next_turn(tmp_path, tiny_model_dir):
    """A stop request waiting when the host starts is taken by the first evaluation's first turn (before,
    it waited for the first step boundary after a whole evaluation): the evaluation gives no result, says
    so, and the run stops with its step-0 checkpoint; the heartbeat showed the evaluation's progress."""
    run_dir = tmp_path / "run"
    rid = request(run_dir, "stop")
    proc = spawn("train", "--run-dir", run_dir, "--model", tiny_model_dir, "--steps", 5, "--eval-every", 1, *FAST)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    run = json.loads((run_dir / P.RUN_JSON).read_text())
    assert run["status"] == "stopped" and run["reason"] == f"request {rid}" and run["step"] == 0
    ev = read_events(run_dir).records
    assert answer(run_dir, rid)["type"] == "ack"
    assert not [e for e in ev if e["type"] == "metrics"]
    assert any(e["type"] == "log" and e["message"] == "the evaluation at step 0 was stopped before its end: no result" for e in ev)
    assert json.loads((run_dir / P.CHECKPOINTS / "latest.json").read_text())["step"] == 0
    for e in ev:
        validate("event", e)


def test_a_pause_during_an_evaluation_waits_at_the_boundary_then_evaluates_again(tmp_path, tiny_model_dir, monkeypatch):
    """A pause during step 1's evaluation: the run waits paused at the boundary, where every request is
    answered — a checkpoint there is step 1's (its update is applied) — and after resume the evaluation
    runs from its start: one result per step, none lost, none twice. The requests are real files; the
    pause is written from the hook the trainer calls before the evaluation's first turn, and a thread
    plays the user (checkpoint, then resume) while the run waits."""
    import threading

    from actfocus.run.session import Session

    run_dir = tmp_path / "run"
    original, seen, answers, users = Session.within_step, [], {}, []

    def user():
        wait_for(run_dir, lambda e: e["type"] == "status" and e["status"] == "paused")
        answers["checkpoint"] = answer(run_dir, request(run_dir, "checkpoint"))
        answers["metrics_while_paused"] = [e["step"] for e in read_events(run_dir).records if e["type"] == "metrics" and "eval/success_rate" in e]
        answers["resume"] = answer(run_dir, request(run_dir, "resume"))

    def within_step(self, phase, done, total):
        seen.append((self.w.run["step"], phase))
        if seen.count((1, "evaluating")) == 1 and seen[-1] == (1, "evaluating"):
            request(run_dir, "pause")
            users.append(threading.Thread(target=user, daemon=True))
            users[-1].start()
        return original(self, phase, done, total)

    monkeypatch.setattr(Session, "within_step", within_step)
    assert _in_process("train", "--run-dir", run_dir, "--model", tiny_model_dir, "--steps", 2, "--eval-every", 1, "--checkpoint-every", 0, *FAST) == 0
    # The run can finish once the resume is acknowledged, before the user's thread has read that answer.
    assert len(users) == 1
    users[0].join(timeout=60)
    assert answers["checkpoint"]["type"] == "ack" and answers["checkpoint"]["detail"] == os.path.join("checkpoints", "step-000001.pt")
    assert answers["checkpoint"]["step"] == 1 and answers["resume"]["type"] == "ack"
    assert answers["metrics_while_paused"] == [0]  # step 1's evaluation was set aside while paused
    ev = read_events(run_dir).records
    assert [e["step"] for e in ev if e["type"] == "metrics" and "eval/success_rate" in e] == [0, 1, 2]
    assert [e["step"] for e in ev if e["type"] == "metrics" and "reward_mean" in e] == [1, 2]
    assert json.loads((run_dir / P.RUN_JSON).read_text())["status"] == "completed"
    for e in ev:
        validate("event", e)
