"""verl's PPO/GRPO trainer with ActFocus weights (verl's `RayPPOTrainer`, the `trainer.use_v1=false` path).

Two of the trainer's steps change, nothing else: the reference pass also returns token energies (through the
registered EnergyFSDPEngine, ref_energy.py), and before each actor update the ActFocus weights over the
step's response tokens are attached to the batch (weights.py), where the registered `actfocus` policy loss
reads them. Settings come from the run's config under `actfocus` (hydra: `+actfocus.env=sokoban
+actfocus.alpha=0.1 …`), validated like the host's own hyperparameters, defaults the host's (the paper's).
`python -m actfocus.integrations.verl.main_ppo` runs verl's PPO entry point with this trainer.
"""

from __future__ import annotations

from typing import Any

from verl import DataProto
from verl.trainer.ppo.ray_trainer import RayPPOTrainer

from actfocus.config import make_config
from actfocus.integrations.verl.ref_energy import compute_ref_energy
from actfocus.integrations.verl.weights import actfocus_token_weights, attach_weights, parser_for, token_roles

SETTINGS = ("alpha", "beta", "signal", "sigma_eps", "other_weight", "malformed_role")
# Signals whose per-token tensor the trainer has at the update (energy from its reference pass, the log-probs
# verl computes anyway); ref_entropy would need a second reference output and is not wired here.
SIGNALS = ("energy", "policy_nll", "logprob_shift")


def actfocus_settings(config) -> dict[str, Any]:
    """The run's `actfocus` section: env (required, names the turn parser), env_config, and the host's
    ActFocus hyperparameters with the host's defaults and checks."""
    section = dict(config.get("actfocus") or {})
    env = section.pop("env", None)
    if not env:
        raise ValueError("the ActFocus trainer needs actfocus.env (the environment whose turns it parses), e.g. +actfocus.env=sokoban")
    env_config = dict(section.pop("env_config", None) or {})
    unknown = sorted(set(section) - set(SETTINGS))
    if unknown:
        raise ValueError(f"actfocus: unknown setting(s) {', '.join(unknown)}; known: env, env_config, {', '.join(SETTINGS)}")
    cfg = make_config({k: section[k] for k in SETTINGS if k in section})
    if cfg["signal"] not in SIGNALS:
        raise ValueError(f"actfocus.signal={cfg['signal']!r} is not available in the verl trainer; use one of {', '.join(SIGNALS)}")
    return {"env": env, "env_config": env_config, **{k: cfg[k] for k in SETTINGS}}


class ActFocusRayPPOTrainer(RayPPOTrainer):
    def _actfocus(self) -> dict[str, Any]:
        if not hasattr(self, "_actfocus_cfg"):
            self._actfocus_cfg = actfocus_settings(self.config)
            self._actfocus_parse = parser_for(self._actfocus_cfg["env"], **self._actfocus_cfg["env_config"])
        return self._actfocus_cfg

    def _compute_ref_log_prob(self, batch: DataProto) -> DataProto:
        if self._actfocus()["signal"] != "energy":
            return super()._compute_ref_log_prob(batch)
        group = self.actor_rollout_wg if self.ref_in_actor else self.ref_policy_wg
        ref_log_prob, ref_energy = compute_ref_energy(group, batch, ref_in_actor=self.ref_in_actor)
        return DataProto.from_dict(tensors={"ref_log_prob": ref_log_prob, "ref_energy": ref_energy})

    def _update_actor(self, batch: DataProto) -> DataProto:
        cfg, t = self._actfocus(), batch.batch
        eos = frozenset(i for i in (self.tokenizer.eos_token_id, self.tokenizer.pad_token_id) if i is not None)
        roles = token_roles(t["responses"], t["response_mask"], self.tokenizer.decode, self._actfocus_parse,
                            malformed_role=cfg["malformed_role"], eos_ids=eos)
        have = set(t.keys())

        def field(k):
            return t[k] if k in have else None

        w = actfocus_token_weights(roles, t["response_mask"], energy=field("ref_energy"), old_log_prob=field("old_log_probs"),
                                   ref_log_prob=field("ref_log_prob"), alpha=cfg["alpha"], beta=cfg["beta"], signal=cfg["signal"],
                                   eps=cfg["sigma_eps"], other_weight=cfg["other_weight"])
        attach_weights(t, w)
        return super()._update_actor(batch)
