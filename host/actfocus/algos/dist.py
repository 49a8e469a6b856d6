"""Data parallelism over torch.distributed (torchrun; Gloo on CPU, NCCL on GPU). A single process is
world size 1 and every helper is then the identity, so the single-process path is unchanged."""

from __future__ import annotations

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
    """Join the process group torchrun describes (RANK/WORLD_SIZE/MASTER_ADDR in the environment)."""
    import os

    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not tdist.is_initialized():
        import atexit

        tdist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        # Leave the group together and in order at exit: a rank whose group is torn down by interpreter
        # shutdown while its peer is still closing connections can abort (SIGABRT) after its work is done.
        atexit.register(_leave)
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return current()


def _leave() -> None:
    if not tdist.is_initialized():
        return
    try:
        tdist.barrier()
    finally:
        tdist.destroy_process_group()


def all_sum(values: list[float], world: World) -> list[float]:
    if world.size == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64)
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
