"""The verl plugin's driver-side pieces (no verl needed): reference energies, token roles of multi-turn
padded responses, ActFocus weights equal to the host's, the route into verl's batch, and the logger's
run directory (valid against the protocol schema, readable by our readers, hostile text kept as text)."""

import json
import os
import subprocess
import sys

import pytest
import torch

from actfocus.algos.actfocus import SIGNALS, action_signal, actfocus_weights
from actfocus.algos.losses import token_stats
from actfocus.algos.roles import ACTION, OTHER, assign_roles
from actfocus.envs import make_env
from actfocus.integrations.verl.weights import (actfocus_token_weights, attach_weights, parser_for, reference_energy, token_roles,
                                                turn_segments)
from actfocus.run.reader import read_events, read_run, step_metrics
from actfocus.run.trajstore import read_index, read_record

from protocol_util import validate

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import verl_fixture as VF  # noqa: E402


def test_reference_energy_is_minus_logsumexp_in_float32_for_any_dtype():
    logits = torch.randn(3, 5, 50) * 4
    targets = torch.randint(0, 50, (15,))
    host = -token_stats(logits.reshape(15, 50), targets)["lse"].reshape(3, 5)
    torch.testing.assert_close(reference_energy(logits), host)
    e16 = reference_energy(logits.bfloat16())
    assert e16.dtype == torch.float32
    torch.testing.assert_close(e16, -torch.logsumexp(logits.bfloat16().float(), -1))


def test_turn_segments_are_the_runs_of_the_mask():
    assert turn_segments(torch.tensor([0, 1, 1, 0, 0, 1, 0, 1, 1])) == [(1, 3), (5, 6), (7, 9)]
    assert turn_segments(torch.tensor([0, 0])) == []


def test_roles_per_assistant_turn_equal_the_hosts(tiny_lm):
    env = make_env("sokoban")
    tok = tiny_lm.tokenizer
    texts = ["<think>the box is left of me</think><answer>Left || Up</answer>", "I will just go <answer>Down</answer>",
             "<think>push it</think><answer>Right</answer>"]
    rows = [[(texts[0], "obs one"), (texts[1], "")], [(texts[2], "")]]
    ids, masks = [], []
    for turns in rows:
        r, m = [], []
        for text, obs in turns:
            t = tok.encode(text) + [tok.eos_id]
            r += t
            m += [1] * len(t)
            if obs:
                o = tok.encode(obs)
                r += o
                m += [0] * len(o)
        ids.append(r)
        masks.append(m)
    T = max(map(len, ids)) + 3
    resp = torch.full((2, T), tok.eos_id)
    mask = torch.zeros(2, T)
    for b in range(2):
        resp[b, : len(ids[b])] = torch.tensor(ids[b])
        mask[b, : len(masks[b])] = 1.0 * torch.tensor(masks[b])
    roles = token_roles(resp, mask, tok.decode, parser_for("sokoban"), eos_ids=frozenset({tok.eos_id}))
    for b in range(2):
        for (s, e), (text, _) in zip(turn_segments(mask[b]), rows[b]):
            body = resp[b, s : e - 1].tolist()
            _, offs = tiny_lm.token_offsets(body)
            parsed = env.parse(text)
            want = assign_roles(offs, parsed.spans, malformed=not parsed.ok) + [OTHER]
            assert roles[b, s:e].tolist() == want
        assert bool((roles[b][mask[b] == 0] == OTHER).all())
    assert int((roles == ACTION).sum()) > 0
    # the malformed second turn (no <think>) is all reasoning, as in the host
    s, e = turn_segments(mask[0])[1]
    assert set(roles[0, s : e - 1].tolist()) == {0}


