"""Reference energies inside verl's reference pass (docs/verl.md §2).

ActFocus's default signal is the frozen reference's energy E_t = -logsumexp of its logits at each response
position (method.md §2). verl's engine computes those logits in its reference forward but returns only
log-probs (and optionally entropies). This module adds the energy there, through verl's own extension
point: `EnergyFSDPEngine` subclasses verl's FSDP language-model engine and is registered in verl's
`EngineRegistry` for the FSDP backends (`fsdp`, `fsdp2`) on NVIDIA GPUs (and the CPU). When a micro-batch
asks for it (`calculate_energy=True`, as `compute_ref_energy` does), its output gains `energy`, laid out
exactly like verl's `log_probs` (a nested tensor of every token of every sequence; the value at a token
belongs to the prediction of the next one), so verl's `no_padding_2_padding` gives the [B, T] response
energies. Without the flag the engine is verl's, unchanged.

`register()` registers the engine in the process that calls it. verl builds its engines in Ray worker
processes: name it as Ray's worker set-up hook (`+ray_kwargs.ray_init.runtime_env.worker_process_setup_hook=
actfocus.integrations.verl.ref_energy.register`), which every worker runs at start. verl's files are not
touched.
"""

from __future__ import annotations

import torch
from verl.utils import tensordict_utils as tu
from verl.workers.engine import EngineRegistry
from verl.workers.engine.fsdp.transformer_impl import FSDPEngineWithLMHead
from verl.workers.utils.padding import left_right_2_no_padding, no_padding_2_padding

from actfocus.integrations.verl.weights import reference_energy


class EnergyFSDPEngine(FSDPEngineWithLMHead):
    """verl's FSDP language-model engine; with `calculate_energy` its output also holds `energy`."""

    def prepare_model_outputs(self, output, output_args, micro_batch, logits_processor_func):
        model_output = super().prepare_model_outputs(output, output_args, micro_batch, logits_processor_func)
        if tu.get_non_tensor_data(data=micro_batch, key="calculate_energy", default=False):
            model_output["energy"] = self._energy(output, output_args, micro_batch)
        return model_output

    def _energy(self, output, output_args, micro_batch) -> torch.Tensor:
        if getattr(output, "logits", None) is None:
            raise ValueError("reference energies need the reference logits: turn use_fused_kernels off for the "
                             "reference model (fused kernels return log-probs without materialising the logits)")
        logits = output.logits
        if hasattr(logits, "full_tensor"):  # tensor parallelism: a DTensor sharded over the vocabulary
            logits = logits.full_tensor()
        cu_seqlens = micro_batch["input_ids"].offsets()
        if tu.get_non_tensor_data(data=micro_batch, key="use_remove_padding", default=True):
            energy = reference_energy(logits.squeeze(0))  # (total_nnz [+ sequence-parallel padding],)
            energy = self._gather_and_unpad_packed(energy, output_args["pad_size"])
        else:  # (batch, longest sequence, vocabulary): each sequence's own positions, concatenated
            per_row = reference_energy(logits)
            energy = torch.cat([per_row[i, :n] for i, n in enumerate(cu_seqlens.diff().tolist())])
        # The logits are the unscaled ones: E is the reference model's energy, not the sampler's (method.md §2).
        return torch.nested.nested_tensor_from_jagged(energy, cu_seqlens)


# Where verl looks the engine up (EngineRegistry.get_engine_cls): (device, vendor) before the device alone,
# so ("cuda", "nvidia") takes precedence over verl's own FSDP engine on NVIDIA GPUs (other CUDA vendors fall
# back to that key too); verl registers no engine for the CPU.
KEYS = (("cuda", "nvidia"), ("cpu", None))


def register() -> None:
    """Register EnergyFSDPEngine for the FSDP backends (idempotent: a second call changes nothing)."""
    engines = EngineRegistry._engines.get("language_model", {})
    for device, vendor in KEYS:
        key = (device, vendor) if vendor else device
        if all(engines.get(b, {}).get(key) is EnergyFSDPEngine for b in ("fsdp", "fsdp2")):
            continue
        EngineRegistry.register(model_type="language_model", backend=["fsdp", "fsdp2"], device=device, vendor=vendor)(EnergyFSDPEngine)


def compute_ref_energy(worker_group, batch, *, ref_in_actor: bool = False):
    """The reference pass as verl's trainer runs it (`RayPPOTrainer._compute_ref_log_prob`), asking the engine
    for energies too. Returns (ref_log_prob, ref_energy), each [B, T] over the response positions."""
    td = left_right_2_no_padding(batch.to_tensordict())
    meta = {"calculate_entropy": False, "compute_loss": False, "calculate_energy": True}
    if ref_in_actor:
        meta["no_lora_adapter"] = True
    tu.assign_non_tensor(td, **meta)
    out = worker_group.compute_log_prob(td) if ref_in_actor else worker_group.compute_ref_log_prob(td)
    return (no_padding_2_padding(tu.get(out, "log_probs"), td).float(),
            no_padding_2_padding(tu.get(out, "energy"), td).float())
