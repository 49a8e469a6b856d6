"""Export a policy to ONNX for the extension's scoring (onnxruntime-node): a folder with

  model.onnx      inputs  input_ids [batch, seq] int64, attention_mask [batch, seq] int64 (1 = token)
                  outputs logits [batch, seq, vocab] float32, energy [batch, seq] float32 (= -logsumexp(logits))
  tokenizer.json  the vocabulary (id → text), special ids, chat markers and the exporter's metadata.

Only the built-in model is supported; a Hugging Face model is better exported with its own tooling
(optimum), and the error says so.
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


class _Scorer(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, input_ids, attention_mask):
        h, _ = self.net.hidden(input_ids, attention_mask)
        logits = self.net.logits(h).float()
        return logits, -torch.logsumexp(logits, dim=-1)


def export_onnx(lm, out_dir: str, opset: int = 17) -> str:
    if not hasattr(lm, "tokenizer") or not hasattr(lm, "net"):
        raise ExportError("export-onnx supports the built-in model; export a Hugging Face model with `optimum-cli export onnx`")
    try:
        import onnx  # noqa: F401 - torch's exporter needs it
    except ImportError:
        raise ExportError("export-onnx needs the onnx package: pip install 'actfocus[onnx]'") from None
    tmp = out_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    net = lm.net
    was_training = net.training
    net.eval()
    device = next(net.parameters()).device
    ids = torch.tensor([[lm.tokenizer.bos_id, lm.tokenizer.eos_id, lm.tokenizer.bos_id]], device=device)
    mask = torch.ones_like(ids)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer and deprecation chatter; the result is checked by tests
            torch.onnx.export(_Scorer(net).float(), (ids, mask), os.path.join(tmp, "model.onnx"), dynamo=False, opset_version=opset,
                              input_names=["input_ids", "attention_mask"], output_names=["logits", "energy"],
                              dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                            "logits": {0: "batch", 1: "seq"}, "energy": {0: "batch", 1: "seq"}})
    finally:
        net.train(was_training)
    tok = lm.tokenizer
    meta = {**tok.to_json(), "export_format": EXPORT_FORMAT, "exporter": f"actfocus {__version__}",
            "special": {"pad": tok.pad_id, "bos": tok.bos_id, "eos": tok.eos_id, "unk": tok.unk_id},
            "max_seq_len": net.config.max_seq_len, "token_roles": list(ROLE_NAMES),
            "inputs": ["input_ids", "attention_mask"], "outputs": ["logits", "energy"]}
    with open(os.path.join(tmp, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return out_dir
