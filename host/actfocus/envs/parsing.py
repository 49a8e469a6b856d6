"""Parse an agent turn: `<think> reasoning </think><answer> a1 || a2 </answer>`.

Never raises. Returns the actions and, for token-role assignment later, the character spans of
the reasoning, the actions and the tags/separators around them (method.md §1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
ACTION_SEP = "||"

_TAG = re.compile(r"</?(?:think|answer)>")


@dataclass
class ParsedTurn:
    actions: list[str] = field(default_factory=list)
    error: str | None = None
    # (start, end, role) over the raw text; role in {"reasoning", "action", "other"}.
    # For a malformed turn this is empty: the role policy decides (default: all reasoning).
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    truncated: int = 0  # actions dropped beyond the per-turn limit

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_turn(text: str, max_actions: int, require_think: bool = True) -> ParsedTurn:
    if not isinstance(text, str):
        return ParsedTurn(error="output is not text")
    if not text.strip():
        return ParsedTurn(error="empty output")
    tags = [(m.group(0), m.start(), m.end()) for m in _TAG.finditer(text)]
    names = [t[0] for t in tags]
    expected = [THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE] if require_think else [ANSWER_OPEN, ANSWER_CLOSE]
    if not require_think and names[:2] == [THINK_OPEN, THINK_CLOSE]:
        expected = [THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE]
    if names.count(ANSWER_OPEN) > 1:
        return ParsedTurn(error="several <answer> blocks; give exactly one")
    if ANSWER_OPEN not in names:
        return ParsedTurn(error="missing <answer>...</answer>")
    if ANSWER_CLOSE not in names:
        return ParsedTurn(error="unclosed <answer> tag")
    if require_think and THINK_OPEN not in names:
        return ParsedTurn(error="missing <think>...</think>")
    if names != expected:
        return ParsedTurn(error="tags out of order; expected <think>...</think><answer>...</answer>")
    if text[: tags[0][1]].strip() or text[tags[-1][2] :].strip():
        return ParsedTurn(error="text outside the <think>/<answer> blocks")
    if len(tags) == 4 and text[tags[1][2] : tags[2][1]].strip():
        return ParsedTurn(error="text between </think> and <answer>")

    spans: list[tuple[int, int, str]] = []
    if len(tags) == 4:
        # A tag belongs to the span it opens/closes (method.md §1 default).
        spans.append((tags[0][1], tags[1][2], "reasoning"))
        a_open, a_close = tags[2], tags[3]
    else:
        a_open, a_close = tags[0], tags[1]
    body_start, body_end = a_open[2], a_close[1]
    body = text[body_start:body_end]
    actions = [part.strip() for part in body.split(ACTION_SEP) if part.strip()]
    if not actions:
        return ParsedTurn(error="empty <answer>")
    spans.append((a_open[1], a_close[2], "action"))
    truncated = max(0, len(actions) - max_actions)
    return ParsedTurn(actions=actions[:max_actions], spans=spans, truncated=truncated)
