import copy
import math

import pytest
import torch

from actfocus.algos import scoring
from actfocus.algos.actfocus import SIGNALS, action_signal, actfocus_weights
from actfocus.algos.advantages import gae, grpo_advantages
from actfocus.algos.losses import clipped_surrogate, token_stats, weighted_token_mean
from actfocus.algos.roles import ACTION, OTHER, REASONING, assign_roles
from actfocus.algos.trainer import Trainer
from actfocus.config import make_config
from actfocus.envs.parsing import parse_turn


def reference_loss_and_grad(logp, old, adv, w, lo, hi):
    """Hand-written: loss and its analytic gradient d loss / d logp, token by token in float64."""
    W = sum(w)
    loss, grad = 0.0, []
    for a, b, c, d in zip(logp, old, adv, w):
        r = math.exp(a - b)
        un, cl = r * c, min(max(r, 1 - lo), 1 + hi) * c
        loss += -d * min(un, cl) / W
        grad.append(-d * r * c / W if un <= cl else 0.0)  # the clipped branch has no gradient
    return loss, grad


@pytest.mark.parametrize("seed", range(6))
def test_weighted_loss_and_gradient_match_hand_written_reference(seed):
    g = torch.Generator().manual_seed(seed)
    n = 50
    roles = torch.randint(0, 3, (n,), generator=g)
    energy = torch.randn(n, generator=g, dtype=torch.float64) * 2
    old = -torch.rand(n, generator=g, dtype=torch.float64) * 3
    ref = old + torch.randn(n, generator=g, dtype=torch.float64) * 0.2
    ent = torch.rand(n, generator=g, dtype=torch.float64)
    alpha, beta = [(0.1, 0.5), (0.0, 1.0), (0.7, 2.0)][seed % 3]
    signal = SIGNALS[seed % 4]
    s = action_signal(signal, energy=energy, ref_entropy=ent, old_logprob=old, ref_logprob=ref)
    w = actfocus_weights(roles, s, alpha, beta).double()
    logp = (old + torch.randn(n, generator=g, dtype=torch.float64) * 0.3).requires_grad_(True)
    adv = torch.randn(n, generator=g, dtype=torch.float64)
    pg, _ = clipped_surrogate(logp, old, adv, 0.2, 0.28)
    loss = weighted_token_mean(pg, w)
    loss.backward()
    ref_loss, ref_grad = reference_loss_and_grad(logp.tolist(), old.tolist(), adv.tolist(), w.tolist(), 0.2, 0.28)
    assert loss.item() == pytest.approx(ref_loss, abs=1e-12)
    assert logp.grad.tolist() == pytest.approx(ref_grad, abs=1e-12)
    # Reasoning tokens carry alpha; action weights lie in (1, 1 + beta).
    assert torch.all(w[roles == REASONING] == torch.tensor(alpha, dtype=torch.float32).double())
    a = w[roles == ACTION]
    assert torch.all((a >= 1) & (a <= 1 + beta))


def test_gradient_accumulation_normalises_by_the_whole_mini_batch():
    g = torch.Generator().manual_seed(1)
    n = 40
    logp = torch.randn(n, generator=g, dtype=torch.float64).requires_grad_(True)
    old, adv = logp.detach() + 0.1, torch.randn(n, generator=g, dtype=torch.float64)
    w = torch.rand(n, generator=g, dtype=torch.float64)
    pg, _ = clipped_surrogate(logp, old, adv, 0.2, 0.28)
    weighted_token_mean(pg, w).backward()
    whole = logp.grad.clone()
    logp.grad = None
    for part in (slice(0, 7), slice(7, 30), slice(30, 40)):
        pg, _ = clipped_surrogate(logp[part], old[part], adv[part], 0.2, 0.28)
        weighted_token_mean(pg, w[part], w.sum()).backward()
    assert torch.allclose(logp.grad, whole, atol=1e-15)


def test_grpo_and_gae_hand_computed():
    adv = grpo_advantages(torch.tensor([1.0, 0.0, 0.0, 1.0, 5.0, 5.0]), torch.tensor([0, 0, 0, 0, 1, 1]), eps=0.0)
    sd = math.sqrt(1 / 3)  # rewards 1,0,0,1: mean 0.5, unbiased std sqrt(1/3)
    assert adv.tolist() == pytest.approx([0.5 / sd, -0.5 / sd, -0.5 / sd, 0.5 / sd, 0.0, 0.0])
    a, ret = gae(torch.tensor([0.0, 0.0, 1.0]), torch.tensor([0.2, 0.5, 0.4]), gamma=1.0, lam=1.0)
    assert a.tolist() == pytest.approx([0.8, 0.5, 0.6])  # gamma = lambda = 1: R - V(t)
    a, _ = gae(torch.tensor([0.0, 1.0]), torch.tensor([0.5, 0.2]), gamma=0.5, lam=0.0)
    assert a.tolist() == pytest.approx([0.0 + 0.5 * 0.2 - 0.5, 1.0 - 0.2])


