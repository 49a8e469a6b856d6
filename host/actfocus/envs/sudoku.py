"""Sudoku ("SimpleSudoku" setting): 4x4 by default, 9x9 on request; every puzzle has a unique solution.

Action `row,col,value` with 1-based row and column. Givens are shown in [brackets], blanks as `.`;
the state lists the digits still valid in each empty cell. A placement that conflicts with its row,
column or box is refused with feedback (an invalid action); a given cannot be changed; a placed digit
can be overwritten. Reward: +10 when the grid is complete and correct, 0 otherwise, plus the
format/invalid penalty.
"""

from __future__ import annotations

import math
import re

import numpy as np

from actfocus.envs.base import ActionOutcome, EnvConfig, TextEnv

_ACTION = re.compile(r"^\(?\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)?$")


def _candidates(grid: list[list[int]], n: int, b: int, r: int, c: int) -> list[int]:
    used = set(grid[r]) | {grid[i][c] for i in range(n)}
    br, bc = r - r % b, c - c % b
    used |= {grid[i][j] for i in range(br, br + b) for j in range(bc, bc + b)}
    return [v for v in range(1, n + 1) if v not in used]


def _most_constrained(grid: list[list[int]], n: int, b: int):
    """(row, col, candidates) of the empty cell with the fewest candidates; None when the grid is full."""
    best = None
    for r in range(n):
        for c in range(n):
            if grid[r][c] == 0:
                cand = _candidates(grid, n, b, r, c)
                if best is None or len(cand) < len(best[2]):
                    best = (r, c, cand)
                    if not cand:
                        return best
    return best


def count_solutions(grid: list[list[int]], n: int, limit: int = 2) -> int:
    """Number of completions of `grid` (0 = empty), stopping at `limit`. Most-constrained cell first."""
    best = _most_constrained(grid, n, math.isqrt(n))
    if best is not None and not best[2]:
        return 0
    if best is None:
        return 1
    r, c, cand = best
    total = 0
    for v in cand:
        grid[r][c] = v
        total += count_solutions(grid, n, limit - total)
        grid[r][c] = 0
        if total >= limit:
            break
    return total


def solve_grid(grid: list[list[int]], n: int) -> list[list[int]] | None:
    """Constraint solver (MRV backtracking); returns a solved copy or None."""
    g = [row[:] for row in grid]
    b = math.isqrt(n)

    def rec() -> bool:
        best = _most_constrained(g, n, b)
        if best is None:
            return True
        r, c, cand = best
        for v in cand:
            g[r][c] = v
            if rec():
                return True
        g[r][c] = 0
        return False

    return g if rec() else None


def generate_puzzle(rng: np.random.Generator, n: int, clues: int) -> tuple[list[list[int]], list[list[int]]]:
    """(puzzle, solution): a random full grid, then cells removed while the solution stays unique."""
    b = math.isqrt(n)
    sol = [[0] * n for _ in range(n)]

    def fill(i: int) -> bool:
        if i == n * n:
            return True
        r, c = divmod(i, n)
        cand = _candidates(sol, n, b, r, c)
        for v in rng.permutation(cand).tolist() if cand else []:
            sol[r][c] = v
            if fill(i + 1):
                return True
        sol[r][c] = 0
        return False

    fill(0)
    puzzle = [row[:] for row in sol]
    filled = n * n
    for idx in rng.permutation(n * n).tolist():
        if filled <= clues:
            break
        r, c = divmod(idx, n)
        keep = puzzle[r][c]
        puzzle[r][c] = 0
        if count_solutions([row[:] for row in puzzle], n) != 1:
            puzzle[r][c] = keep
        else:
            filled -= 1
    return puzzle, sol


