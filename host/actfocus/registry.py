"""Named choices (`algo`, `weighting`, `signal`, `kl_type`, `traj_sampling`, environments): one registered
function per name. hparams.json lists the same names for the CLI, the extension and the docs;
tests/test_registries.py checks each enum against its registry, so adding a choice is one registered
function plus its name in hparams.json."""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

F = TypeVar("F", bound=Callable)


class Registry(Generic[F]):
    def __init__(self, setting: str):
        self.setting = setting  # the hyperparameter whose values name the entries
        self._entries: dict[str, F] = {}

    def register(self, name: str) -> Callable[[F], F]:
        def add(fn: F) -> F:
            if name in self._entries:
                raise ValueError(f"{self.setting}: {name!r} is registered twice")
            self._entries[name] = fn
            return fn

        return add

    def __getitem__(self, name: str) -> F:
        try:
            return self._entries[name]
        except KeyError:
            raise ValueError(f"{self.setting}: {name!r} is not allowed; choose one of {', '.join(self._entries)}") from None

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def __iter__(self):
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
