"""Export a policy to ONNX for the extension's scoring (onnxruntime-node). Either kind of policy gives

  model.onnx      inputs  input_ids [batch, seq] int64, attention_mask [batch, seq] int64 (1 = token)
                  outputs logits [batch, seq, vocab] float32, energy [batch, seq] float32 (= -logsumexp(logits))

computed as training computes them (fp32 head, energy from the same logits), and beside it:

- the built-in model: tokenizer.json, the vocabulary (id → text), special ids, chat markers and the
  exporter's metadata;
- a Hugging Face causal LM: the model's own tokenizer files, as `save_pretrained` writes them (the
  extension runs them with Hugging Face's tokenizers.js, not a port), and actfocus_export.json: the
  exporter's metadata with the chat template and special tokens the prompts are rendered with.

The graph comes from PyTorch's ONNX exporter (TorchScript), which Hugging Face's optimum drives too:
optimum-onnx 0.1 requires transformers < 4.58, and the host supports transformers 5.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings

import torch

from actfocus import __version__
from actfocus.algos.roles import ROLE_NAMES

EXPORT_FORMAT = 1


class ExportError(RuntimeError):
    pass


HF_META = "actfocus_export.json"  # a Hugging Face export's metadata (the built-in model's is in tokenizer.json)


class _Scorer(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, input_ids, attention_mask):
        h, _ = self.net.hidden(input_ids, attention_mask)
        logits = self.net.logits(h).float()
        return logits, -torch.logsumexp(logits, dim=-1)


class _HFScorer(torch.nn.Module):
    """A Hugging Face causal LM as scored in training (policy.lm.HFLM): positions count real tokens, the
    output head runs in fp32."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        pos = (attention_mask.cumsum(-1) - 1).clamp(min=0)
        h = self.model.base_model(input_ids=input_ids, attention_mask=attention_mask, position_ids=pos, use_cache=False).last_hidden_state
        head = self.model.get_output_embeddings()
        logits = head(h.to(head.weight.dtype)).float()
        return logits, -torch.logsumexp(logits, dim=-1)


def _trace(module: torch.nn.Module, ids: torch.Tensor, path: str, opset: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer and deprecation chatter; the result is checked by tests
        torch.onnx.export(module, (ids, torch.ones_like(ids)), path, dynamo=False, opset_version=opset,
                          input_names=["input_ids", "attention_mask"], output_names=["logits", "energy"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                        "logits": {0: "batch", 1: "seq"}, "energy": {0: "batch", 1: "seq"}})


def export_onnx(lm, out_dir: str, opset: int = 17) -> str:
    from actfocus.policy.lm import BuiltinLM, HFLM

    if not isinstance(lm, (BuiltinLM, HFLM)):
        raise ExportError(f"export-onnx supports the built-in model and Hugging Face causal LMs, not {type(lm).__name__}")
    try:
        import onnx  # noqa: F401 - torch's exporter needs it
    except ImportError:
        raise ExportError("export-onnx needs the onnx package: pip install 'actfocus[onnx]'") from None
    tmp = out_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    was_training = lm.training
    lm.eval()
    try:
        (_write_builtin if isinstance(lm, BuiltinLM) else _write_hf)(lm, tmp, opset)
    finally:
        lm.train(was_training)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return out_dir


def _write_builtin(lm, tmp: str, opset: int) -> None:
    net = lm.net
    device = next(net.parameters()).device
    ids = torch.tensor([[lm.tokenizer.bos_id, lm.tokenizer.eos_id, lm.tokenizer.bos_id]], device=device)
    _trace(_Scorer(net).float(), ids, os.path.join(tmp, "model.onnx"), opset)
    tok = lm.tokenizer
    meta = {**tok.to_json(), "export_format": EXPORT_FORMAT, "exporter": f"actfocus {__version__}",
            "special": {"pad": tok.pad_id, "bos": tok.bos_id, "eos": tok.eos_id, "unk": tok.unk_id},
            "max_seq_len": net.config.max_seq_len, "token_roles": list(ROLE_NAMES),
            "inputs": ["input_ids", "attention_mask"], "outputs": ["logits", "energy"]}
    with open(os.path.join(tmp, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False)


def _write_hf(lm, tmp: str, opset: int) -> None:
    model, tok = lm.model, lm.tok
    if tok.chat_template is None:
        raise ExportError("the model's tokenizer has no chat template: the extension could not rebuild its prompts")
    device = next(model.parameters()).device
    # Traced on a batch of one with several tokens (scoring's shape: a whole turn sequence, no padding).
    ids = torch.tensor([tok.encode("<think>a</think><answer>b</answer>", add_special_tokens=False)[:6] * 2], device=device)
    _trace(_HFScorer(model), ids, os.path.join(tmp, "model.onnx"), opset)
    tok.save_pretrained(tmp)
    special = {name: str(value) for name, value in tok.special_tokens_map.items() if isinstance(value, str)}
    meta = {"kind": "huggingface", "export_format": EXPORT_FORMAT, "exporter": f"actfocus {__version__}",
            "model_type": model.config.model_type, "vocab_size": int(model.config.vocab_size),
            "max_seq_len": int(getattr(model.config, "max_position_embeddings", 0) or 0),
            "chat_template": tok.chat_template, "special_tokens": special, "eos": int(lm.eos_id),
            "token_roles": list(ROLE_NAMES), "inputs": ["input_ids", "attention_mask"], "outputs": ["logits", "energy"]}
    with open(os.path.join(tmp, HF_META), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
