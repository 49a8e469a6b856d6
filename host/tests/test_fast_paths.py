"""The engine's fast paths equal the simple ones on the same seeds: a trajectory's turns scored as one
sequence (scoring.chains) against the turns scored one by one (the same statistics, the same update);
a group's shared prompt read once in generation against every row reading its own; finished rows dropped
from decoding against every row fed to the end of its turn."""

from __future__ import annotations

import copy

import pytest
import torch

from actfocus.algos import scoring
from actfocus.algos.roles import ACTION
from actfocus.algos.trainer import Trainer
from actfocus.config import make_config
from actfocus.policy.lm import load_policy
from actfocus.rollout.multiturn import TurnSample


def _cfg(algo: str, **kw):
    base = dict(env="frozenlake", algo=algo, weighting="actfocus", prompts_per_step=2, group_size=4, max_new_tokens=24,
                max_context=512, mini_batch_size=3, micro_batch_size=2, eval_prompts=2, seed=3)
    base.update(kw)
    return make_config(base)


@pytest.mark.parametrize("algo", ["grpo", "ppo"])
def test_fused_scoring_equals_one_pass_per_turn(acting_model_dir, algo):
    lm = load_policy(str(acting_model_dir))
    runs = []
    for fuse in (False, True):
        tr = Trainer(_cfg(algo), copy.deepcopy(lm), {"is_slippery": False})
        tr.fuse = fuse
        # Plain SGD: parameters move by the gradient itself, so equal parameters mean equal gradients (Adam's
        # first steps amplify float noise in near-zero gradients to full learning-rate steps).
        tr.opt = torch.optim.SGD(tr.policy.parameters(), lr=0.05)
        results = [tr.step(0), tr.step(1)]
        runs.append((tr, [r.metrics for r in results], results[-1].batch))
    (simple, m_simple, simple_batch), (fused, m_fused, fused_batch) = runs
    samples = fused_batch.samples
    assert [s.prompt_ids for s in samples] == [s.prompt_ids for s in simple_batch.samples]  # same rollouts
    units = scoring.chains(samples)
    assert len(units) < len(samples), "the check needs trajectories whose turns form one sequence"
    assert int((fused_batch.tok["roles"] == ACTION).sum()) > 0, "the check needs action tokens (ActFocus weights)"
    for k in ("ref_logprob", "ref_entropy", "energy", "old_logprob", "entropy") + (("values", "adv", "returns") if algo == "ppo" else ()):
        torch.testing.assert_close(fused_batch.tok[k], simple_batch.tok[k], atol=2e-5, rtol=1e-5, msg=k)
    for a, b in zip(m_fused, m_simple):
        for k in ("loss", "pg_loss", "grad_norm", "clipfrac", "signal_mu", "signal_sigma"):
            assert a[k] is not None and a[k] == pytest.approx(b[k], rel=1e-4, abs=1e-6), (k, a, b)
    for pa, pb in zip(fused.policy.parameters(), simple.policy.parameters()):
        torch.testing.assert_close(pa, pb, atol=1e-6, rtol=1e-5)
    assert any(not torch.equal(pa, pb) for pa, pb in zip(fused.policy.parameters(), lm.parameters()))  # it did train


def _sample(traj, turn, prompt, response):
    return TurnSample(traj=traj, group=0, turn=turn, prompt_ids=prompt, response_ids=response, roles=[2] * len(response),
                      text="", valid=True, reward=0.0)


def test_chains_break_where_the_next_prompt_does_not_extend_the_last_sequence():
    a0 = _sample(0, 0, [1, 2, 3], [4, 5])
    a1 = _sample(0, 1, [1, 2, 3, 4, 5, 6, 7], [8])  # extends a0: one unit
    a2 = _sample(0, 2, [1, 6, 7, 8, 9], [10])  # the conversation was cut: a new unit
    a3 = _sample(0, 3, [1, 6, 7, 8, 9, 11, 12], [13])  # the reply re-encoded differently (11 ≠ 10): a new unit
    b0 = _sample(1, 0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13], [14])  # another trajectory never joins
    assert scoring.chains([a0, a1, a2, a3, b0]) == [[0, 1], [2], [3], [4]]
    p = scoring.pack([a0, a1, a2, a3, b0], 0, "cpu")
    assert p.targets.tolist() == [4, 5, 8, 10, 13, 14]
    assert p.rows.tolist() == [0, 0, 0, 1, 2, 3]
    assert p.cols.tolist() == [2, 3, 6, 4, 6, 11]  # each token predicted from where it sat when sampled
    assert all(int(p.ids[r, c + 1]) == t for r, c, t in zip(p.rows.tolist(), p.cols.tolist(), p.targets.tolist()))


@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_generation_reading_a_shared_prompt_once_equals_every_row_reading_it(acting_model_dir, temperature):
    from actfocus.envs import make_env
    from actfocus.rollout.generate import generate

    lm = load_policy(str(acting_model_dir))
    prompts = []
    for seed in (5, 6):
        env = make_env("frozenlake", is_slippery=False)
        prompts += [lm.prompt_ids([("system", env.system_prompt()), ("user", env.reset(seed))])] * 4  # a group: one prompt
    prompts.append(prompts[0][:-9] + prompts[0][-8:])  # and one of its own
    out = [generate(lm, prompts, 24, temperature, torch.Generator().manual_seed(1), dedupe=d) for d in (False, True)]
    assert out[0] == out[1]
    distinct = len({tuple(r) for r in out[1][:4]})
    assert distinct == 1 if temperature == 0 else distinct > 1  # greedy rows agree; sampled rows of one group still differ
    assert all(0 < len(r) <= 24 for r in out[1])


