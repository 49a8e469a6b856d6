from actfocus.envs.base import ActionOutcome, TextEnv
from actfocus.envs.parsing import ParsedTurn, parse_turn
from actfocus.envs.registry import ENV_NAMES, make_env

__all__ = ["ActionOutcome", "ENV_NAMES", "ParsedTurn", "TextEnv", "make_env", "parse_turn"]
