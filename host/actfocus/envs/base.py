"""The common interface of the multi-turn text environments.

    env = make_env("sokoban")
    obs = env.reset(seed=3)              # first user message (state + instructions)
    obs, reward, done, info = env.step(model_output_text)

Each environment renders its own system prompt and per-turn user messages (method.md §5), so the
rollout code needs no per-environment logic. `step` never raises on model output: unparseable output
or an illegal action is an *invalid turn* (format penalty, episode goes on) with the reason in `info`.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from actfocus.envs.parsing import ParsedTurn, parse_turn


@dataclass(frozen=True)
class ActionOutcome:
    """Result of applying one action. `valid=False` means the action was illegal (nothing changed)."""

    reward: float
    valid: bool
    done: bool = False
    message: str = ""


@dataclass
class EnvConfig:
    max_turns: int
    max_actions_per_turn: int
    max_actions: int
    format_penalty: float = -0.1
    # False: RAGEN's reward, the penalty once per invalid turn. True: an episode that ends before its turn
    # budget also pays it for the turns it did not play, at its own share of invalid turns, so that ending
    # early (a FrozenLake hole) never saves format penalty. Measured against the weak-start collapse it was
    # meant for, it did not prevent it (docs/results.md, "The format-penalty hack, paired").
    format_penalty_whole_budget: bool = False
    max_words: int = 100
    require_think: bool = True


class TextEnv(ABC):
    """Base class: turn/action budgets, parsing, invalid-turn handling and message rendering."""

    name: str = ""
    action_hint: str = ""  # one line telling the agent what actions look like

    def __init__(self, config: EnvConfig):
        for key in ("max_turns", "max_actions_per_turn", "max_actions"):
            if int(getattr(config, key)) < 1:
                raise ValueError(f"{self.name}: {key} must be >= 1, got {getattr(config, key)}")
        self.config = config
        self._clear(seed=None, done=True)  # no episode until reset

    def _clear(self, seed: int | None, done: bool) -> None:
        """An episode's counters at its start (or before the first reset)."""
        self.seed = seed
        self.turn = 0
        self.actions_taken = 0
        self.done = done
        self.success = False
        self.total_reward = 0.0
        self.invalid_turns = 0

    # ---- to implement ----
    @abstractmethod
    def _reset(self, seed: int) -> None: ...

    @abstractmethod
    def _apply(self, action: str) -> ActionOutcome: ...

    @abstractmethod
    def render_state(self) -> str: ...

    @abstractmethod
    def rules(self) -> str:
        """Task description for the system prompt."""

    def optimal_success(self) -> float | None:
        """The best success any policy can reach from here within the episode's budget, where the
        environment can compute it exactly; None where it cannot."""
        return None

    def expert_success(self) -> float:
        """How often the expert solver (`expert_response` every turn) reaches success from here within the
        episode's budget: played out on a copy, which is exact where a step's outcome is certain (Sokoban,
        Sudoku, Shop); FrozenLake computes it exactly on slippery ice too. The reference the issue's sanity
        rows read success against where no optimum is computed."""
        env = copy.deepcopy(self, {id(obj): obj for obj in self._read_only()})
        while not env.done:
            env.step(env.expert_response())
        return float(bool(env.success))

    def _read_only(self) -> list:
        """Objects a copy of the environment may share with it (nothing writes them): not copied."""
        return []

    @abstractmethod
    def expert_actions(self) -> list[str]:
        """Actions an expert would take from the current state (may be empty when nothing is left)."""

    @abstractmethod
    def random_action(self, rng) -> str:
        """A random action of the right shape (legal or not): the noise in imperfect demonstrations."""

    def _is_success(self) -> bool:
        return self.success

    # ---- common ----
    def system_prompt(self) -> str:
        c = self.config
        return (
            "You are an agent acting in a text environment, turn by turn.\n"
            f"{self.rules()}\n"
            f"Actions: {self.action_hint}\n"
            f"In each turn first reason inside <think>...</think>, then give up to {c.max_actions_per_turn} "
            f"action(s) inside <answer>...</answer>, separated by '||'. "
            f"You have {c.max_turns} turns and {c.max_actions} actions in total."
        )

    def reset(self, seed: int) -> str:
        self._clear(seed=int(seed), done=False)
        self._reset(self.seed)
        return self._turn_message(reward=None)

    def actions_left(self) -> int:
        return self.config.max_actions - self.actions_taken

    def _turn_message(self, reward: float | None, feedback: str = "") -> str:
        lines = []
        if reward is not None:
            lines.append(f"Reward: {reward:g}")
        if feedback:
            lines.append(feedback)
        lines += [
            f"Turn {self.turn + 1}:",
            "State:",
            self.render_state(),
            f"You have {self.actions_left()} actions left. Always output: <think> [Your thoughts] </think> "
            f"<answer> [your answer] </answer> with no extra text. Strictly follow this format. "
            f"Max response length: {self.config.max_words} words (tokens).",
        ]
        return "\n".join(lines)

    def parse(self, text: str) -> ParsedTurn:
        return parse_turn(text, self.config.max_actions_per_turn, self.config.require_think)

    def step(self, text: str) -> tuple[str, float, bool, dict[str, Any]]:
        if self.done:
            raise RuntimeError("step() called on a finished episode; call reset(seed) first")
        parsed = self.parse(text)
        info: dict[str, Any] = {"valid_action": False, "parse_error": parsed.error, "executed_actions": [], "messages": []}
        reward = 0.0
        if parsed.ok:
            budget = min(len(parsed.actions), self.actions_left())
            if parsed.truncated:
                info["messages"].append(f"only the first {self.config.max_actions_per_turn} actions were used")
            info["valid_action"] = True
            for action in parsed.actions[:budget]:
                outcome = self._apply(action)
                self.actions_taken += 1
                reward += outcome.reward
                if outcome.message:
                    info["messages"].append(outcome.message)
                if not outcome.valid:
                    info["valid_action"] = False
                    info["invalid_action"] = action
                    break
                info["executed_actions"].append(action)
                if outcome.done:
                    self.done = True
                    break
        c = self.config
        if not info["valid_action"]:
            reward += c.format_penalty
            self.invalid_turns += 1
        self.turn += 1
        if self.turn >= c.max_turns or self.actions_left() <= 0:
            self.done = True
        if self.done and c.format_penalty_whole_budget and self.invalid_turns and self.turn < c.max_turns:
            unplayed = c.format_penalty * self.invalid_turns * (c.max_turns - self.turn) / self.turn
            reward += unplayed
            info["format_penalty_unplayed"] = unplayed
        self.total_reward += reward
        info["success"] = self._is_success()
        info["turn"] = self.turn
        info["actions_left"] = self.actions_left()
        feedback = parsed.error and f"Invalid output: {parsed.error}." or "; ".join(info["messages"])
        obs = self._turn_message(reward, feedback) if not self.done else self._final_message(reward, feedback)
        return obs, reward, self.done, info

    def _final_message(self, reward: float, feedback: str) -> str:
        end = "Task solved." if self._is_success() else "Episode over."
        parts = [f"Reward: {reward:g}"] + ([feedback] if feedback else []) + [end, "State:", self.render_state()]
        return "\n".join(parts)

    def expert_response(self, reasoning: str = "") -> str:
        """A well-formed turn with the expert's next actions (for demonstrations and tests)."""
        acts = self.expert_actions()[: min(self.config.max_actions_per_turn, self.actions_left())]
        return f"<think>{reasoning}</think><answer>{' || '.join(acts)}</answer>"
