"""One training step of PPO or GRPO with uniform or ActFocus token weights (method.md §1-§4).

Trainer.step reads top to bottom: rollouts → train_on: (1) score every response token (reference pass:
log-prob, entropy, energy; old-policy pass: log-prob) → (2) advantages (GRPO group-normalised, or GAE
from the critic) → (3) reward-variance group filtering → (4) token weights → (5) diagnosis → (6) update
epochs over mini-batches with gradient accumulation, the weighted token-mean normalised by the whole
mini-batch's sum of weights → (7) the step's metrics. It returns a StepResult: the metrics and what they
were computed from (the trajectories and their per-token batch, which the run's trajectory store samples).
"""

from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass

import numpy as np
import torch

from actfocus.algos import dist as D
from actfocus.algos import scoring
from actfocus.algos.actfocus import WEIGHTING
from actfocus.algos.advantages import gae, grpo_advantages
from actfocus.algos.diagnostics import diagnose
from actfocus.algos.losses import clipped_surrogate, kl_penalty, token_stats, weighted_token_mean
from actfocus.algos.roles import ACTION
from actfocus.envs import make_env
from actfocus.policy.lm import LanguageModel
from actfocus.policy.precision import resolve as resolve_precision
from actfocus.registry import Registry
from actfocus.rollout.multiturn import rollout

EVAL_SEED_BASE = 10_000_000  # held-out evaluation seeds never overlap training seeds (< 10^7)


@dataclass
class StepBatch:
    samples: list
    tok: dict[str, torch.Tensor]  # flat per-token tensors over all samples, in sample order
    offsets: list[int]  # start of each sample's tokens in the flat tensors


@dataclass
class StepResult:
    metrics: dict  # the step's `metrics` event (protocol.md)
    trajs: list  # the rollouts it trained on
    batch: StepBatch  # their scored, weighted per-token tensors
    diag_groups: dict | None = None  # the diagnosis' per-group points (the metrics event's diag_groups)


def _flat_index(batch: StepBatch, idx: list[int]) -> torch.Tensor:
    """The flat positions of the samples' tokens, on the device the per-token tensors live on."""
    pos = [j for i in idx for j in range(batch.offsets[i], batch.offsets[i] + len(batch.samples[i].response_ids))]
    return torch.tensor(pos, dtype=torch.long, device=batch.tok["roles"].device)


class StepInterrupted(Exception):
    """Raised by Trainer.hook inside a step (a stop request or signal): the step is abandoned before its
    update, and the trainer is left as the step found it."""


def _no_hook(phase: str, done: int, total: int) -> None:
    pass


# Up to this many parameters an update is interruptible: the parameters and optimiser states are copied
# first (a few MB for the built-in model) so a stop between micro-batches can put them back. Larger
# models finish their update (a copy of a 0.5B model and its Adam states would cost GBs per step).
UPDATE_SNAPSHOT_MAX_PARAMS = 20_000_000


