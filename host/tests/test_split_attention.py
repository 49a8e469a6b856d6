"""Rows that continue a shared prefix, the prefix computed once (policy.split_attention, TinyLM's
hidden_after_prefix, scoring's shared-prefix packing) give what the plain pass over the whole rows gives:
values and gradients, with every position or only the positions read."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from actfocus.algos import scoring
from actfocus.policy import split_attention
from actfocus.policy.lm import load_policy
from actfocus.policy.model import ModelConfig, TinyLM
from actfocus.rollout.multiturn import rollout

pytestmark = pytest.mark.skipif(not split_attention.available("cpu"), reason="this torch has no CPU flash kernel with log-sum-exp")


def _grads(*ts):
    return [t.grad.clone() for t in ts]


@pytest.mark.parametrize("queries", [None, [[1, 3, 4], [0, 2, 2]]])
def test_prefix_attention_equals_attention_over_the_joined_keys(queries):
    g = torch.Generator().manual_seed(0)
    B, H, P, T, d = 2, 2, 7, 5, 4
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    kp, vp, k, v = r(B, H, P, d), r(B, H, P, d), r(B, H, T, d), r(B, H, T, d)
    pos = torch.arange(T).expand(B, T) if queries is None else torch.tensor(queries)
    q = r(B, H, pos.shape[1], d)
    seen = torch.cat([torch.ones(B, pos.shape[1], P, dtype=torch.bool), pos[:, :, None] >= torch.arange(T)], 2)[:, None]
    own = None if queries is None else torch.zeros(B, 1, pos.shape[1], T, dtype=q.dtype).masked_fill_(~seen[..., P:], float("-inf"))
    leaves = [t.clone().requires_grad_() for t in (q, kp, vp, k, v)]
    out = split_attention.prefix_attention(*leaves, own)
    grad = r(*out.shape)
    out.backward(grad)
    ql, kl, vl = q.clone().requires_grad_(), torch.cat([kp, k], 2).requires_grad_(), torch.cat([vp, v], 2).requires_grad_()
    want = F.scaled_dot_product_attention(ql, kl, vl, attn_mask=seen)
    want.backward(grad)
    torch.testing.assert_close(out, want)
    dq, dkp, dvp, dk, dv = _grads(*leaves)
    torch.testing.assert_close(dq, ql.grad)
    torch.testing.assert_close(torch.cat([dkp, dk], 2), kl.grad)
    torch.testing.assert_close(torch.cat([dvp, dv], 2), vl.grad)


def test_hidden_after_a_shared_prefix_equals_hidden_over_the_whole_rows():
    torch.manual_seed(0)
    m = TinyLM(ModelConfig(vocab_size=50, d_model=16, n_layer=2, n_head=2, max_seq_len=64)).double()
    P, lens = 9, [7, 5, 11, 3, 11]
    prefixes = torch.randint(0, 50, (2, P))
    row_prefix = torch.tensor([0, 0, 1, 1, 0])  # two rows of prefix 1, three of prefix 0
    T = max(lens)
    ids = torch.randint(0, 50, (5, T))
    mask = torch.tensor([[1] * (P + n) + [0] * (T - n) for n in lens])
    real = mask[:, P:].bool()
    queries = [[0, 2, 6], [1, 4], [10], [2], [3, 9, 10]]
    Q = torch.tensor([q + [0] * (3 - len(q)) for q in queries])
    weights = torch.randn(5, T, 16, dtype=torch.float64)

    def run(fn):
        m.zero_grad()
        h = fn()
        (h * weights[:, : h.shape[1]]).sum().backward()
        return h.detach(), [p.grad.clone() for p in m.parameters()]

    whole = lambda: m.hidden(torch.cat([prefixes[row_prefix], ids], 1), mask)[0][:, P:].masked_fill(~real[..., None], 0)  # noqa: E731
    h_plain, g_plain = run(whole)
    h_shared, g_shared = run(lambda: m.hidden_after_prefix(prefixes, row_prefix, ids).masked_fill(~real[..., None], 0))
    torch.testing.assert_close(h_shared, h_plain)
    for a, b in zip(g_shared, g_plain):
        torch.testing.assert_close(a, b)
    # only the positions read: the plain pass's rows at those positions
    picked = torch.zeros(5, 3, dtype=torch.bool)
    for b, q in enumerate(queries):
        picked[b, : len(q)] = True
    at = lambda h: torch.stack([h[b, Q[b]] for b in range(5)]).masked_fill(~picked[..., None], 0)  # noqa: E731
    h_plain_q, g_plain_q = run(lambda: at(whole()))
    h_q, g_q = run(lambda: m.hidden_after_prefix(prefixes, row_prefix, ids, Q).masked_fill(~picked[..., None], 0))
    torch.testing.assert_close(h_q, h_plain_q)
    for a, b in zip(g_q, g_plain_q):
        torch.testing.assert_close(a, b)


def test_scoring_a_rollout_batch_with_shared_prefixes_equals_the_plain_pass(acting_model_dir):
    lm = load_policy(str(acting_model_dir))
    trajs = rollout(lm, "frozenlake", {"is_slippery": False}, [21, 22], 4, temperature=1.0, max_new_tokens=24, max_context=512,
                    generator=torch.Generator().manual_seed(0))
    samples = [s for t in trajs for s in t.turns]
    shared = scoring.pack(samples, lm.eos_id, "cpu", share=True)
    units = scoring.chains(samples)
    assert shared.prefixes.shape[1] == min(len(samples[u[0]].prompt_ids) for u in units) - 1  # up to the first scored position
    # rows with the same first P tokens (a group's rollouts start from one prompt) hold them once
    P = shared.prefixes.shape[1]
    starts = {tuple((samples[u[-1]].prompt_ids)[:P]) for u in units}
    assert shared.prefixes.shape[0] == len(starts) < len(units)
    lm.train()
    outs = []
    for share in (False, True):
        lm.zero_grad()
        p = scoring.pack(samples, lm.eos_id, "cpu", share=share)
        st = scoring.token_stats(lm.logits(scoring.response_hidden(lm, p)), p.targets)
        st["logprob"].sum().backward()
        outs.append((st, [q.grad.clone() for q in lm.parameters()]))
    (plain, g_plain), (fast, g_fast) = outs
    for k in ("logprob", "entropy", "lse"):
        torch.testing.assert_close(fast[k], plain[k], atol=2e-5, rtol=1e-5)
    for a, b in zip(g_fast, g_plain):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
