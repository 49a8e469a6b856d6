"""The warm start's defaults, one place for `actfocus pretrain`, `train` without --model and the docs.
Free of torch, so the CLI can show them without loading the model code.

lr 3e-3: at 1e-3, a 400-step warm start of the 64-wide model writes a well-formed turn only ~36 % of the
time at sampling temperature 1, so RL first spends its steps relearning the format (docs/results.md,
"Learning: what limits the built-in model")."""

WARM_START = {"steps": 400, "episodes": 400, "noise": 0.3, "lr": 3e-3, "batch_size": 16}
WARM_START_MODEL = {"d_model": 64, "n_layer": 2, "n_head": 2}


class WarmStartStopped(Exception):
    """The warm start was asked to stop (its `should_stop` said so) before it finished."""