class Trainer:
    def __init__(self, cfg: dict, policy: LanguageModel, env_config: dict | None = None, emit=None, device="cpu"):
        self.cfg = cfg
        self.device = device
        # Every tensor of a step lives on `device`, the model's (tests/test_device.py checks it op by op).
        self.precision = resolve_precision(cfg.get("precision", "auto"), device)
        policy.precision = self.precision  # fp32 master weights; the trunk's forward passes as the policy says
        self.policy = policy.to(device)
        self.ref = copy.deepcopy(policy).to(device).eval()
        for p in self.ref.parameters():
            p.requires_grad_(False)
        self.critic = policy.with_value_head().to(device) if cfg["algo"] in NEEDS_CRITIC else None
        if self.critic is not None:
            self.critic.precision = self.precision
        self.env_config = env_config or {}
        self.emit = emit or (lambda event: None)
        # On CUDA the fused AdamW: one kernel per step, and its step counters live on the device (the default
        # implementation keeps them on the host); on the CPU the default one, as before.
        fused = {"fused": True} if torch.device(device).type == "cuda" else {}
        self.opt = torch.optim.AdamW(self.policy.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"], **fused)
        self.critic_opt = torch.optim.AdamW(self.critic.parameters(), lr=cfg["critic_lr"], **fused) if self.critic else None
        self.world = D.current()
        # Sampling differs per rank; everything that must agree across ranks (group filtering, signal
        # statistics, the mini-batch shuffle) is computed from gathered, global values.
        self.gen = torch.Generator(device=device).manual_seed(self._gen_seed())
        self.shuffle = random.Random(cfg["seed"])
        # Score a trajectory's turns as one sequence where its conversation allows (scoring.chains); False
        # scores every turn on its own: the simple path, which the fused one must equal (a test). Either
        # way a mini-batch is made of whole chains.
        self.fuse = True
        # hook(phase, done, total): called between a step's parts ("rollout"/"evaluating" turns with finished
        # episodes, "update" before the optimiser steps); the session answers stop and pause there.
        self.hook = _no_hook
        self._update_hook = _no_hook  # the hook inside the optimiser steps: only while they can be undone
        self._references: dict[int, tuple[float | None, float]] = {}

    def _gen_seed(self) -> int:
        return self.cfg["seed"] + 7919 * self.world.rank

    def set_hparams(self, changes: dict) -> None:
        self.cfg.update(changes)
        for g in self.opt.param_groups:
            g["lr"] = self.cfg["lr"]
        if self.critic_opt:
            for g in self.critic_opt.param_groups:
                g["lr"] = self.cfg["critic_lr"]

    # ---- checkpoints: everything that makes step N+1 after a resume equal step N+1 without one ----
    def _weights(self) -> dict:
        """Parameters and optimiser states (what an update changes)."""
        return {"policy": self.policy.state_dict(), "opt": self.opt.state_dict(),
                "critic": self.critic.state_dict() if self.critic else None,
                "critic_opt": self.critic_opt.state_dict() if self.critic_opt else None}

    def _load_weights(self, st: dict) -> None:
        self.policy.load_state_dict(st["policy"])
        self.opt.load_state_dict(st["opt"])
        if self.critic is not None:
            self.critic.load_state_dict(st["critic"])
            self.critic_opt.load_state_dict(st["critic_opt"])

    def state_dict(self) -> dict:
        return {**self._weights(), "gen": self.gen.get_state(), "shuffle": self.shuffle.getstate(), "cfg": dict(self.cfg)}

    def load_state_dict(self, st: dict) -> None:
        self._load_weights(st)
        try:
            self.gen.set_state(st["gen"].cpu())  # a generator's state is a host tensor whatever its device
        except RuntimeError:
            # Saved by a generator of another device type (a run resumed on a GPU after a CPU, say): its state
            # cannot be carried over; sampling goes on from a fresh, still seeded, state.
            self.gen.manual_seed(self._gen_seed() + 1)
            self.emit({"type": "log", "level": "warning",
                       "message": f"the checkpoint's sampling state came from another device type; resumed on {self.device} with a fresh seeded state (rollouts differ from an uninterrupted run)"})
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
        ref = scoring.reference_stats(self.ref, samples, self.device, micro, self.fuse)
        old = scoring.old_policy_stats(self.policy, samples, self.device, micro, self.fuse)
        offsets, pos = [], 0
        for s in samples:
            offsets.append(pos)
            pos += len(s.response_ids)
        tok = {**ref, **old}
        dev = tok["energy"].device
        longs = lambda x: torch.tensor(x, dtype=torch.long, device=dev)  # noqa: E731
        tok["roles"] = longs([r for s in samples for r in s.roles])
        tok["group"] = longs([s.group for s in samples for _ in s.response_ids])
        tok["traj"] = longs([s.traj for s in samples for _ in s.response_ids])
        return StepBatch(samples, tok, offsets)

    def filter_groups(self, trajs) -> set[int]:
        by_group: dict[int, list[float]] = {}
        for tr in trajs:
            by_group.setdefault(tr.group, []).append(tr.total_reward)
        var: dict[int, float] = {}
        for part in D.gather_objects({g: float(np.var(r)) for g, r in by_group.items()}, self.world):
            var.update(part)
        k = max(1, math.ceil(self.cfg["keep_top_groups"] * len(var)))
        return set(sorted(var, key=lambda g: (-var[g], g))[:k])

    # ---- the step ----
    def step(self, step: int) -> StepResult:
        c, t0 = self.cfg, time.perf_counter()
        w = self.world
        seeds = self.train_seeds(step)[w.rank :: w.size]  # whole groups per rank: prompt p goes to rank p % size
        rng = self.gen.get_state(), self.shuffle.getstate()
        try:
            trajs = rollout(self.policy, c["env"], self.env_config, seeds, c["group_size"],
                            temperature=c["temperature"], max_new_tokens=c["max_new_tokens"], max_context=c["max_context"],
                            generator=self.gen, malformed_role=c["malformed_role"], device=self.device,
                            on_turn=lambda done, total: self.hook("rollout", done, total))
            localize_groups(trajs, w)
            t_roll = time.perf_counter() - t0
            result = self.train_on(trajs)
        except StepInterrupted:
            # Nothing was updated yet: with the random states put back, a resume's step equals this one.
            self.gen.set_state(rng[0])
            self.shuffle.setstate(rng[1])
            raise
        n_gen = sum(len(t.response_ids) for tr in trajs for t in tr.turns)
        result.metrics["time_rollout_s"] = t_roll
        result.metrics["rollout_tokens_per_s"] = n_gen / max(1e-9, t_roll)
        result.metrics["time_step_s"] = time.perf_counter() - t0
        return result

    def train_on(self, trajs) -> StepResult:
        """Everything after the rollouts, in order."""
        c, t0 = self.cfg, time.perf_counter()
        batch = self.score(trajs)  # (1)
        tok = batch.tok
        ADVANTAGE[c["algo"]](self, trajs, batch)  # (2) sets tok["adv"] (and PPO's returns)
        kept_groups = self.filter_groups(trajs)  # (3)
        keep = torch.tensor([int(g) in kept_groups for g in tok["group"].tolist()], device=tok["group"].device)
        tok["weight"], signal_stats = WEIGHTING[c["weighting"]](c, tok, keep, self.world)  # (4)
        group_rewards: dict[int, list[float]] = {}
        for tr in trajs:
            group_rewards.setdefault(tr.group, []).append(tr.total_reward)
        diag = self.diagnosis(group_rewards, tok, tok["weight"])  # (5)
        diag_groups = diag.pop("group_points")
        self.hook("update", 0, 1)  # the last point a step can be abandoned: the optimiser steps run to their end
        upd = self.update(batch, [i for i, s in enumerate(batch.samples) if s.group in kept_groups])  # (6)
        dt = time.perf_counter() - t0
        metrics = {**self.step_metrics(trajs, batch, signal_stats), "groups_kept": len(kept_groups),  # (7)
                   "time_train_s": dt, "train_tokens_per_s": len(tok["roles"]) / max(1e-9, dt),
                   **upd, **{f"diag/{k}": v for k, v in diag.items()}}
        return StepResult(metrics, trajs, batch, diag_groups)

    def step_metrics(self, trajs, batch: StepBatch, signal_stats: tuple | None) -> dict:
        """Means over every rank's trajectories, samples and tokens (sums all-reduced, then divided)."""
        tok = batch.tok
        r_sum, succ, n_traj, valid, n_samp, n_tok, kl, ent = D.all_sum([
            float(sum(t.total_reward for t in trajs)), float(sum(t.success for t in trajs)), float(len(trajs)),
            float(sum(s.valid for s in batch.samples)), float(len(batch.samples)), float(len(tok["roles"])),
            float((tok["old_logprob"] - tok["ref_logprob"]).double().sum()), float(tok["entropy"].double().sum())], self.world)
        return {
            "reward_mean": r_sum / n_traj,
            "success_rate": succ / n_traj,
            "valid_turn_rate": valid / n_samp,
            "response_tokens_mean": n_tok / n_samp,
            "turns_mean": n_samp / n_traj,
            "kl_ref": kl / n_tok,
            "entropy": ent / n_tok,
            "signal_mu": signal_stats[0] if signal_stats else None,
            "signal_sigma": signal_stats[1] if signal_stats else None,
        }

    def diagnosis(self, group_rewards: dict, tok: dict, w: torch.Tensor) -> dict:
        if self.world.size == 1:
            return diagnose(group_rewards, tok["group"], tok["traj"], tok["roles"], tok["energy"], tok["ref_entropy"], w)
        # Groups live on one rank each; the correlation is over all of them: gather the per-token data (as
        # host copies: objects are pickled, and a device tensor would unpickle onto the sender's device).
        mine = {"group": tok["group"], "traj": tok["traj"] * self.world.size + self.world.rank, "roles": tok["roles"],
                "energy": tok["energy"], "ref_entropy": tok["ref_entropy"], "w": w}
        parts = D.gather_objects({"rewards": group_rewards, **{k: v.cpu() for k, v in mine.items()}}, self.world)
        rewards: dict = {}
        for p in parts:
            rewards.update(p["rewards"])
        cat = {k: torch.cat([p[k] for p in parts]) for k in ("group", "traj", "roles", "energy", "ref_entropy", "w")}
        return diagnose(rewards, cat["group"], cat["traj"], cat["roles"], cat["energy"], cat["ref_entropy"], cat["w"])

    def update(self, batch: StepBatch, idx: list[int]) -> dict:
        """Epochs of shuffled mini-batches over the kept samples' units (a trajectory, or the part of it
        scored as one sequence: scoring.chains); mini_batch_size and micro_batch_size count units.

        One loop for one process and for data parallelism: the units of every rank are shuffled in
        single-process order with the same RNG, so every rank forms the same global mini-batches; each
        rank computes the part it holds, normalised by the mini-batch's global weight sum and token count,
        and gradients are summed (in one process every sum is over that process alone)."""
        units = [[idx[i] for i in u] for u in scoring.chains([batch.samples[i] for i in idx])]
        out = {"loss": [], "pg_loss": [], "clipfrac": [], "grad_norm": [], "value_loss": [], "skipped": 0}
        self.policy.train()
        # A stop between micro-batches (session.within_step) puts the parameters and optimiser states back;
        # under data parallelism the ranks would have to agree on it, so there an update runs to its end.
        undoable = self.hook is not _no_hook and self.world.size == 1
        snapshot = self._snapshot() if undoable else None
        self._update_hook = self.hook if snapshot is not None else _no_hook
        try:
            self._update_loop(batch, units, out)
        except StepInterrupted:
            self._restore(snapshot)  # as if the update never began
            raise
        finally:
            self._update_hook = _no_hook
        return self._update_summary(out, out.pop("skipped"))

    def _snapshot(self) -> dict | None:
        models = [m for m in (self.policy, self.critic) if m is not None]
        if sum(p.numel() for m in models for p in m.parameters()) > UPDATE_SNAPSHOT_MAX_PARAMS:
            return None
        return copy.deepcopy(self._weights())

    def _restore(self, snap: dict) -> None:
        self._load_weights(snap)
        self.opt.zero_grad(set_to_none=True)

    def _update_loop(self, batch: StepBatch, units: list, out: dict) -> None:
        c, tok, world = self.cfg, batch.tok, self.world
        key = lambda s: (s.group, s.rank_in_group, s.turn)  # noqa: E731 - single-process order of a unit's first sample
        mine = {key(batch.samples[u[0]]): u for u in units}
        everyone = sorted(k for part in D.gather_objects(list(mine), world) for k in part)
        for _ in range(c["ppo_epochs"]):
            order = everyone[:]
            self.shuffle.shuffle(order)  # same RNG on every rank: the same global order
            for m in range(0, len(order), c["mini_batch_size"]):
                mb = [mine[k] for k in order[m : m + c["mini_batch_size"]] if k in mine]
                flat = _flat_index(batch, [i for u in mb for i in u])
                w_sum, n_tokens = D.all_sum([float(tok["weight"][flat].double().sum()), float(flat.numel())], world)
                if w_sum <= 0.0:
                    out["skipped"] += 1
                    self._warn_zero_weights()
                    continue
                w_sum_t = torch.tensor(w_sum, dtype=torch.float32, device=flat.device)
                loss, pg_loss, clipped, vloss, gn = self._minibatch(batch, mb, w_sum_t, n_tokens)
                loss, pg_loss, clipped, vloss = D.all_sum([loss, pg_loss, clipped, vloss], world)
                for k, v in zip(("loss", "pg_loss", "clipfrac", "grad_norm", "value_loss"), (loss, pg_loss, clipped / n_tokens, gn, vloss)):
                    out[k].append(v)

    def _warn_zero_weights(self) -> None:
        self.emit({"type": "log", "level": "warning",
                   "message": "skipped a mini-batch whose token weights sum to 0 (alpha = 0 and no action tokens?)"})

    def _minibatch(self, batch: StepBatch, mb: list[list[int]], w_sum: torch.Tensor, n_tokens: float) -> tuple[float, float, float, float, float]:
        """One optimiser step over the units `mb` (this rank's part of the mini-batch), accumulated
        over micro-batches of units; the loss is normalised by the whole mini-batch's weight sum and token
        count. Returns this rank's loss, pg loss, clipped-token count, value loss, and the grad norm."""
        c, tok = self.cfg, batch.tok
        self.opt.zero_grad(set_to_none=True)
        if self.critic_opt:
            self.critic_opt.zero_grad(set_to_none=True)
        tot, tot_pg, clipped, vloss = 0.0, 0.0, 0.0, 0.0
        if self.fuse:  # micro-batches of alike lengths pad less (scoring.by_length); their gradients sum the same
            mb = scoring.by_length(batch.samples, mb)
        for u in range(0, len(mb), c["micro_batch_size"]):
            self._update_hook("update", u, len(mb))
            part = [i for unit in mb[u : u + c["micro_batch_size"]] for i in unit]
            fi = _flat_index(batch, part)
            st = scoring.policy_stats(self.policy, [batch.samples[i] for i in part], self.device, self.fuse)
            lp = st["logprob"]
            pg, clip = clipped_surrogate(lp, tok["old_logprob"][fi], tok["adv"][fi], c["clip_low"], c["clip_high"])
            loss_pg = weighted_token_mean(pg, tok["weight"][fi], w_sum)
            loss = loss_pg - c["entropy_coef"] * st["entropy"].sum() / n_tokens
            if c["kl_coef"] > 0:
                loss = loss + c["kl_coef"] * kl_penalty(lp, tok["ref_logprob"][fi], c["kl_type"]).sum() / n_tokens
            loss.backward()
            tot += float(loss.detach())
            tot_pg += float(loss_pg.detach())
            clipped += float(clip.float().sum())
            if self.critic is not None:
                v = scoring.critic_values(self.critic, [batch.samples[i] for i in part], self.device, self.fuse).float()
                vl = 0.5 * ((v - tok["returns"][fi]) ** 2).sum() / n_tokens
                vl.backward()
                vloss += float(vl.detach())
        clip_to = c["grad_clip"] if c["grad_clip"] > 0 else float("inf")
        D.all_reduce_grads(list(self.policy.parameters()), self.world)  # identity in one process
        gn = torch.nn.utils.clip_grad_norm_(self.policy.parameters(), clip_to)
        self.opt.step()
        if self.critic_opt:
            D.all_reduce_grads(list(self.critic.parameters()), self.world)
            torch.nn.utils.clip_grad_norm_(self.critic.parameters(), clip_to)
            self.critic_opt.step()
        return tot, tot_pg, clipped, vloss, float(gn)

    def _update_summary(self, out: dict, skipped: int) -> dict:
        self.policy.eval()
        res = {k: (float(np.mean(v)) if v else None) for k, v in out.items()}
        res["skipped_minibatches"] = skipped
        if self.critic is None:
            res.pop("value_loss")
        return res

    @torch.no_grad()
    def evaluate(self, prompts: int | None = None) -> dict:
        c = self.cfg
        n = prompts or c["eval_prompts"]
        trajs = rollout(self.policy, c["env"], self.env_config, [EVAL_SEED_BASE + i for i in range(n)], 1,
                        temperature=c["eval_temperature"], max_new_tokens=c["max_new_tokens"], max_context=c["max_context"],
                        generator=torch.Generator(device=self.device).manual_seed(c["seed"] + 1), device=self.device,
                        on_turn=lambda done, total: self.hook("evaluating", done, total))
        out = {"eval/success_rate": float(np.mean([t.success for t in trajs])),
               "eval/reward_mean": float(np.mean([t.total_reward for t in trajs])),
               "eval/valid_turn_rate": float(np.mean([s.valid for t in trajs for s in t.turns]))}
        # The references a success rate is read against (drawn on the dashboard): the best any policy can
        # reach where the environment computes it (FrozenLake), and the expert solver's success.
        best, expert = self.references(n)
        if best is not None:
            out["eval/optimal_success"] = best
        out["eval/expert_success"] = expert
        # Success as a fraction of each reference: what the sanity table judges, comparable across environments.
        for key, ref in (("eval/success_of_optimum", best), ("eval/success_of_expert", expert)):
            if ref:
                out[key] = out["eval/success_rate"] / ref
        return out

    def references(self, n: int) -> tuple[float | None, float]:
        """(optimum, expert) on the first n held-out episodes: the mean of the best success any policy can
        reach (None where the environment does not compute it) and of the expert solver's success, within
        the episodes' budget; the same episodes every evaluation, so computed once."""
        if n not in self._references:
            best, expert = [], []
            for i in range(n):
                env = make_env(self.cfg["env"], **self.env_config)
                env.reset(EVAL_SEED_BASE + i)
                best.append(env.optimal_success())
                expert.append(env.expert_success())
            self._references[n] = (None if any(v is None for v in best) else float(np.mean(best)), float(np.mean(expert)))
        return self._references[n]


# Advantage estimators (`algo`): f(trainer, trajs, batch) sets batch.tok["adv"] (and what else the update
# needs, e.g. PPO's returns) for every response token. NEEDS_CRITIC: the algorithms that train a critic.
ADVANTAGE = Registry("algo")
NEEDS_CRITIC = {"ppo"}


@ADVANTAGE.register("grpo")
def _grpo(tr: Trainer, trajs, batch: StepBatch) -> None:
    tok, dev = batch.tok, batch.tok["roles"].device
    rewards = torch.tensor([t.total_reward for t in trajs], dtype=torch.float32, device=dev)
    groups = torch.tensor([t.group for t in trajs], dtype=torch.long, device=dev)
    tok["adv"] = grpo_advantages(rewards, groups, tr.cfg["adv_eps"])[tok["traj"]].float()


@ADVANTAGE.register("ppo")
def _ppo_gae(tr: Trainer, trajs, batch: StepBatch) -> None:
    c, tok = tr.cfg, batch.tok
    values = scoring.values_no_grad(tr.critic, batch.samples, tr.device, c["micro_batch_size"], tr.fuse)
    tok["values"] = values
    tok["adv"] = torch.zeros_like(values)
    tok["returns"] = torch.zeros_like(values)
    first = 0  # samples hold each trajectory's turns in order
    for t in trajs:
        idx = _flat_index(batch, list(range(first, first + len(t.turns))))
        first += len(t.turns)
        r = torch.tensor([0.0] * (len(idx) - 1) + [t.total_reward], device=values.device)  # the episode's reward after its last token
        a, ret = gae(r, values[idx], c["gamma"], c["lam"])
        tok["adv"][idx], tok["returns"][idx] = a, ret


def localize_groups(trajs, world: D.World) -> None:
    """Rank r holds prompts r, r + size, …: give its groups their global ids, and number each rollout
    within its group, so samples can be ordered as a single process would order them."""
    seen: dict[int, int] = {}
    for tr in trajs:
        tr.group = world.rank + world.size * tr.group
        k = seen.get(tr.group, 0)
        seen[tr.group] = k + 1
        for s in tr.turns:
            s.group = tr.group
            s.rank_in_group = k


__all__ = ["Trainer", "StepResult", "ACTION", "token_stats", "localize_groups"]
