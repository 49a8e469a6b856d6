"""FrozenLake with Gymnasium FrozenLake-v1 dynamics and the paper's coordinate observation.

Maps come from the same random-map algorithm as Gymnasium's `generate_random_map` (frozen-tile
probability p, redrawn until a path exists), and transitions use the same probabilities and the same
random-number draws (one at reset, one per step, from a PCG64 generator seeded with the episode
seed), so an episode here and a Gymnasium episode on the same map and seed match step by step.
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache
from itertools import product

import numpy as np

from actfocus.envs.base import ActionOutcome, EnvConfig, TextEnv

LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3
ACTION_NAMES = ("Left", "Down", "Right", "Up")
_BY_NAME = {n.lower(): i for i, n in enumerate(ACTION_NAMES)}
_DELTA = {LEFT: (0, -1), DOWN: (1, 0), RIGHT: (0, 1), UP: (-1, 0)}
# Gymnasium's fixed maps (FrozenLake-v1 `map_name`): the levels RL engineers know, one map every episode.
MAPS = {
    "4x4": ["SFFF", "FHFH", "FFFH", "HFFG"],
    "8x8": ["SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF", "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"],
}


def _has_path(board: np.ndarray, size: int) -> bool:
    frontier, seen = [(0, 0)], set()
    while frontier:
        r, c = frontier.pop()
        if (r, c) in seen:
            continue
        seen.add((r, c))
        for dr, dc in ((1, 0), (0, 1), (-1, 0), (0, -1)):
            nr, nc = r + dr, c + dc
            if 0 <= nr < size and 0 <= nc < size:
                if board[nr][nc] == "G":
                    return True
                if board[nr][nc] != "H":
                    frontier.append((nr, nc))
    return False


def generate_random_map(size: int = 4, p: float = 0.8, seed: int | None = None) -> list[str]:
    """Random map with a guaranteed path from S (top-left) to G (bottom-right)."""
    rng = np.random.default_rng(seed)
    p = min(1.0, p)
    while True:
        board = rng.choice(["F", "H"], (size, size), p=[p, 1 - p])
        board[0][0] = "S"
        board[-1][-1] = "G"
        if _has_path(board, size):
            return ["".join(row) for row in board]


class FrozenLakeEnv(TextEnv):
    name = "frozenlake"
    action_hint = "Left, Down, Right or Up (e.g. <answer>Down || Right</answer>)."

    def __init__(self, size: int = 4, p: float = 0.8, is_slippery: bool = True, success_rate: float = 1.0 / 3.0,
                 desc: list[str] | None = None, map_name: str | None = None, max_turns: int = 5, max_actions_per_turn: int = 2, max_actions: int = 10,
                 **kw):
        if size < 2:
            raise ValueError(f"frozenlake: size must be >= 2, got {size}")
        if not 0.0 < p <= 1.0:
            raise ValueError(f"frozenlake: p must be in (0, 1], got {p}")
        super().__init__(EnvConfig(max_turns, max_actions_per_turn, max_actions, **kw))
        self.size, self.p, self.is_slippery, self.success_rate = size, p, is_slippery, success_rate
        if map_name is not None:
            if map_name not in MAPS:
                raise ValueError(f"frozenlake: map_name must be one of {sorted(MAPS)}, got {map_name!r}")
            if desc is not None:
                raise ValueError("frozenlake: give map_name or desc, not both")
            desc = MAPS[map_name]
        self.fixed_desc = desc
        self.desc: list[str] = []
        self.pos = (0, 0)
        self.rng = np.random.default_rng(0)

    def rules(self) -> str:
        slip = " The ice is slippery: you may move in a direction perpendicular to the one you chose." if self.is_slippery else ""
        return ("FrozenLake: walk from the start to the goal on a frozen lake without falling into a hole. "
                "Coordinates are (row, column), zero-indexed; row 0 is the top. Symbols: P player, _ frozen, "
                "O hole, G goal." + slip + " Reaching the goal gives reward 1.")

    def _reset(self, seed: int) -> None:
        self.desc = list(self.fixed_desc) if self.fixed_desc else generate_random_map(self.size, self.p, seed)
        self.nrow, self.ncol = len(self.desc), len(self.desc[0])
        self.rng = np.random.default_rng(seed)
        self.rng.random()  # Gymnasium draws the (single) start state at reset; keep the streams aligned.
        self.pos = next((r, c) for r in range(self.nrow) for c in range(self.ncol) if self.desc[r][c] == "S")

    def _move(self, pos: tuple[int, int], a: int) -> tuple[int, int]:
        dr, dc = _DELTA[a]
        return (min(max(pos[0] + dr, 0), self.nrow - 1), min(max(pos[1] + dc, 0), self.ncol - 1))

    def _apply(self, action: str) -> ActionOutcome:
        a = _BY_NAME.get(action.strip().lower())
        if a is None:
            return ActionOutcome(0.0, False, message=f"unknown action {action[:40]!r}; use Left, Down, Right or Up")
        if self.is_slippery:
            fail = (1.0 - self.success_rate) / 2.0
            choices = ((a - 1) % 4, a, (a + 1) % 4)
            probs = (fail, self.success_rate, fail)
            u, cum, moved = self.rng.random(), 0.0, choices[-1]
            for b, pb in zip(choices, probs):
                cum += pb
                if cum > u:
                    moved = b
                    break
        else:
            self.rng.random()  # Gymnasium samples even from a single deterministic transition.
            moved = a
        self.pos = self._move(self.pos, moved)
        tile = self.desc[self.pos[0]][self.pos[1]]
        msg = "" if moved == a else f"you slipped and moved {ACTION_NAMES[moved]}"
        if tile == "G":
            self.success = True
            return ActionOutcome(1.0, True, done=True, message=msg)
        if tile == "H":
            return ActionOutcome(0.0, True, done=True, message=(msg + "; " if msg else "") + "you fell into a hole")
        return ActionOutcome(0.0, True, message=msg)

    @property
    def state_index(self) -> int:
        return self.pos[0] * self.ncol + self.pos[1]

    def _cells(self, ch: str) -> list[tuple[int, int]]:
        return [(r, c) for r in range(self.nrow) for c in range(self.ncol) if self.desc[r][c] == ch]

    def render_state(self) -> str:
        sym = {"S": "_", "F": "_", "H": "O", "G": "G"}
        rows = []
        for r in range(self.nrow):
            row = []
            for c in range(self.ncol):
                t = self.desc[r][c]
                if (r, c) == self.pos:
                    row.append({"H": "X", "G": "√"}.get(t, "P"))
                else:
                    row.append(sym[t])
            rows.append(" ".join(row))
        fmt = lambda cells: ", ".join(f"({r},{c})" for r, c in cells) or "none"  # noqa: E731
        return (f"Board size: {self.nrow}x{self.ncol}. Start: {fmt(self._cells('S'))}. Goal: {fmt(self._cells('G'))}. "
                f"Player: ({self.pos[0]},{self.pos[1]}). Holes: {fmt(self._cells('H'))}.\n" + "\n".join(rows))

    def shortest_path(self, start: tuple[int, int] | None = None) -> list[str]:
        """Shortest action sequence to the goal ignoring slipperiness (BFS); [] if none or already there."""
        start = start or self.pos
        if self.desc[start[0]][start[1]] in "GH":
            return []
        prev: dict[tuple[int, int], tuple[tuple[int, int], int] | None] = {start: None}
        q = deque([start])
        while q:
            cur = q.popleft()
            if self.desc[cur[0]][cur[1]] == "G":
                path = []
                while prev[cur] is not None:
                    cur, a = prev[cur]  # type: ignore[misc]
                    path.append(ACTION_NAMES[a])
                return path[::-1]
            for a in (DOWN, RIGHT, LEFT, UP):
                nxt = self._move(cur, a)
                if nxt not in prev and self.desc[nxt[0]][nxt[1]] != "H":
                    prev[nxt] = (cur, a)
                    q.append(nxt)
        return []

    def _outcomes(self, pos: tuple[int, int], a: int) -> list[tuple[float, tuple[int, int]]]:
        if not self.is_slippery:
            return [(1.0, self._move(pos, a))]
        fail = (1.0 - self.success_rate) / 2.0
        return [(fail, self._move(pos, (a - 1) % 4)), (self.success_rate, self._move(pos, a)), (fail, self._move(pos, (a + 1) % 4))]

    def _turn(self, pos: tuple[int, int], seq: tuple[int, ...]) -> tuple[float, dict[tuple[int, int], float]]:
        """One turn's actions from `pos`, chosen together: the chance the goal is reached during the turn,
        and where the player may stand after it otherwise (holes drop out), with their chances."""
        tiles, dist, done = self.desc, {pos: 1.0}, 0.0
        for a in seq:
            nxt: dict[tuple[int, int], float] = {}
            for q, pq in dist.items():
                for pm, r in self._outcomes(q, a):
                    t = tiles[r[0]][r[1]]
                    if t == "G":
                        done += pq * pm
                    elif t != "H":
                        nxt[r] = nxt.get(r, 0.0) + pq * pm
            dist = nxt
        return done, dist

    def _turn_then(self, pos: tuple[int, int], seq: tuple[int, ...], turns: int, actions: int, value) -> float:
        """The chance of reaching the goal when this turn plays `seq` and `value(pos, turns, actions)` is
        the chance from wherever it leaves the player: the step both recursions below take."""
        done, dist = self._turn(pos, seq)
        return done + sum(pq * value(q, turns - 1, actions - len(seq)) for q, pq in dist.items())

    def _ended(self, pos: tuple[int, int], turns: int, actions: int) -> float | None:
        """1 or 0 where the episode is over (on the goal or a hole, or no budget left), else None."""
        tile = self.desc[pos[0]][pos[1]]
        return float(tile == "G") if tile in "GH" or turns == 0 or actions == 0 else None

    def optimal_success(self) -> float:
        """The probability that the best possible policy reaches the goal from here within the episode's
        budget (turns left, actions left), computed exactly: dynamic programming over position × turns
        left × actions left, where the actions of one turn are chosen together, before their outcomes are
        seen (as the agent answers). What held-out success is measured against."""
        value, _ = self._optimum()
        return value(self.pos, self.config.max_turns - self.turn, self.actions_left())

    def turn_values(self, pos: tuple[int, int] | None = None, turns: int | None = None,
                    actions: int | None = None) -> dict[tuple[int, ...], float]:
        """Each possible next turn (its actions as indices) from `pos` (default: where the player stands)
        with `turns` and `actions` left (default: the episode's remaining budget): the probability of
        reaching the goal when the best policy plays every turn after it. The best turns are the optimal
        policy's answers."""
        _, values = self._optimum()
        turns = self.config.max_turns - self.turn if turns is None else turns
        return dict(values(self.pos if pos is None else pos, turns, self.actions_left() if actions is None else actions))

    def _optimum(self):
        """(value, turn values) of the dynamic programme `optimal_success` describes, memoised together:
        value(pos, turns, actions) is the best of turn values(pos, turns, actions). Kept for the map it was
        computed on (a reset may draw another), so a log's many turns on one map share one programme."""
        key = tuple(self.desc)
        if getattr(self, "_programme", (None,))[0] != key:
            self._programme = (key, *self._programme_for_map())
        return self._programme[1:]

    def _programme_for_map(self):
        per_turn = self.config.max_actions_per_turn

        @lru_cache(maxsize=None)
        def value(pos: tuple[int, int], turns: int, actions: int) -> float:
            ended = self._ended(pos, turns, actions)
            return ended if ended is not None else max(turn_values(pos, turns, actions).values())

        @lru_cache(maxsize=None)
        def turn_values(pos: tuple[int, int], turns: int, actions: int) -> dict[tuple[int, ...], float]:
            return {seq: self._turn_then(pos, seq, turns, actions, value)
                    for n in range(1, min(per_turn, actions) + 1) for seq in product(range(4), repeat=n)}

        return value, turn_values

    def policy_success(self, policy) -> float:
        """The probability that `policy` reaches the goal from here within the budget, computed exactly as
        `optimal_success` is. policy(pos, turns_left, actions_left) -> [(probability, a turn's actions as
        action indices)]: a turn's answer, as a distribution."""

        @lru_cache(maxsize=None)
        def value(pos: tuple[int, int], turns: int, actions: int) -> float:
            ended = self._ended(pos, turns, actions)
            if ended is not None:
                return ended
            return sum(pa * self._turn_then(pos, tuple(seq)[:actions], turns, actions, value) for pa, seq in policy(pos, turns, actions))

        return value(self.pos, self.config.max_turns - self.turn, self.actions_left())

    def expert_success(self) -> float:
        """How often the expert (the shortest path as if the ice did not slip, planned again every turn from
        where the player stands: what warm starts imitate) reaches the goal within the budget, exactly."""
        per_turn = self.config.max_actions_per_turn

        def expert(pos: tuple[int, int], turns: int, actions: int):
            path = self.shortest_path(pos)
            return [(1.0, tuple(_BY_NAME[a.lower()] for a in path[:min(per_turn, actions)]) or (LEFT,))]

        return self.policy_success(expert)

    def expert_actions(self) -> list[str]:
        return self.shortest_path()

    def random_action(self, rng) -> str:
        return ACTION_NAMES[int(rng.integers(4))]
