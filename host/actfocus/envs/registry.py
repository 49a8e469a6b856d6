"""`make_env(name, **config)`: the one place that maps environment names to classes."""

from __future__ import annotations

from actfocus.envs.base import TextEnv
from actfocus.envs.frozenlake import FrozenLakeEnv
from actfocus.envs.shop import ShopEnv
from actfocus.envs.sokoban import SokobanEnv
from actfocus.envs.sudoku import SudokuEnv

ENVS: dict[str, type[TextEnv]] = {
    "sokoban": SokobanEnv,
    "frozenlake": FrozenLakeEnv,
    "sudoku": SudokuEnv,
    "shop": ShopEnv,
}
ENV_NAMES = tuple(ENVS)


def make_env(name: str, **config) -> TextEnv:
    try:
        cls = ENVS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown environment {name!r}; choose one of: {', '.join(ENV_NAMES)}") from None
    try:
        return cls(**config)
    except TypeError as e:  # unknown keyword: name it, with what is allowed
        raise ValueError(f"{name}: invalid configuration ({e})") from None
