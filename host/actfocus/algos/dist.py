"""Data parallelism over torch.distributed (torchrun; Gloo on CPU, NCCL on GPU). A single process is
world size 1 and every helper is then the identity, so the single-process path is unchanged."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import torch
import torch.distributed as tdist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def current() -> World:
    if tdist.is_available() and tdist.is_initialized():
        return World(tdist.get_rank(), tdist.get_world_size())
    return World()


def init_from_env() -> World:
    """Join the process group torchrun describes (RANK/WORLD_SIZE/MASTER_ADDR in the environment).
    A process that joins must end through `exit_process`."""
    import os

    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not tdist.is_initialized():
        import atexit

        tdist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        # Fallback for a program that ends without exit_process: at least leave the group. It cannot
        # know the exit code, so it does not end the process itself (see exit_process for why to call it).
        atexit.register(_destroy_if_joined)
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return current()


def exit_process(code: int) -> int:
    """End a process that joined a process group, without interpreter finalization.

    Why: Gloo's worker threads release the last reference to a finished collective (and the tensors it
    holds, which reference Python objects) asynchronously, after `wait()` has returned, and
    `destroy_process_group()` does not join them. If that release falls into `Py_FinalizeEx`, the
    decref asks for the GIL, CPython ends the thread with a forced unwind through a noexcept C++
    destructor, and `std::terminate` aborts the rank ("terminate called without an active exception",
    SIGABRT, after all work is done; seen here in a core dump of `ProcessGroupGloo::AsyncWork::~AsyncWork`
    during `PyGC_Collect` in `Py_FinalizeEx`). So: on success the ranks leave together (barrier, then
    destroy); on failure no collective is attempted (a peer may be gone); then Python's own buffers are
    flushed and the process exits at once, with its code, before finalization can race those threads.
    A process that never joined a group returns `code` and exits normally."""
    import os

    if not (tdist.is_available() and tdist.is_initialized()):
        return code
    try:
        if code == 0:
            tdist.barrier()
        tdist.destroy_process_group()
    except Exception as e:  # noqa: BLE001 - a failed leave must still end the process with an error code
        print(f"actfocus: leaving the process group failed: {type(e).__name__}: {e}", file=sys.stderr)
        code = code or 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _destroy_if_joined() -> None:
    if tdist.is_available() and tdist.is_initialized():
        tdist.destroy_process_group()


def all_sum(values: list[float], world: World) -> list[float]:
    if world.size == 1:
        return values
    # NCCL reduces device tensors only; Gloo host ones.
    t = torch.tensor(values, dtype=torch.float64, device="cuda" if tdist.get_backend() == "nccl" else "cpu")
    tdist.all_reduce(t)
    return t.tolist()


def gather_objects(obj, world: World) -> list:
    if world.size == 1:
        return [obj]
    out = [None] * world.size
    tdist.all_gather_object(out, obj)
    return out


def broadcast_object(obj, world: World):
    if world.size == 1:
        return obj
    box = [obj]
    tdist.broadcast_object_list(box, src=0)
    return box[0]


def all_reduce_grads(params, world: World) -> None:
    """Sum gradients over ranks (each rank's loss is already normalised by global totals)."""
    if world.size == 1:
        return
    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
        tdist.all_reduce(p.grad)
