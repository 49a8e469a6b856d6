"""Token roles (method.md §1) as small integer codes, and assignment from a turn's character spans."""

from __future__ import annotations

import json
from importlib import resources

# Codes are indices into hparams.json's token_roles, shared with the extension.
ROLE_NAMES = tuple(json.loads(resources.files("actfocus").joinpath("hparams.json").read_text())["token_roles"])
REASONING, ACTION, OTHER = (ROLE_NAMES.index(n) for n in ("reasoning", "action", "other"))
_CODE = {name: i for i, name in enumerate(ROLE_NAMES)}


def assign_roles(offsets: list[tuple[int, int]], spans: list[tuple[int, int, str]], malformed: bool,
                 malformed_role: str = "reasoning") -> list[int]:
    """Role of each token from its character range. A token belongs to the span it overlaps most;
    tokens outside every span (whitespace between blocks, end-of-turn) are OTHER; every token of a
    malformed turn gets `malformed_role`."""
    if malformed:
        return [_CODE[malformed_role]] * len(offsets)
    roles = []
    for s, e in offsets:
        best, best_overlap = OTHER, 0
        for a, b, role in spans:
            ov = min(e, b) - max(s, a)
            if ov > best_overlap:
                best, best_overlap = _CODE[role], ov
        roles.append(best)
    return roles
