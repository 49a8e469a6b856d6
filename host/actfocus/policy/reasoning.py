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

# Deliberation that carries no information about the move or the outcome: added to a turn's reasoning to
# set the action tokens' share of the response (the dose of issue 19's dose-response sweep). No sentence
# names a direction, a digit or a bracket, so none can hint at any environment's action.
FILLER = (
    "I should be careful before I commit to anything.",
    "There is no need to hurry this decision.",
    "It helps to go over what I know so far.",
    "I keep the goal of the task in mind.",
    "Each choice has a cost, so I weigh them.",
    "Some options look similar at first glance.",
    "I try not to repeat an earlier mistake.",
    "A calm look at the situation is useful.",
    "I consider what could go wrong here.",
    "The rules of the game still apply as before.",
    "I think about the position as a whole.",
    "It is worth checking the state once more.",
    "My plan should stay simple and clear.",
    "I note what changed since the last turn.",
    "Some paths are safer than others.",
    "I want a choice I can explain.",
    "Patience usually pays off in puzzles like this.",
    "I avoid guessing without a reason.",
    "The situation is not hopeless at all.",
    "A small step can still make progress.",
    "I reflect on how the episode has gone.",
    "Nothing here forces a particular choice.",
    "I settle my thoughts before I answer.",
    "This is a good moment to decide.",
)


def reasoning_problem(style: str, sentences: int) -> str | None:
    """Why this style and sentence count cannot be demonstrated, or None."""
    if style not in REASONING_STYLES:
        return f"reasoning style must be one of {sorted(REASONING_STYLES)}, got {style!r}"
    low = 1 if style == "names_move" else 0
    if not low <= sentences <= len(FILLER) + 1:
        return f"reasoning sentences must be between {low} and {len(FILLER) + 1} for the {style} style, got {sentences}"
    return None


def reasoning_text(style: str, acts: list[str], sentences: int, prng) -> str:
    """A turn's demonstrated reasoning, `sentences` parts in a random order: one of the style's templates
    (`names_move`'s name the move; one of them is two sentences) and `sentences` − 1 FILLER sentences.
    0: empty reasoning (`generic` only: `names_move` must name the move)."""
    problem = reasoning_problem(style, sentences)
    if problem:
        raise ValueError(problem)
    if sentences == 0:
        return ""
    parts = [prng.choice(REASONING_STYLES[style]).format(acts=" then ".join(acts))] + prng.sample(FILLER, sentences - 1)
    prng.shuffle(parts)
    return " ".join(parts)
