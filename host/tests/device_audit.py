"""Op-level audits for the device and precision tests: every aten op a piece of code runs, as the
dispatcher sees it (after autocast has cast its inputs)."""

from __future__ import annotations

import traceback

import torch
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten
_COPIES = {aten._to_copy.default: 0, aten.copy_.default: 1}  # op → which argument is the source
_MATMULS = {aten.mm.default, aten.addmm.default, aten.bmm.default, aten.baddbmm.default, aten.matmul.default, aten.linear.default}


def _tensors(x):
    if isinstance(x, torch.Tensor):
        yield x
    elif isinstance(x, (list, tuple)):
        for y in x:
            yield from _tensors(y)


def _where() -> str:
    """The innermost frame of the project's own code that ran the op."""
    for fr in reversed(traceback.extract_stack()):
        if "/actfocus/" in fr.filename and "/tests/" not in fr.filename:
            return f"{fr.filename.split('/actfocus/')[-1]}:{fr.lineno} {fr.line}"
    return "?"


class DeviceAudit(TorchDispatchMode):
    """Records each op, in code meant to run where the model lives, that makes or computes a tensor on
    another device than `device`, or moves a tensor from another device onto it (a host tensor made and
    uploaded). Results leave the device by copies to the host (a metric read, `.tolist()`) and scalar
    reads: those are allowed; whatever is then computed with host tensors is flagged at that op."""

    def __init__(self, device):
        super().__init__()
        self.device = torch.device(device)
        self.violations: list[str] = []
        self.ops = 0

    def _same(self, d: torch.device) -> bool:
        return d.type == self.device.type and (self.device.index is None or d.index in (None, self.device.index))

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.ops += 1
        if func is aten._local_scalar_dense.default:
            return out
        if func in _COPIES:
            src = args[_COPIES[func]]
            if isinstance(src, torch.Tensor) and not self._same(src.device):
                self.violations.append(f"{func} {src.device} -> {self.device} at {_where()}")
            return out  # from the device: a read to the host, or a cast where it is
        for t in _tensors(out):
            if not self._same(t.device):
                self.violations.append(f"{func} -> {t.device} at {_where()}")
                break
        return out


class MatmulDtypes(TorchDispatchMode):
    """Records (where, dtype) of every matrix product's first input."""

    def __init__(self):
        super().__init__()
        self.seen: list[tuple[str, torch.dtype]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func in _MATMULS:
            self.seen.append((_where(), args[0].dtype if func is not aten.addmm.default else args[1].dtype))
        return func(*args, **(kwargs or {}))
