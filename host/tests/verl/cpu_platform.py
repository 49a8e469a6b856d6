"""A CPU platform for verl, so that verl's own engine workers run in the CPU tests (verl 0.9.1 ships CUDA,
NPU and ROCm platforms; its PlatformBase names CPU among the platforms a plugin may add). Registered
through verl's PlatformRegistry and installed with set_platform before any verl code asks for the
platform. The device module is torch.cpu plus the memory queries verl logs (0 on the CPU)."""

from __future__ import annotations

import contextlib
import types

import torch
from verl.plugin.platform.platform_base import PlatformBase
from verl.plugin.platform.platform_manager import PlatformRegistry, set_platform


def _device_module() -> types.ModuleType:
    m = types.ModuleType("verl_cpu_device")
    for k in dir(torch.cpu):
        if not k.startswith("_"):
            setattr(m, k, getattr(torch.cpu, k))
    for name in ("max_memory_allocated", "max_memory_reserved", "memory_allocated", "memory_reserved", "reset_peak_memory_stats"):
        setattr(m, name, lambda *a, **k: 0)
    m.empty_cache = lambda: None
    m.get_device_name = lambda *a: "CPU"  # verl's FLOP counter names the device (for its MFU metric)
    m.is_available = lambda: True
    m.manual_seed = m.manual_seed_all = torch.manual_seed
    m.get_rng_state, m.set_rng_state = torch.get_rng_state, torch.set_rng_state
    m.mem_get_info = lambda *a: (1 << 34, 1 << 34)
    return m


@PlatformRegistry.register(platform="cpu")
class PlatformCPU(PlatformBase):
    _module: types.ModuleType | None = None

    @property
    def device_name(self) -> str:
        return "cpu"

    @property
    def vendor_name(self) -> str:
        return "cpu"

    @property
    def device_module(self) -> types.ModuleType:
        if PlatformCPU._module is None:
            PlatformCPU._module = _device_module()
        return PlatformCPU._module

    def is_available(self) -> bool:
        return True

    def current_device(self):  # verl moves models and batches `.to(current_device())`
        return "cpu"

    def device_count(self) -> int:
        return 1

    def set_device(self, device_index) -> None:
        pass

    def synchronize(self, device_index=None) -> None:
        pass

    def manual_seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def manual_seed_all(self, seed: int) -> None:
        torch.manual_seed(seed)

    def set_allocator_settings(self, settings: str) -> None:
        pass

    def empty_cache(self) -> None:
        pass

    def get_device_capability(self, device_index: int = 0):
        return (None, None)

    def communication_backend_name(self) -> str:
        return "gloo"

    def visible_devices_envvar(self) -> str:
        return "CUDA_VISIBLE_DEVICES"

    @contextlib.contextmanager
    def nvtx_range(self, msg: str):
        yield

    def profiler_start(self) -> None:
        pass

    def profiler_stop(self) -> None:
        pass

    def ray_resource_name(self) -> str:
        return "CPU"

    def ray_noset_envvars(self) -> list[str]:
        return []

    def is_ipc_supported(self) -> bool:
        return False

    def cudart(self):
        return None


def install() -> None:
    set_platform(PlatformCPU())
