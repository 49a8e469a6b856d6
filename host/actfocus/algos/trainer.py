"""One training step of PPO or GRPO with uniform or ActFocus token weights (method.md §1-§4).

step(): rollouts → reference pass (ref log-prob, entropy, energy) and old-policy pass → advantages
(GRPO group-normalised, or GAE from the critic) → reward-variance group filtering → token weights →
diagnosis → update epochs over mini-batches with gradient accumulation, the weighted token-mean
normalised by the whole mini-batch's sum of weights.
"""

from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass

import numpy as np
import torch

from actfocus.algos import scoring
from actfocus.algos.actfocus import action_signal, actfocus_weights, batch_signal_stats, uniform_weights
from actfocus.algos.advantages import gae, grpo_advantages
from actfocus.algos.diagnostics import diagnose
from actfocus.algos.losses import clipped_surrogate, kl_penalty, token_stats, weighted_token_mean
from actfocus.algos.roles import ACTION
from actfocus.policy.lm import LanguageModel
from actfocus.rollout.multiturn import rollout

EVAL_SEED_BASE = 10_000_000  # held-out evaluation seeds never overlap training seeds (< 10^7)


@dataclass
class StepBatch:
    samples: list
    tok: dict[str, torch.Tensor]  # flat per-token tensors over all samples, in sample order
    offsets: list[int]  # start of each sample's tokens in the flat tensors


def _flat_index(batch: StepBatch, idx: list[int]) -> torch.Tensor:
    return torch.cat([torch.arange(batch.offsets[i], batch.offsets[i] + len(batch.samples[i].response_ids)) for i in idx])


