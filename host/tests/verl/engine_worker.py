"""verl's own engine workers, with reference energies and the actfocus loss (run by
test_verl_ref_energy.py in a process of its own: it installs a verl platform and a process group).

    python engine_worker.py OUT.json [cpu|cuda]

On "cpu" (the default) verl gets a CPU platform of ours; on "cuda" verl runs on its own CUDA platform, and the
host's numbers come from the same model on the same device.

1. A tiny Qwen2 model (the host test's) is saved and loaded by verl's TrainingWorker with its FSDP2 engine —
   the registered EnergyFSDPEngine — once as the reference, once as the actor (with an optimiser).
2. A verl-shaped batch (left-padded prompts, right-padded responses, one multi-turn response whose
   environment tokens are masked out) goes through `compute_ref_energy`: verl's reference pass with
   `calculate_energy`. The host computes the same energies and log-probs from the model's own logits.
3. ActFocus weights from those energies (signal "energy") ride in `rollout_is_weights` into verl's actor
   update (`TrainingWorker.train_batch` with verl's `ppo_loss` and loss_mode "actfocus").
Everything compared is written to OUT.json for the test to assert on.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

DEVICE = sys.argv[2] if len(sys.argv) > 2 else "cpu"
if DEVICE == "cpu":
    import cpu_platform  # noqa: E402

    cpu_platform.install()  # before any verl code asks which platform it runs on

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

# One process; its group meets through a file, not a port (no port to race other processes for).
# verl's workers read their rank from the environment, and keep a group they find initialised (they would
# ask for "cpu:gloo,cpu:gloo", which PyTorch refuses).
os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT="0")
if DEVICE == "cuda":
    torch.cuda.set_device(0)
dist.init_process_group("gloo" if DEVICE == "cpu" else "cpu:gloo,cuda:nccl", init_method=f"file://{tempfile.mkdtemp(prefix='verl-pg-')}/store", rank=0, world_size=1)

from test_policy import tiny_hf_model  # noqa: E402
from verl import DataProto  # noqa: E402
from verl.utils import tensordict_utils as tu  # noqa: E402
from verl.workers.config import FSDPActorConfig, FSDPEngineConfig, FSDPOptimizerConfig, HFModelConfig  # noqa: E402
from verl.workers.config.engine import TrainingWorkerConfig  # noqa: E402
from verl.workers.engine_workers import TrainingWorker  # noqa: E402
from verl.workers.utils.losses import ppo_loss  # noqa: E402
from verl.workers.utils.padding import left_right_2_no_padding  # noqa: E402

from actfocus.algos.losses import clipped_surrogate, weighted_token_mean  # noqa: E402
from actfocus.algos.roles import ACTION  # noqa: E402
from actfocus.integrations.verl import loss as _plugin_loss  # noqa: E402,F401  (registers loss_mode "actfocus")
from actfocus.integrations.verl.ref_energy import EnergyFSDPEngine, compute_ref_energy, register  # noqa: E402
from actfocus.integrations.verl.weights import actfocus_token_weights, attach_weights, parser_for, reference_energy, token_roles  # noqa: E402

out_path = sys.argv[1]
register()
register()  # idempotent (Ray's set-up hook and an import may both call it)
model, tok = tiny_hf_model()
with torch.no_grad():  # sharper logits: energies that differ clearly from token to token (a random init is near-uniform)
    model.model.norm.weight.mul_(40.0)
model_dir = tempfile.mkdtemp(prefix="verl-tiny-")
model.save_pretrained(model_dir)
tok.save_pretrained(model_dir)
torch.manual_seed(0)


def worker(with_optimizer: bool, remove_padding: bool = True) -> TrainingWorker:
    engine = FSDPEngineConfig(strategy="fsdp2", mixed_precision={"param_dtype": "fp32", "reduce_dtype": "fp32", "buffer_dtype": "fp32"},
                              use_dynamic_bsz=False, infer_micro_batch_size_per_gpu=2, micro_batch_size_per_gpu=2)
    cfg = TrainingWorkerConfig(model_type="language_model",
                               model_config=HFModelConfig(path=model_dir, override_config={"attn_implementation": "sdpa"}, use_remove_padding=remove_padding),
                               engine_config=engine, optimizer_config=FSDPOptimizerConfig(lr=1e-2 if with_optimizer else 0.0))
    w = TrainingWorker(config=cfg)
    w.reset()
    return w


# ---- a verl-shaped batch: prompts left-padded, responses right-padded, environment tokens masked out ----
turns = [["<think>go down</think><answer>Down</answer>"],
         ["<think>right then</think><answer>Right</answer>", "You moved right.", "<think>down</think><answer>Down</answer>"],
         ["<think>hmm</think><answer>Jump</answer>"],
         ["<think>left is the hole, so down</think><answer>Down || Down</answer>", "You moved down twice.", "<think>right</think><answer>Right</answer>"]]
prompts = [tok.encode(p) for p in ("Where next?", "You are at the start of the lake. Where next?", "Go.", "Next?")]
rows, masks = [], []
for parts in turns:
    ids, m = [], []
    for k, text in enumerate(parts):
        piece = tok.encode(text) + ([tok.eos_token_id] if k % 2 == 0 else [])
        ids += piece
        m += [1 if k % 2 == 0 else 0] * len(piece)  # odd parts are the environment's observation
    rows.append(ids)
    masks.append(m)
B, P, R = len(rows), max(map(len, prompts)), max(map(len, rows))
pad = tok.pad_token_id
prompt_t = torch.full((B, P), pad)
resp_t = torch.full((B, R), pad)
attn = torch.zeros(B, P + R, dtype=torch.long)
resp_mask = torch.zeros(B, R, dtype=torch.long)
for b in range(B):
    prompt_t[b, P - len(prompts[b]):] = torch.tensor(prompts[b])
    resp_t[b, : len(rows[b])] = torch.tensor(rows[b])
    attn[b, P - len(prompts[b]): P + len(rows[b])] = 1
    resp_mask[b, : len(rows[b])] = torch.tensor(masks[b])
position_ids = (attn.cumsum(-1) - 1).clamp(min=0)
batch = DataProto.from_dict(tensors={"prompts": prompt_t, "responses": resp_t, "input_ids": torch.cat([prompt_t, resp_t], 1),
                                     "attention_mask": attn, "position_ids": position_ids, "response_mask": resp_mask},
                            meta_info={"temperature": 1.0})

# ---- the host's numbers, from the model's own logits, one unpadded sequence at a time ----
host_energy = torch.zeros(B, R)
host_logprob = torch.zeros(B, R)
LOGIT_MAX = 0.0
model.to(DEVICE)  # the same device as verl's pass: the comparison is of code paths, not of devices' kernels
with torch.no_grad():
    for b in range(B):
        ids = torch.tensor([prompts[b] + rows[b]], device=DEVICE)
        logits = model(ids).logits[0, len(prompts[b]) - 1: -1].double().cpu()
        LOGIT_MAX = max(LOGIT_MAX, float(logits.abs().max()))
        host_energy[b, : len(rows[b])] = reference_energy(logits)
        host_logprob[b, : len(rows[b])] = torch.log_softmax(logits, -1).gather(-1, torch.tensor(rows[b])[:, None])[:, 0].float()

# ---- verl's reference pass with energies ----
ref = worker(False)


class RefGroup:
    """What ActorRolloutRefWorker.compute_ref_log_prob does with its reference TrainingWorker."""

    def compute_ref_log_prob(self, td):
        return ref.infer_batch(td).cpu()


ref_logprob, ref_energy = compute_ref_energy(RefGroup(), batch)
real = torch.arange(R)[None] < torch.tensor([len(r) for r in rows])[:, None]  # every response token, observations included
result = {"device": DEVICE, "verl_device": str(next(ref.engine.module.parameters()).device),
          "engine": type(ref.engine).__name__, "is_energy_engine": isinstance(ref.engine, EnergyFSDPEngine),
          "energy_max_abs_diff": float((ref_energy - host_energy)[real].abs().max()),
          "logprob_max_abs_diff": float((ref_logprob - host_logprob)[real].abs().max()),
          "energy_tokens": int(real.sum()), "energy_spread": float(host_energy[real].std()),
          "energy_max_abs": float(host_energy[real].abs().max()), "logit_max_abs": LOGIT_MAX}
# The same through the engine's padded layout (use_remove_padding off).
padded_ref = worker(False, remove_padding=False)


class PaddedRefGroup:
    def compute_ref_log_prob(self, td):
        return padded_ref.infer_batch(td).cpu()


_, padded_energy = compute_ref_energy(PaddedRefGroup(), batch)
result["padded_energy_max_abs_diff"] = float((padded_energy - host_energy)[real].abs().max())

# Without the flag the output is verl's own: no energy.
plain = left_right_2_no_padding(batch.to_tensordict())
tu.assign_non_tensor(plain, calculate_entropy=False, compute_loss=False)
result["energy_without_flag"] = "energy" in ref.infer_batch(plain).keys()

# ---- ActFocus weights from the reference energies, through verl's actor update ----
roles = token_roles(resp_t, resp_mask, lambda ids: tok.decode(ids), parser_for("frozenlake"), eos_ids=frozenset({tok.eos_token_id}))
alpha, beta = 0.1, 0.5
weights = actfocus_token_weights(roles, resp_mask, energy=ref_energy, alpha=alpha, beta=beta, signal="energy")
advantages = torch.tensor([[1.0], [-0.5], [0.25], [-1.0]]).expand(B, R) * resp_mask
train = DataProto.from_dict(tensors={**batch.batch, "old_log_probs": ref_logprob, "advantages": advantages}, meta_info={"temperature": 1.0})
attach_weights(train.batch, weights)
actor = worker(True)
actor_cfg = FSDPActorConfig(strategy="fsdp2", rollout_n=1, ppo_mini_batch_size=B, ppo_micro_batch_size_per_gpu=2,
                            clip_ratio=0.2, clip_ratio_low=0.2, clip_ratio_high=0.28, clip_ratio_c=3.0,
                            loss_agg_mode="token-mean", policy_loss={"loss_mode": "actfocus"})
actor.set_loss_fn(partial(ppo_loss, config=actor_cfg))
before = [p.detach().clone() for p in actor.engine.module.parameters()]
td = left_right_2_no_padding(train.to_tensordict())
tu.assign_non_tensor(td, calculate_entropy=False, global_batch_size=B, mini_batch_size=B, epochs=1, seed=0,
                     dataloader_kwargs={"shuffle": False}, compute_loss=True)
metrics = tu.get(actor.train_batch(td), "metrics")
after = list(actor.engine.module.parameters())
# The first update starts from the reference's weights: ratio 1, so the host's loss is -Σ w·A / Σ w.
m = resp_mask.bool()
pg, _ = clipped_surrogate(ref_logprob[m], ref_logprob[m], advantages[m], 0.2, 0.28)
host_loss = float(weighted_token_mean(pg, weights[m], weights[m].sum()))


def number(v):
    """A metric as a float: verl returns numbers, lists of per-micro-batch numbers or Metric objects."""
    if hasattr(v, "aggregate"):  # verl's Metric: its values aggregated as verl reports them
        return float(v.aggregate())
    if isinstance(v, (list, tuple)):
        return sum(map(number, v)) / len(v)
    return float(v)


result.update({"actor_metrics": {k: number(v) for k, v in metrics.items() if k.startswith("actor/") or k in ("loss", "grad_norm")},
               "host_pg_loss": host_loss, "parameters_changed": any(not torch.equal(a, b.detach()) for a, b in zip(before, after)),
               "action_tokens": int((roles == ACTION).sum()),
               "weights": {"min": float(weights[m].min()), "max": float(weights[m].max())}})
# ---- the same through the ActFocus trainer's two steps (verl's RayPPOTrainer code, our overrides) ----
from omegaconf import OmegaConf  # noqa: E402

from actfocus.integrations.verl.trainer import ActFocusRayPPOTrainer  # noqa: E402


class ActorGroup:
    """What verl's ActorRolloutRefWorker.update_actor does with its actor TrainingWorker."""

    def __init__(self, w):
        self.w = w

    def update_actor(self, td):
        return self.w.train_mini_batch(td)


