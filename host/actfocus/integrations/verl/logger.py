"""verl runs as ActFocus run directories (docs/protocol.md), so the extension shows them like its own.

`ActFocusRunLogger` has verl's tracking-backend interface (`log(data, step)`, `finish()`): attach it to
the trainer's `Tracking` object (`tracker.logger["actfocus"] = ActFocusRunLogger(...)`, docs/verl.md).
It writes run.json, events.jsonl (verl's metrics under their own names, plus our names for the ones the
dashboard charts: reward_mean, success_rate, response_tokens_mean, entropy, kl_ref), a heartbeat, and —
through `log_batch` — sampled trajectories with per-token data (roles, log-probs, energies, weights,
advantages) from a padded verl batch. Only rank 0 should create it.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import random

import torch

from actfocus import __version__
from actfocus.integrations.verl.weights import Decode, turn_segments
from actfocus.run import protocol as P
from actfocus.run.trajstore import COLUMNS
from actfocus.run.writer import RunWriter

# verl metric name → the name our dashboard charts (docs/protocol.md)
ALIASES = {"critic/score/mean": "reward_mean", "critic/rewards/mean": "reward_mean", "response_length/mean": "response_tokens_mean",
           "actor/entropy": "entropy", "actor/kl_loss": "kl_ref", "val-core/success_rate": "eval/success_rate",
           "training/success_rate": "success_rate"}


def _flatten(cfg, prefix: str = "") -> dict:
    try:  # an OmegaConf DictConfig (verl's configuration) → plain containers
        from omegaconf import OmegaConf

        if OmegaConf.is_config(cfg):
            cfg = OmegaConf.to_container(cfg, resolve=True)
    except ImportError:
        pass
    out = {}
    for k, v in (cfg or {}).items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, name + "."))
        elif isinstance(v, (str, int, float, bool)) or v is None:
            out[name] = v
    return out


def _number(v):
    if isinstance(v, torch.Tensor) and v.numel() == 1:
        v = v.item()
    if hasattr(v, "item") and not isinstance(v, (int, float)):
        try:
            v = v.item()
        except (ValueError, TypeError):
            return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


class ActFocusRunLogger:
    def __init__(self, run_dir: str, config=None, *, env: str = "verl", actfocus: dict | None = None, run_id: str | None = None):
        flat = _flatten(config)
        cfg = {"engine": "verl", "env": env, **(actfocus or {}),
               "algo": flat.get("algorithm.adv_estimator"), "lr": flat.get("actor_rollout_ref.actor.optim.lr"),
               "steps": flat.get("trainer.total_training_steps"), "group_size": flat.get("actor_rollout_ref.rollout.n"),
               "verl": flat}
        versions = {"actfocus": __version__, "protocol": str(P.PROTOCOL_VERSION), "torch": torch.__version__}
        try:
            versions["verl"] = importlib.metadata.version("verl")
        except importlib.metadata.PackageNotFoundError:
            pass  # the logger works without verl (a tool writing verl-shaped batches)
        self.w = RunWriter.create(run_dir, run_id or os.path.basename(os.path.abspath(run_dir)), cfg, versions)
        self.w.update(status="running")
        self.w.emit({"type": "status", "status": "running"}, step=0)
        hp = {k: v for k, v in {**(actfocus or {}), "algo": cfg["algo"], "lr": cfg["lr"]}.items() if v is not None}
        self.w.emit({"type": "hparams", "values": hp, "source": "start"}, step=0)
        self.finished = False

    # ---- verl's tracking-backend interface ----
    def log(self, data: dict, step: int) -> None:
        m = {}
        for k, v in data.items():
            x = _number(v)
            if x is not None:
                m[k] = x
                if k in ALIASES:
                    m.setdefault(ALIASES[k], x)
        if m:
            self.w.emit({"type": "metrics", **m}, step=step)
        self.w.end_step(step)

    def finish(self, exit_code: int = 0) -> None:
        if not self.finished:
            self.finished = True
            self.w.close("completed" if exit_code == 0 else "failed", reason=None if exit_code == 0 else f"exit code {exit_code}")

    # ---- trajectories ----
    def log_batch(self, step: int, *, responses: torch.Tensor, response_mask: torch.Tensor, decode: Decode, rewards: list[float],
                  group: list[int], roles: torch.Tensor, old_log_prob: torch.Tensor, advantages: torch.Tensor,
                  ref_log_prob: torch.Tensor | None = None, entropy: torch.Tensor | None = None, ref_entropy: torch.Tensor | None = None,
                  energy: torch.Tensor | None = None, weights: torch.Tensor | None = None, success: list[bool] | None = None,
                  prompts: list[str] | None = None, observations: list[list[str]] | None = None, k: int | None = 8, seed: int = 0) -> int:
        """Store K sampled trajectories (all when k is None) of a padded batch; returns how many."""
        rows = list(range(responses.shape[0]))
        if k is not None and k < len(rows):
            rows = sorted(random.Random(seed * 1_000_003 + step).sample(rows, k))
        zeros = torch.zeros(responses.shape)
        per = {"logprob": old_log_prob, "ref_logprob": ref_log_prob, "entropy": entropy, "ref_entropy": ref_entropy,
               "energy": energy, "weight": weights, "advantage": advantages}
        for b in rows:
            cols: dict[str, list] = {n: [] for n, _ in COLUMNS}
            turns, start = [], 0
            for t, (s, e) in enumerate(turn_segments(response_mask[b])):
                ids = responses[b, s:e].tolist()
                pieces = [decode(ids[: i + 1])[len(decode(ids[:i])):] for i in range(len(ids))]
                cols["token_id"] += ids
                cols["text"] += pieces
                cols["role"] += roles[b, s:e].tolist()
                for name, src in per.items():
                    cols[name] += (src if src is not None else zeros)[b, s:e].float().tolist()
                obs = observations[b][t] if observations and t < len(observations[b]) else ""
                turns.append({"observation": obs, "text": "".join(pieces), "start": start, "n_tokens": e - s, "valid": True,
                              "reward": float(rewards[b]) if t == 0 else 0.0})
                start += e - s
            ok = bool(success[b]) if success is not None else float(rewards[b]) > 0
            header = {"step": step, "index": b, "group": int(group[b]), "seed": int(group[b]), "env": self.w.run["config"]["env"],
                      "reward": float(rewards[b]), "success": ok, "advantage": float(cols["advantage"][0]) if start else None,
                      "system": prompts[b] if prompts else "", "turns": turns, "n_tokens": start}
            self.w.trajectories.append(header, cols)
        return len(rows)