@pytest.mark.parametrize("signal", SIGNALS)
def test_weights_equal_the_hosts_on_the_response_tokens(signal):
    g = torch.Generator().manual_seed(1)
    B, T = 4, 30
    mask = (torch.arange(T)[None] < torch.tensor([30, 22, 9, 17])[:, None]).float()
    roles = torch.randint(0, 3, (B, T), generator=g)
    t = {k: torch.randn(B, T, generator=g) for k in ("energy", "ref_entropy", "old_log_prob", "ref_log_prob")}
    w = actfocus_token_weights(roles, mask, **t, alpha=0.1, beta=0.5, signal=signal, normalise=False)
    m = mask.bool()
    s = action_signal(signal, energy=t["energy"][m], ref_entropy=t["ref_entropy"][m], old_logprob=t["old_log_prob"][m], ref_logprob=t["ref_log_prob"][m])
    torch.testing.assert_close(w[m], actfocus_weights(roles[m], s, 0.1, 0.5))
    assert bool((w[~m] == 0).all())
    wn = actfocus_token_weights(roles, mask, **t, alpha=0.1, beta=0.5, signal=signal)
    assert float(wn[m].mean()) == pytest.approx(1.0, abs=1e-6)
    torch.testing.assert_close(wn[m] / w[m], torch.full_like(w[m], float(wn[m][0] / w[m][0])))


def test_a_missing_signal_tensor_is_a_clear_error():
    with pytest.raises((ValueError, TypeError)):
        actfocus_token_weights(torch.zeros(1, 3, dtype=torch.long), torch.ones(1, 3), alpha=0.1, beta=0.5, signal="energy")


def test_weights_ride_in_rollout_is_weights_multiplied_into_existing_ones():
    w = torch.tensor([[1.0, 2.0, 0.5]])
    batch = {}
    attach_weights(batch, w)
    assert torch.equal(batch["rollout_is_weights"], w)
    batch = {"rollout_is_weights": torch.tensor([[0.5, 1.0, 2.0]])}
    attach_weights(batch, w)
    assert torch.equal(batch["rollout_is_weights"], torch.tensor([[0.5, 2.0, 1.0]]))


def test_the_verl_logger_writes_a_run_directory_our_readers_and_schema_accept(tmp_path):
    d = tmp_path / "verl-run"
    # as the e2e test runs it: a separate process, exit code 0
    p = subprocess.run([sys.executable, os.path.join(HERE, "verl_fixture.py"), str(d)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    run = read_run(str(d))
    validate("run", run)
    assert run["status"] == "completed" and run["step"] == 3 and run["config"]["engine"] == "verl"
    assert run["config"]["verl"]["actor_rollout_ref.actor.policy_loss.loss_mode"] == "actfocus"
    ev = read_events(str(d))
    assert ev.malformed == 0 and not ev.partial_tail
    for e in ev.records:
        validate("event", e)
    m = step_metrics(ev)
    assert sorted(m) == [1, 2, 3]
    assert m[1]["reward_mean"] == m[1]["critic/score/mean"] == pytest.approx(0.325)  # dashboard alias + verl's name
    assert m[2]["timing_s/step"] == 2.5 and "not/a-number" not in m[2]
    idx = read_index(str(d / "trajectories.idx"))
    assert len(idx) == 12 and sorted({e.step for e in idx}) == [1, 2, 3]
    for e in idx:
        validate("trajectoryIndexEntry", e.__dict__)
        header, cols = read_record(str(d / "trajectories.bin"), e)
        validate("trajectory", header)
        assert len(header["turns"]) == 2 and header["n_tokens"] == len(cols["role"]) == len(cols["energy"])
        t0, t1 = header["turns"]
        assert "".join(cols["text"][: t0["n_tokens"]]) == t0["text"] and t0["text"].startswith("<think>")
        assert VF.HOSTILE in t1["observation"]  # hostile environment text is stored as text
        assert ACTION in cols["role"] and max(cols["weight"]) > 1.0 and min(cols["weight"]) < 1.0


def test_the_logger_refuses_a_directory_that_already_holds_a_run(tmp_path):
    from actfocus.integrations.verl.logger import ActFocusRunLogger

    log = ActFocusRunLogger(str(tmp_path / "r"), {"algorithm": {"adv_estimator": "gae"}})
    log.finish(exit_code=1)
    assert read_run(str(tmp_path / "r"))["status"] == "failed"
    with pytest.raises(FileExistsError, match="already holds a run"):
        ActFocusRunLogger(str(tmp_path / "r"), {})