fresh_actor = worker(True)
fresh_actor.set_loss_fn(partial(ppo_loss, config=actor_cfg))
trainer = ActFocusRayPPOTrainer.__new__(ActFocusRayPPOTrainer)  # the steps under test need no Ray workers
trainer.config = OmegaConf.create({
    "actfocus": {"env": "frozenlake", "alpha": alpha, "beta": beta},
    "actor_rollout_ref": {"rollout": {"multi_turn": {"enable": True}, "temperature": 1.0, "n": 1},
                          "actor": {"calculate_entropy": False, "entropy_coeff": 0.0, "ppo_mini_batch_size": B, "ppo_epochs": 1,
                                    "data_loader_seed": 0, "shuffle": False}}})
trainer.tokenizer, trainer.ref_in_actor, trainer.ref_policy_wg, trainer.actor_rollout_wg = tok, False, RefGroup(), ActorGroup(fresh_actor)
step = batch.union(trainer._compute_ref_log_prob(batch))
step.batch["old_log_probs"], step.batch["advantages"] = step.batch["ref_log_prob"].clone(), advantages
step.meta_info["global_token_num"] = attn.sum(-1).tolist()  # as verl's fit() sets it before the update
out = trainer._update_actor(step)
trainer_metrics = {k: number(v) for k, v in out.meta_info["metrics"].items() if k.startswith("actor/")}
result["trainer"] = {"ref_energy_max_abs_diff": float((step.batch["ref_energy"] - host_energy)[real].abs().max()),
                     "weights_max_abs_diff": float((step.batch["rollout_is_weights"] - weights).abs().max()),
                     "pg_loss": trainer_metrics["actor/pg_loss"], "weight_mean": trainer_metrics.get("actor/actfocus_weight_mean")}
Path(out_path).write_text(json.dumps(result, indent=1))
dist.destroy_process_group()
