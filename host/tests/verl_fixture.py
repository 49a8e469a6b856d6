"""A run directory written by the verl logger from verl-shaped batches (used by test_verl_glue.py and the
extension's e2e test): padded multi-turn responses whose environment tokens are masked out, as verl's
agent loop builds them; reference energies from a real model's logits; roles, ActFocus weights and
GRPO advantages from the plugin's driver-side functions; metrics under verl's own names.

    python host/tests/verl_fixture.py RUN_DIR [STEPS]
"""

from __future__ import annotations

import sys

import torch

from actfocus.envs import make_env
from actfocus.integrations.verl.logger import ActFocusRunLogger
from actfocus.integrations.verl.weights import actfocus_token_weights, parser_for, reference_energy, token_roles
from actfocus.policy.lm import BuiltinLM
from actfocus.policy.model import ModelConfig
from actfocus.policy.pretrain import build_tokenizer, demonstrations

ENV = "sokoban"
VERL_CONFIG = {"algorithm": {"adv_estimator": "grpo"}, "trainer": {"total_training_steps": 3},
               "actor_rollout_ref": {"actor": {"optim": {"lr": 1e-6}, "policy_loss": {"loss_mode": "actfocus"}}, "rollout": {"n": 2}}}
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def episodes(n: int, seed: int) -> list[list[tuple[str, str]]]:
    """n two-turn episodes: (assistant text, next observation) pairs from noisy expert play."""
    demos = demonstrations(ENV, {}, n, 0.5, seed)
    eps, cur = [], []
    for messages, response in demos:
        if len(messages) == 2 and cur:
            eps.append(cur)
            cur = []
        cur.append((response, messages[-1][1]))
    eps.append(cur)
    return [e[:2] for e in eps if len(e) >= 2][:n]


def build_batch(lm: BuiltinLM, eps, rewards: list[float]):
    """Right-padded responses: turn 1, observation (mask 0), turn 2."""
    tok = lm.tokenizer
    rows, masks = [], []
    for e in eps:
        ids, mask = [], []
        for k, (text, obs) in enumerate(e):
            t = tok.encode(text) + [tok.eos_id]
            ids += t
            mask += [1] * len(t)
            if k + 1 < len(e):
                o = tok.encode(obs + (HOSTILE if k == 0 else ""))
                ids += o
                mask += [0] * len(o)
        rows.append(ids)
        masks.append(mask)
    T = max(map(len, rows))
    responses = torch.full((len(rows), T), tok.eos_id, dtype=torch.long)
    response_mask = torch.zeros((len(rows), T))
    for b, (ids, m) in enumerate(zip(rows, masks)):
        responses[b, : len(ids)] = torch.tensor(ids)
        response_mask[b, : len(m)] = torch.tensor(m, dtype=torch.float32)
    with torch.no_grad():
        h, _ = lm.hidden(responses, torch.ones_like(responses))
        logits = lm.logits(h)[:, :-1]  # position t predicts token t+1
    energy = torch.zeros(responses.shape)
    old_log_prob = torch.zeros(responses.shape)
    energy[:, 1:] = reference_energy(logits)
    old_log_prob[:, 1:] = torch.log_softmax(logits.float(), -1).gather(-1, responses[:, 1:, None]).squeeze(-1)
    r = torch.tensor(rewards)
    group = torch.arange(len(rows)) // 2
    adv = torch.zeros(len(rows))
    for g in group.unique():
        m = group == g
        adv[m] = (r[m] - r[m].mean()) / (r[m].std(unbiased=False) + 1e-6)
    return responses, response_mask, energy, old_log_prob, adv[:, None] * response_mask, group.tolist()


def write_verl_run(run_dir: str, steps: int = 3) -> dict:
    torch.manual_seed(0)
    tok = build_tokenizer(demonstrations(ENV, {}, 20, 0.3, 0), 512)
    lm = BuiltinLM(tok, ModelConfig(vocab_size=tok.vocab_size, d_model=32, n_layer=1, n_head=2, max_seq_len=1024)).eval()
    log = ActFocusRunLogger(run_dir, VERL_CONFIG, env=ENV, actfocus={"weighting": "actfocus", "alpha": 0.1, "beta": 0.5, "signal": "energy"})
    parse = parser_for(ENV)
    out = {"steps": steps, "tokens": 0}
    for step in range(1, steps + 1):
        eps = episodes(4, step)
        rewards = [float(v) for v in (1.0, 0.0, 0.5, -0.2)]
        responses, mask, energy, old_lp, adv, group = build_batch(lm, eps, rewards)
        roles = token_roles(responses, mask, tok.decode, parse, eos_ids=frozenset({tok.eos_id}))
        w = actfocus_token_weights(roles, mask, energy=energy, alpha=0.1, beta=0.5)
        log.log_batch(step, responses=responses, response_mask=mask, decode=tok.decode, rewards=rewards, group=group, roles=roles,
                      old_log_prob=old_lp, ref_log_prob=old_lp, energy=energy, weights=w, advantages=adv, k=None,
                      observations=[[make_env(ENV).system_prompt()[:80] + "…", e[0][1] + HOSTILE] for e in eps])
        share = float((roles[mask.bool()] == 1).float().mean())
        log.log({"critic/score/mean": sum(rewards) / len(rewards), "actor/pg_loss": 0.1 / step, "actor/entropy": 1.5 - 0.1 * step,
                 "response_length/mean": float(mask.sum(1).mean()), "diag/share_action": share, "timing_s/step": torch.tensor(2.5),
                 "not/a-number": "skip me"}, step=step)
        out["tokens"] += int(mask.sum())
    log.finish()
    return out


if __name__ == "__main__":
    print(write_verl_run(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3))
