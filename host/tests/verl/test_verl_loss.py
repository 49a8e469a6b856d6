"""The "actfocus" policy loss inside verl, installed from the package index (.venv-verl, scripts/setup.sh):
found through verl's own lookup after a bare `import verl` (entry-point plugin), equal to the host's
ActFocus loss on identical tensors, and equal to verl's built-in "vanilla" loss under uniform weights."""

import pytest
import torch

import verl  # noqa: F401  (loads the verl.plugins entry points, ours included)
from verl.trainer.ppo.core_algos import get_policy_loss_fn
from verl.workers.config import FSDPActorConfig

from actfocus.algos.actfocus import actfocus_weights
from actfocus.algos.losses import clipped_surrogate, weighted_token_mean
from actfocus.algos.roles import ACTION, OTHER, REASONING
from actfocus.integrations.verl.weights import actfocus_token_weights


def actor_config(**kw):
    """verl's own actor configuration class, as its trainer builds it."""
    return FSDPActorConfig(strategy="fsdp", rollout_n=4, ppo_mini_batch_size=4, ppo_micro_batch_size_per_gpu=1,
                           **{"clip_ratio": 0.2, "clip_ratio_low": 0.2, "clip_ratio_high": 0.28, "clip_ratio_c": 3.0, **kw})


def batch(seed, B=6, T=40, spread=0.3, max_shift=None):
    g = torch.Generator().manual_seed(seed)
    old = -torch.rand(B, T, generator=g) * 3
    shift = torch.randn(B, T, generator=g) * spread
    new = old + (shift if max_shift is None else shift.clamp(-max_shift, max_shift))
    adv = torch.randn(B, 1, generator=g).expand(B, T).clone()
    lengths = torch.randint(T // 2, T + 1, (B,), generator=g)
    mask = (torch.arange(T)[None] < lengths[:, None]).float()
    roles = torch.randint(0, 3, (B, T), generator=g)
    energy = torch.randn(B, T, generator=g) - 5
    return old, new, adv, mask, roles, energy


@pytest.fixture(scope="module")
def cfg():
    return actor_config()


def test_verl_finds_the_plugin_loss_by_name():
    from actfocus.integrations.verl.loss import actfocus_policy_loss

    assert get_policy_loss_fn("actfocus") is actfocus_policy_loss


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("alpha,beta", [(0.1, 0.5), (0.0, 2.0), (0.5, 1.0)])
def test_registered_loss_equals_the_host_actfocus_loss(cfg, seed, alpha, beta):
    old, new, adv, mask, roles, energy = batch(seed, max_shift=1.0)  # ratios within e^±1, below clip_ratio_c
    new.requires_grad_(True)
    binding = ((new.detach() - old).exp() > cfg.clip_ratio_c) & (adv < 0) & mask.bool()
    assert not bool(binding.any())  # verl's dual clip does not bind here: the host has none
    w = actfocus_token_weights(roles, mask, energy=energy, alpha=alpha, beta=beta)
    loss, metrics = get_policy_loss_fn("actfocus")(old_log_prob=old, log_prob=new, advantages=adv, response_mask=mask,
                                                   loss_agg_mode="token-mean", config=cfg, rollout_is_weights=w)
    (g_plugin,) = torch.autograd.grad(loss, new)
    # the host: flat response tokens, its own weights from the same roles and energies, its own loss
    m = mask.bool()
    new2 = new.detach().clone().requires_grad_(True)
    w_host = actfocus_weights(roles[m], energy[m], alpha, beta)
    per_tok, _ = clipped_surrogate(new2[m], old[m], adv[m], cfg.clip_ratio_low, cfg.clip_ratio_high)
    host = weighted_token_mean(per_tok, w_host)
    (g_host,) = torch.autograd.grad(host, new2)
    torch.testing.assert_close(loss, host, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(g_plugin, g_host, rtol=1e-4, atol=1e-8)
    assert abs(metrics["actor/actfocus_weight_mean"] - 1.0) < 1e-5  # normalised to mean 1 over response tokens
    assert bool((w_host[roles[m] == REASONING] == alpha).all()) and bool((w_host[roles[m] == OTHER] == 1).all())
    assert bool((w_host[roles[m] == ACTION] > 1).all()) or beta == 0


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("spread", [0.3, 2.5])  # 2.5: ratios far beyond clip_ratio_c, the dual clip binds
def test_uniform_weights_equal_verls_vanilla_loss(cfg, seed, spread):
    old, new, adv, mask, _, _ = batch(seed, spread=spread)
    if spread > 1:
        assert bool(((new - old).exp() > cfg.clip_ratio_c)[adv < 0].any())
    vanilla = get_policy_loss_fn("vanilla")
    ours = get_policy_loss_fn("actfocus")
    for is_w in (None, torch.ones_like(mask)):
        a, ma = ours(old_log_prob=old, log_prob=new, advantages=adv, response_mask=mask, loss_agg_mode="token-mean", config=cfg, rollout_is_weights=is_w)
        b, mb = vanilla(old_log_prob=old, log_prob=new, advantages=adv, response_mask=mask, loss_agg_mode="token-mean", config=cfg, rollout_is_weights=is_w)
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
        assert ma["actor/pg_clipfrac"] == pytest.approx(mb["actor/pg_clipfrac"], abs=1e-6)
        assert ma["actor/ppo_kl"] == pytest.approx(mb["actor/ppo_kl"], abs=1e-6)


def test_under_data_parallelism_it_aggregates_like_verl(cfg):
    """With verl's global batch info (dp_size, global token count), uniform weights give verl's loss."""
    old, new, adv, mask, _, _ = batch(3)
    c = actor_config()
    c.global_batch_info.update({"dp_size": 2, "batch_num_tokens": int(mask.sum()) * 2})
    a, _ = get_policy_loss_fn("actfocus")(old_log_prob=old, log_prob=new, advantages=adv, response_mask=mask, loss_agg_mode="token-mean", config=c)
    b, _ = get_policy_loss_fn("vanilla")(old_log_prob=old, log_prob=new, advantages=adv, response_mask=mask, loss_agg_mode="token-mean", config=c)
    torch.testing.assert_close(a, b)


def test_other_aggregations_are_refused(cfg):
    old, new, adv, mask, _, _ = batch(0)
    with pytest.raises(ValueError, match="token-mean"):
        get_policy_loss_fn("actfocus")(old_log_prob=old, log_prob=new, advantages=adv, response_mask=mask, loss_agg_mode="seq-mean-token-sum", config=cfg)
