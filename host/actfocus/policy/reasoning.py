"""Reasoning templates of the warm-start demonstrations, by style. Kept free of torch so the CLI can
offer the styles as choices without loading the model code."""

TEMPLATES = (
    "I look at the state and plan the next moves: {acts}.",
    "Let me think about where I am and what to do. I will go with {acts}.",
    "The best option now seems to be {acts}.",
    "Checking the board again, {acts} should bring me closer to the goal.",
)
# Reasoning that does not name the move: the decision is then taken in the answer's action tokens, as
# in an LLM whose reasoning deliberates without fixing the move (docs/results.md, run 3).
GENERIC_TEMPLATES = (
    "I look at the state and plan the next moves.",
    "Let me think about where I am and what to do.",
    "I compare the options I have now.",
    "Checking the board again, I want to get closer to the goal.",
)
REASONING_STYLES = {"names_move": TEMPLATES, "generic": GENERIC_TEMPLATES}
DEFAULT_REASONING = "names_move"