class Trainer:
    def __init__(self, cfg: dict, policy: LanguageModel, env_config: dict | None = None, emit=None, device="cpu"):
        self.cfg = cfg
        self.device = device
        self.policy = policy.to(device)
        self.ref = copy.deepcopy(policy).to(device).eval()
        for p in self.ref.parameters():
            p.requires_grad_(False)
        self.critic = policy.with_value_head().to(device) if cfg["algo"] == "ppo" else None
        self.env_config = env_config or {}
        self.emit = emit or (lambda event: None)
        self.opt = torch.optim.AdamW(self.policy.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
        self.critic_opt = torch.optim.AdamW(self.critic.parameters(), lr=cfg["critic_lr"]) if self.critic else None
        self.gen = torch.Generator().manual_seed(cfg["seed"])
        self.shuffle = random.Random(cfg["seed"])

    def set_hparams(self, changes: dict) -> None:
        self.cfg.update(changes)
        for g in self.opt.param_groups:
            g["lr"] = self.cfg["lr"]
        if self.critic_opt:
            for g in self.critic_opt.param_groups:
                g["lr"] = self.cfg["critic_lr"]

    # ---- checkpoints: everything that makes step N+1 after a resume equal step N+1 without one ----
    def state_dict(self) -> dict:
        return {"policy": self.policy.state_dict(), "opt": self.opt.state_dict(),
                "critic": self.critic.state_dict() if self.critic else None,
                "critic_opt": self.critic_opt.state_dict() if self.critic_opt else None,
                "gen": self.gen.get_state(), "shuffle": self.shuffle.getstate(), "cfg": dict(self.cfg)}

    def load_state_dict(self, st: dict) -> None:
        self.policy.load_state_dict(st["policy"])
        self.opt.load_state_dict(st["opt"])
        if self.critic is not None:
            self.critic.load_state_dict(st["critic"])
            self.critic_opt.load_state_dict(st["critic_opt"])
        self.gen.set_state(st["gen"])
        self.shuffle.setstate(st["shuffle"])
        self.set_hparams({k: v for k, v in st["cfg"].items() if k in self.cfg})

    def train_seeds(self, step: int) -> list[int]:
        rng = np.random.default_rng([self.cfg["seed"], step])
        return [int(s) for s in rng.integers(0, EVAL_SEED_BASE, size=self.cfg["prompts_per_step"])]

    # ---- scoring and advantages ----
    def score(self, trajs) -> StepBatch:
        c = self.cfg
        samples = [t for tr in trajs for t in tr.turns]
        micro = c["micro_batch_size"]
        ref = scoring.reference_stats(self.ref, samples, self.device, micro)
        old = scoring.old_policy_stats(self.policy, samples, self.device, micro)
        offsets, pos = [], 0
        for s in samples:
            offsets.append(pos)
            pos += len(s.response_ids)
        tok = {**ref, **old}
        tok["roles"] = torch.tensor([r for s in samples for r in s.roles], dtype=torch.long)
        tok["group"] = torch.tensor([s.group for s in samples for _ in s.response_ids], dtype=torch.long)
        tok["traj"] = torch.tensor([s.traj for s in samples for _ in s.response_ids], dtype=torch.long)
        rewards = torch.tensor([tr.total_reward for tr in trajs], dtype=torch.float32)
        if c["algo"] == "grpo":
            adv_traj = grpo_advantages(rewards, torch.tensor([tr.group for tr in trajs]), c["adv_eps"])
            tok["adv"] = adv_traj[tok["traj"]].float()
        else:
            values = scoring.values_no_grad(self.critic, samples, self.device, micro)
            tok["values"] = values
            tok["adv"] = torch.zeros_like(values)
            tok["returns"] = torch.zeros_like(values)
            for tr in trajs:
                idx = _flat_index(StepBatch(samples, tok, offsets), [samples.index(t) for t in tr.turns])
                r = torch.zeros(len(idx))
                r[-1] = tr.total_reward
                a, ret = gae(r, values[idx], c["gamma"], c["lam"])
                tok["adv"][idx], tok["returns"][idx] = a, ret
        return StepBatch(samples, tok, offsets)

    def weights(self, tok: dict, keep: torch.Tensor) -> tuple[torch.Tensor, tuple | None]:
        c = self.cfg
        if c["weighting"] == "uniform":
            return uniform_weights(tok["roles"]), None
        sig = action_signal(c["signal"], energy=tok["energy"], ref_entropy=tok["ref_entropy"],
                            old_logprob=tok["old_logprob"], ref_logprob=tok["ref_logprob"])
        # Batch statistics over the action tokens that take part in the update.
        roles_kept = torch.where(keep, tok["roles"], torch.full_like(tok["roles"], -1))
        stats = batch_signal_stats(sig, roles_kept, c["sigma_eps"])
        w = actfocus_weights(tok["roles"], sig, c["alpha"], c["beta"], c["sigma_eps"], c["other_weight"], stats=stats)
        return w, stats

    def filter_groups(self, trajs) -> set[int]:
        by_group: dict[int, list[float]] = {}
        for tr in trajs:
            by_group.setdefault(tr.group, []).append(tr.total_reward)
        var = {g: float(np.var(r)) for g, r in by_group.items()}
        k = max(1, math.ceil(self.cfg["keep_top_groups"] * len(var)))
        return set(sorted(var, key=lambda g: (-var[g], g))[:k])

    # ---- the step ----
    def step(self, step: int) -> dict:
        c, t0 = self.cfg, time.perf_counter()
        trajs = rollout(self.policy, c["env"], self.env_config, self.train_seeds(step), c["group_size"],
                        temperature=c["temperature"], max_new_tokens=c["max_new_tokens"], max_context=c["max_context"],
                        generator=self.gen, malformed_role=c["malformed_role"], device=self.device)
        t_roll = time.perf_counter() - t0
        n_gen = sum(len(t.response_ids) for tr in trajs for t in tr.turns)
        metrics = self.train_on(trajs)
        self.last_trajs = trajs
        metrics["time_rollout_s"] = t_roll
        metrics["rollout_tokens_per_s"] = n_gen / max(1e-9, t_roll)
        metrics["time_step_s"] = time.perf_counter() - t0
        return metrics

    def train_on(self, trajs) -> dict:
        """Everything after the rollouts: scoring, advantages, filtering, weights, diagnosis, update."""
        t0 = time.perf_counter()
        batch = self.score(trajs)
        tok = batch.tok
        kept_groups = self.filter_groups(trajs)
        keep = torch.tensor([int(g) in kept_groups for g in tok["group"].tolist()])
        w, stats = self.weights(tok, keep)
        tok["weight"] = w
        group_rewards: dict[int, list[float]] = {}
        for tr in trajs:
            group_rewards.setdefault(tr.group, []).append(tr.total_reward)
        diag = diagnose(group_rewards, tok["group"], tok["traj"], tok["roles"], tok["energy"], tok["ref_entropy"], w)
        upd = self.update(batch, [i for i, s in enumerate(batch.samples) if s.group in kept_groups])
        dt = time.perf_counter() - t0
        n_tok = len(tok["roles"])
        self.last_batch = batch
        return {
            "reward_mean": float(np.mean([t.total_reward for t in trajs])),
            "success_rate": float(np.mean([t.success for t in trajs])),
            "valid_turn_rate": float(np.mean([s.valid for s in batch.samples])),
            "response_tokens_mean": n_tok / len(batch.samples),
            "turns_mean": len(batch.samples) / len(trajs),
            "kl_ref": float((tok["old_logprob"] - tok["ref_logprob"]).mean()),
            "entropy": float(tok["entropy"].mean()),
            "groups_kept": len(kept_groups),
            "signal_mu": stats[0] if stats else None,
            "signal_sigma": stats[1] if stats else None,
            "time_train_s": dt,
            "train_tokens_per_s": n_tok / max(1e-9, dt),
            **upd,
            **{f"diag/{k}": v for k, v in diag.items()},
        }

    def update(self, batch: StepBatch, idx: list[int]) -> dict:
        c, tok = self.cfg, batch.tok
        stats = {"loss": [], "pg_loss": [], "clipfrac": [], "grad_norm": [], "value_loss": []}
        skipped = 0
        self.policy.train()
        for _ in range(c["ppo_epochs"]):
            order = idx[:]
            self.shuffle.shuffle(order)
            for m in range(0, len(order), c["mini_batch_size"]):
                mb = order[m : m + c["mini_batch_size"]]
                flat = _flat_index(batch, mb)
                w_sum = tok["weight"][flat].sum()
                if float(w_sum) <= 0.0:
                    skipped += 1
                    self.emit({"type": "log", "level": "warning",
                               "message": "skipped a mini-batch whose token weights sum to 0 (alpha = 0 and no action tokens?)"})
                    continue
                n_tokens = flat.numel()
                self.opt.zero_grad(set_to_none=True)
                if self.critic_opt:
                    self.critic_opt.zero_grad(set_to_none=True)
                tot, tot_pg, clipped, vloss = 0.0, 0.0, 0.0, 0.0
                for u in range(0, len(mb), c["micro_batch_size"]):
                    part = mb[u : u + c["micro_batch_size"]]
                    fi = _flat_index(batch, part)
                    st = scoring.policy_stats(self.policy, [batch.samples[i] for i in part], self.device)
                    lp = st["logprob"].cpu() if self.device == "cpu" else st["logprob"]
                    dev = lp.device
                    pg, clip = clipped_surrogate(lp, tok["old_logprob"][fi].to(dev), tok["adv"][fi].to(dev), c["clip_low"], c["clip_high"])
                    loss_pg = weighted_token_mean(pg, tok["weight"][fi].to(dev), w_sum.to(dev))
                    loss = loss_pg - c["entropy_coef"] * st["entropy"].sum() / n_tokens
                    if c["kl_coef"] > 0:
                        loss = loss + c["kl_coef"] * kl_penalty(lp, tok["ref_logprob"][fi].to(dev), c["kl_type"]).sum() / n_tokens
                    loss.backward()
                    tot += float(loss.detach())
                    tot_pg += float(loss_pg.detach())
                    clipped += float(clip.float().sum())
                    if self.critic is not None:
                        v = scoring.critic_values(self.critic, [batch.samples[i] for i in part], self.device).float()
                        vl = 0.5 * ((v - tok["returns"][fi].to(v.device)) ** 2).sum() / n_tokens
                        vl.backward()
                        vloss += float(vl.detach())
                gn = torch.nn.utils.clip_grad_norm_(self.policy.parameters(), c["grad_clip"] if c["grad_clip"] > 0 else float("inf"))
                self.opt.step()
                if self.critic_opt:
                    torch.nn.utils.clip_grad_norm_(self.critic.parameters(), c["grad_clip"] if c["grad_clip"] > 0 else float("inf"))
                    self.critic_opt.step()
                stats["loss"].append(tot)
                stats["pg_loss"].append(tot_pg)
                stats["clipfrac"].append(clipped / n_tokens)
                stats["grad_norm"].append(float(gn))
                stats["value_loss"].append(vloss)
        self.policy.eval()
        out = {k: (float(np.mean(v)) if v else None) for k, v in stats.items()}
        out["skipped_minibatches"] = skipped
        if self.critic is None:
            out.pop("value_loss")
        return out

    @torch.no_grad()
    def evaluate(self, prompts: int | None = None) -> dict:
        c = self.cfg
        n = prompts or c["eval_prompts"]
        trajs = rollout(self.policy, c["env"], self.env_config, [EVAL_SEED_BASE + i for i in range(n)], 1,
                        temperature=c["eval_temperature"], max_new_tokens=c["max_new_tokens"], max_context=c["max_context"],
                        generator=torch.Generator().manual_seed(c["seed"] + 1), device=self.device)
        return {"eval/success_rate": float(np.mean([t.success for t in trajs])),
                "eval/reward_mean": float(np.mean([t.total_reward for t in trajs])),
                "eval/valid_turn_rate": float(np.mean([s.valid for t in trajs for s in t.turns]))}


__all__ = ["Trainer", "ACTION", "token_stats"]