class SudokuEnv(TextEnv):
    name = "sudoku"

    def __init__(self, size: int = 4, clues: int | None = None, max_turns: int = 8, max_actions_per_turn: int = 2,
                 max_actions: int = 16, solved_reward: float = 10.0, **kw):
        if size not in (4, 9):
            raise ValueError(f"sudoku: size must be 4 or 9, got {size}")
        clues = clues if clues is not None else (10 if size == 4 else 36)
        if not 0 < clues <= size * size:
            raise ValueError(f"sudoku: clues must be in 1..{size * size}, got {clues}")
        super().__init__(EnvConfig(max_turns, max_actions_per_turn, max_actions, **kw))
        self.n, self.box, self.clues, self.solved_reward = size, math.isqrt(size), clues, solved_reward
        self.action_hint = f"row,col,value with 1-based row and column, value 1-{size} (e.g. <answer>1,3,2 || 2,1,4</answer>)."

    def rules(self) -> str:
        b = self.box
        return (f"Sudoku {self.n}x{self.n}: fill every empty cell (.) so that each row, each column and each {b}x{b} box "
                f"contains the digits 1-{self.n} exactly once. Givens are in [brackets] and cannot change. "
                f"Solving the puzzle gives reward {self.solved_reward:g}.")

    def _reset(self, seed: int) -> None:
        self.puzzle, self.solution = generate_puzzle(np.random.default_rng(seed), self.n, self.clues)
        self.grid = [row[:] for row in self.puzzle]

    def _conflict(self, r: int, c: int, v: int) -> str | None:
        n, b = self.n, self.box
        if any(self.grid[r][j] == v for j in range(n) if j != c):
            return f"{v} is already in row {r + 1}"
        if any(self.grid[i][c] == v for i in range(n) if i != r):
            return f"{v} is already in column {c + 1}"
        br, bc = r - r % b, c - c % b
        if any(self.grid[i][j] == v for i in range(br, br + b) for j in range(bc, bc + b) if (i, j) != (r, c)):
            return f"{v} is already in that box"
        return None

    def _apply(self, action: str) -> ActionOutcome:
        m = _ACTION.match(action.strip())
        if not m:
            return ActionOutcome(0.0, False, message=f"cannot read {action[:40]!r}; write row,col,value")
        r, c, v = (int(x) for x in m.groups())
        n = self.n
        if not (1 <= r <= n and 1 <= c <= n and 1 <= v <= n):
            return ActionOutcome(0.0, False, message=f"row, column and value must be in 1..{n}")
        r, c = r - 1, c - 1
        if self.puzzle[r][c]:
            return ActionOutcome(0.0, False, message=f"cell ({r + 1},{c + 1}) is a given")
        conflict = self._conflict(r, c, v)
        if conflict:
            return ActionOutcome(0.0, False, message=f"conflict: {conflict}")
        self.grid[r][c] = v
        if self.grid == self.solution:
            self.success = True
            return ActionOutcome(self.solved_reward, True, done=True)
        return ActionOutcome(0.0, True)

    def render_state(self) -> str:
        lines = []
        for r in range(self.n):
            cells = []
            for c in range(self.n):
                v = self.grid[r][c]
                cells.append(f"[{v}]" if self.puzzle[r][c] else (f" {v} " if v else " . "))
            lines.append("".join(cells))
        empty = []
        for r in range(self.n):
            for c in range(self.n):
                if self.grid[r][c] == 0:
                    cand = _candidates(self.grid, self.n, self.box, r, c)
                    empty.append(f"({r + 1},{c + 1}): {' '.join(map(str, cand)) or 'none'}")
        return "\n".join(lines) + "\nValid digits per empty cell: " + ("; ".join(empty) or "none")

    def random_action(self, rng) -> str:
        r, c, v = (int(x) for x in rng.integers(1, self.n + 1, size=3))
        return f"{r},{c},{v}"

    def expert_actions(self) -> list[str]:
        # Cells whose current value differs from the unique solution, empty ones first.
        wrong = [(r, c) for r in range(self.n) for c in range(self.n) if self.grid[r][c] and self.grid[r][c] != self.solution[r][c]]
        empty = [(r, c) for r in range(self.n) for c in range(self.n) if self.grid[r][c] == 0]
        # A wrongly placed digit can block the correct one: fix those cells first.
        return [f"{r + 1},{c + 1},{self.solution[r][c]}" for r, c in wrong + empty]