def test_roles_from_spans():
    text = "<think>plan</think> <answer>Up || Left</answer>"
    p = parse_turn(text, 2)
    offsets = [(0, 7), (7, 11), (11, 19), (19, 20), (20, 28), (28, 30), (30, 33), (33, 38), (38, 47)]
    assert assign_roles(offsets, p.spans, malformed=False) == [REASONING] * 3 + [OTHER] + [ACTION] * 5
    assert assign_roles(offsets, [], malformed=True) == [REASONING] * 9
    assert assign_roles(offsets, [], malformed=True, malformed_role="other") == [OTHER] * 9


def small_cfg(**kw):
    base = dict(env="frozenlake", algo="grpo", weighting="actfocus", prompts_per_step=2, group_size=3, max_new_tokens=12,
                max_context=512, mini_batch_size=4, micro_batch_size=2, eval_prompts=2)
    base.update(kw)
    return make_config(base)


def test_observation_tokens_never_reach_the_loss(tiny_lm):
    tr = Trainer(small_cfg(), tiny_lm, {"is_slippery": False})
    samples = tr.step(0).batch.samples
    p = scoring.pack(samples, tiny_lm.eos_id, "cpu")
    assert p.targets.tolist() == [t for s in samples for t in s.response_ids]
    owner = [i for u in p.units for i in u for _ in samples[i].response_ids]  # the sample of each scored token
    for row, col, target, i in zip(p.rows.tolist(), p.cols.tolist(), p.targets.tolist(), owner):
        s = samples[i]
        assert i in p.units[row]
        assert len(s.prompt_ids) <= col + 1 < len(s.prompt_ids) + len(s.response_ids)  # only positions predicting response tokens
        assert p.ids[row, col + 1] == target


def test_energy_is_minus_logsumexp_of_the_reference_logits(tiny_lm):
    tr = Trainer(small_cfg(), tiny_lm, {"is_slippery": False})
    samples = tr.step(0).batch.samples
    got = scoring.reference_stats(tr.ref, samples, "cpu", micro=3)
    expected = []
    with torch.no_grad():
        for s in samples:  # one sample at a time, full logits, independent of the packing code
            ids = torch.tensor([s.prompt_ids + s.response_ids])
            h, _ = tr.ref.hidden(ids, torch.ones_like(ids))
            logits = tr.ref.logits(h)[0].double()
            for j in range(len(s.response_ids)):
                expected.append(-float(torch.logsumexp(logits[len(s.prompt_ids) - 1 + j], dim=-1)))
    assert got["energy"].tolist() == pytest.approx(expected, abs=1e-4)
    st = token_stats(torch.tensor([[0.0, math.log(3.0)]]), torch.tensor([1]))
    assert float(st["lse"]) == pytest.approx(math.log(4.0)) and float(st["logprob"]) == pytest.approx(math.log(0.75))


@pytest.mark.parametrize("algo", ["grpo", "ppo"])
def test_alpha_1_beta_0_reproduces_uniform_bit_for_bit(tiny_lm, algo):
    results = []
    for weighting, extra in [("uniform", {}), ("actfocus", {"alpha": 1.0, "beta": 0.0})]:
        lm = copy.deepcopy(tiny_lm)
        tr = Trainer(small_cfg(algo=algo, weighting=weighting, **extra), lm, {"is_slippery": False})
        m = tr.step(0).metrics
        m2 = tr.step(1).metrics
        results.append(([p.detach().clone() for p in lm.parameters()], m["loss"], m2["loss"]))
    (pa, la, la2), (pb, lb, lb2) = results
    assert la == lb and la2 == lb2
    assert all(torch.equal(a, b) for a, b in zip(pa, pb))
    assert not all(torch.equal(a, b) for a, b in zip(pa, tiny_lm.parameters()))  # training did change them


def test_zero_weight_batches_are_skipped_with_a_warning(tiny_lm):
    events = []
    tr = Trainer(small_cfg(alpha=0.0, other_weight=0.0), tiny_lm, {"is_slippery": False}, emit=events.append)
    before = [p.detach().clone() for p in tiny_lm.parameters()]
    batch = tr.step(0).batch
    assert int((batch.tok["roles"] == ACTION).sum()) == 0  # an untrained model writes no valid answer
    assert any(e["type"] == "log" and e["level"] == "warning" and "sum to 0" in e["message"] for e in events)
    assert all(torch.equal(a, b) for a, b in zip(before, tiny_lm.parameters()))
