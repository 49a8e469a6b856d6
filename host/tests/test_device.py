"""Device-correct by construction, and the precision policy (docs/method.md, "Precision").

Parametrised by device: the CPU always, CUDA where present. A step is audited op by op (device_audit):
nothing is made or computed on another device than the model's, nothing is made on the host and uploaded.
"""

import math

import pytest
import torch

from actfocus.algos import scoring
from actfocus.algos.trainer import Trainer
from actfocus.config import make_config
from actfocus.policy.lm import HFLM, BuiltinLM
from actfocus.policy.precision import resolve
from device_audit import DeviceAudit, MatmulDtypes
from test_policy import tiny_hf_model

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
ENV = {"is_slippery": False}


def _cfg(**kw):
    return make_config({**dict(env="frozenlake", prompts_per_step=3, group_size=3, max_new_tokens=24, max_context=512,
                                mini_batch_size=4, micro_batch_size=2, eval_prompts=3), **kw})


def _audited_step(tr: Trainer, device: str) -> dict:
    with DeviceAudit(device) as audit:
        m = tr.step(0).metrics
        ev = tr.evaluate(3)
    assert audit.ops > 1000  # the audit saw the step
    assert audit.violations == [], "\n".join(sorted(set(audit.violations)))
    return {**m, **ev}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("algo", ["grpo", "ppo"])
def test_a_step_computes_only_on_the_models_device(acting_model_dir, device, algo):
    lm = BuiltinLM.load(str(acting_model_dir))
    tr = Trainer(_cfg(algo=algo, weighting="actfocus", seed=1), lm, ENV, device=device)
    before = [p.detach().clone() for p in tr.policy.parameters()]
    m = _audited_step(tr, device)
    assert m["diag/share_action"] > 0 and m["signal_sigma"] is not None  # ActFocus weights were computed
    assert all(math.isfinite(m[k]) for k in ("loss", "kl_ref", "entropy", "diag/energy_action"))
    assert any(not torch.equal(a, b) for a, b in zip(before, tr.policy.parameters()))
    assert all(p.device.type == device for p in tr.policy.parameters())


@pytest.mark.parametrize("device", DEVICES)
def test_a_hugging_face_step_computes_only_on_the_models_device(device):
    model, tok = tiny_hf_model()
    tr = Trainer(_cfg(algo="grpo", weighting="actfocus", max_context=2048), HFLM(model, tok), {**ENV, "max_turns": 2}, device=device)
    m = _audited_step(tr, device)
    assert m["diag/tokens"] > 0 and math.isfinite(m["loss"])


def test_the_audit_flags_tensors_made_on_another_device_or_uploaded():
    """The audit itself, with `meta` as the model's device (every machine has it): a planted host tensor,
    a host computation and an upload are each caught; work on the device and reads are not."""
    with DeviceAudit("meta") as ok:
        x = torch.zeros(4, device="meta")
        _ = torch.tensor([1, 2], device="meta") + x[:2]
    assert ok.violations == []
    with DeviceAudit("meta") as bad:
        torch.empty(3)  # made without a device
        torch.tensor([1.0]).mul(2)  # made and computed on the host
        torch.ones(2, device="meta").copy_(torch.ones(2))  # uploaded
    assert [v.split(" ")[0] for v in bad.violations] == ["aten.empty.memory_format", "aten.lift_fresh.default", "aten.mul.Tensor",
                                                        "aten.ones.default", "aten.copy_.default"]


def test_auto_precision_is_bf16_on_cuda_and_fp32_on_the_cpu():
    assert resolve("auto", "cpu") == "fp32"
    assert resolve("fp32", "cuda") == "fp32" and resolve("bf16", "cpu") == "bf16"
    if torch.cuda.is_available():
        assert resolve("auto", "cuda") == ("bf16" if torch.cuda.is_bf16_supported() else "fp32")


@pytest.mark.parametrize("device", DEVICES)
def test_bf16_runs_the_trunk_in_bf16_and_keeps_heads_weights_and_optimiser_in_fp32(acting_model_dir, device):
    lm = BuiltinLM.load(str(acting_model_dir))
    tr = Trainer(_cfg(algo="ppo", weighting="actfocus", precision="bf16", seed=1), lm, ENV, device=device)
    assert tr.policy.precision == tr.ref.precision == tr.critic.precision == "bf16"
    with MatmulDtypes() as seen:
        batch = tr.step(0).batch
    is_head = lambda w: "tok.weight" in w or "self.value(h)" in w  # noqa: E731 - TinyLM.logits and .values
    trunk = {d for w, d in seen.seen if "policy/model.py" in w and not is_head(w)}
    heads = {d for w, d in seen.seen if is_head(w)}
    assert trunk == {torch.bfloat16} and heads == {torch.float32}, sorted({(w, str(d)) for w, d in seen.seen})
    tok = batch.tok
    assert {tok[k].dtype for k in ("energy", "ref_logprob", "old_logprob", "entropy", "weight", "adv")} == {torch.float32}
    assert {p.dtype for p in tr.policy.parameters()} == {torch.float32}  # master weights
    assert {v.dtype for st in tr.opt.state.values() for v in st.values() if v.dim() > 0} == {torch.float32}
    # bf16 forward passes give the fp32 energies to about bf16's resolution (sums of many rounded products)
    s = batch.samples[:4]
    tr.ref.precision = "fp32"
    exact = scoring.reference_stats(tr.ref, s, device, micro=2)["energy"]
    tr.ref.precision = "bf16"
    approx = scoring.reference_stats(tr.ref, s, device, micro=2)["energy"]
    assert exact.dtype == approx.dtype == torch.float32 and not torch.equal(exact, approx)
    assert torch.allclose(exact, approx, rtol=0.02, atol=0.05)


@pytest.mark.parametrize("device", DEVICES)
def test_fp32_runs_every_product_in_fp32(acting_model_dir, device):
    lm = BuiltinLM.load(str(acting_model_dir))
    tr = Trainer(_cfg(algo="grpo", precision="fp32"), lm, ENV, device=device)
    with MatmulDtypes() as seen:
        tr.step(0)
    assert seen.seen and {d for _, d in seen.seen} == {torch.float32}


def test_a_checkpoint_from_another_device_type_resumes_with_a_fresh_seeded_sampler(acting_model_dir):
    """A CPU generator's state is 5056 bytes, a CUDA one's 16: loading across device types cannot carry
    it. Planted here (a state of the wrong size) on machines with one device type; the resume goes on,
    seeded, and says so."""
    events = []
    tr = Trainer(_cfg(), BuiltinLM.load(str(acting_model_dir)), ENV, emit=events.append)
    st = tr.state_dict()
    st["gen"] = torch.zeros(16, dtype=torch.uint8)
    tr.load_state_dict(st)
    assert any("another device type" in e.get("message", "") for e in events)
    again = Trainer(_cfg(), BuiltinLM.load(str(acting_model_dir)), ENV, emit=events.append)
    again.load_state_dict(st)
    assert torch.equal(tr.gen.get_state(), again.gen.get_state())  # seeded, not left to chance