def test_rollouts_reading_each_turn_from_the_kept_cache_equal_rollouts_reading_whole_prompts(acting_model_dir, monkeypatch):
    from actfocus.rollout import generate as G
    from actfocus.rollout.multiturn import rollout

    reused = []
    extensions = G._extensions
    monkeypatch.setattr(G, "_extensions", lambda *a: reused.append(extensions(*a)) or reused[-1])
    lm = load_policy(str(acting_model_dir))
    # Sampling at temperature 1: rows of a group part ways, and some conversations are cut to fit the
    # context while others go on, so turns mix cached and whole prompts.
    runs = [rollout(lm, "frozenlake", {"is_slippery": False}, [11, 12, 13], 4, temperature=1.0, max_new_tokens=24, max_context=512,
                    generator=torch.Generator().manual_seed(0), reuse_cache=reuse) for reuse in (False, True)]
    assert [[(s.prompt_ids, s.response_ids) for s in t.turns] for t in runs[0]] == [[(s.prompt_ids, s.response_ids) for s in t.turns] for t in runs[1]]
    turns = [len(t.turns) for t in runs[1]]
    assert max(turns) >= 3, "the check needs trajectories of several turns"
    assert any(r is not None for rows in reused for r in rows), "no turn was read from the kept cache"
    assert any(None in rows and any(r is not None for r in rows) for rows in reused), "no turn mixed cached and whole prompts"


@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_rollouts_dropping_finished_rows_from_decoding_equal_rollouts_feeding_every_row(acting_model_dir, monkeypatch, temperature):
    """Finished rows leave the decode batch (generate._LiveRows): every row samples what it sampled when all
    rows were fed to the end of the turn, and the next turn reads the same cache."""
    from actfocus.rollout import generate as G
    from actfocus.rollout.multiturn import rollout

    drops = []
    compact = G._LiveRows.compact
    monkeypatch.setattr(G._LiveRows, "compact", lambda self, d: (before := self.n_rows, compact(self, d), drops.append(before - self.n_rows)))
    lm = load_policy(str(acting_model_dir))
    runs = [rollout(lm, "frozenlake", {"is_slippery": False}, [11, 12, 13, 14], 4, temperature=temperature, max_new_tokens=32,
                    max_context=512, generator=torch.Generator().manual_seed(0), compact=c) for c in (False, True)]
    assert [[(s.prompt_ids, s.response_ids) for s in t.turns] for t in runs[0]] == [[(s.prompt_ids, s.response_ids) for s in t.turns] for t in runs[1]]
    assert sum(d > 0 for d in drops) >= 2, f"the check needs turns in which rows were dropped: {drops}"
    assert max(len(t.turns) for t in runs[1]) >= 2, "the check needs a turn read from a compacted turn's cache"


def test_warm_start_trains_on_the_prompts_rollouts_build_one_pass_per_episode(acting_model_dir):
    """The warm start's samples: each turn's prompt is the conversation as a rollout renders it (the
    rendered conversation itself where it fits the context, cut where not), an episode's turns chain into
    one sequence until a cut, and the loss over the chained sequences equals the loss over the turns one by one."""
    from actfocus.policy.pretrain import demo_samples, demonstrations

    lm = load_policy(str(acting_model_dir))
    demos = demonstrations("frozenlake", {"is_slippery": False}, 6, 0.3, 0)
    ctx = lm.net.config.max_seq_len
    samples = demo_samples(lm, demos, max_context=ctx)
    assert [s.response_ids for s in samples] == [lm.tokenizer.encode(r) + [lm.eos_id] for _, r in demos]
    assert all(len(s.prompt_ids) + len(s.response_ids) <= ctx for s in samples)
    whole = [(s, m) for s, (m, _) in zip(samples, demos) if len(lm.prompt_ids(m)) + len(s.response_ids) <= ctx]
    assert len(whole) > len(samples) // 2 and all(s.prompt_ids == lm.prompt_ids(m) for s, m in whole)
    episodes = sum(len(m) == 2 for m, _ in demos)
    assert episodes <= len(scoring.chains(samples)) < len(samples), "episodes of several turns, chained until cut"
    with torch.no_grad():  # the losses' values only
        fused = -scoring.policy_stats(lm, samples, "cpu", fuse=True)["logprob"].mean()
        simple = -scoring.policy_stats(lm, samples, "cpu", fuse=False)["logprob"].mean()
    assert float(fused) == pytest.approx(float(simple), rel=1e-5)


def test_sampling_a_row_draws_from_its_distribution_and_no_other_row_changes_it():
    from actfocus.rollout.generate import sample_rows

    probs = torch.tensor([[0.0, 0.5, 0.0, 0.3, 0.2], [1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0]])
    g = torch.Generator().manual_seed(0)
    draws = torch.stack([sample_rows(probs, g) for _ in range(6000)])  # [n, rows]
    counts = torch.bincount(draws[:, 0], minlength=5).double() / len(draws)
    assert counts[0] == counts[2] == 0  # a token of probability 0 is never drawn
    torch.testing.assert_close(counts, probs[0].double(), atol=0.02, rtol=0)  # binomial sd at n = 6000: <= 0.0065
    assert (draws[:, 1] == 0).all() and (draws[:, 2] == 4).all()  # the first and the last token alike
    # Each row's draw comes from its own distribution and its own uniform: changing another row (as a row
    # finishing and keeping its last distribution does) changes no row's sample.
    other = probs.clone()
    other[1] = torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0])
    a = [sample_rows(probs, torch.Generator().manual_seed(s)) for s in range(50)]
    b = [sample_rows(other, torch.Generator().manual_seed(s)) for s in range(50)]
    assert all(x[0] == y[0] and x[2] == y[2] for x, y in zip(a, b)) and all(y[1] == 2 for y in b)
