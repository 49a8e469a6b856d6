"""Each named choice in hparams.json is exactly the names its registry holds: adding a choice is one
registered function plus its name in the shared definition, and neither can be forgotten."""

import pytest

from actfocus.algos.actfocus import SIGNAL, WEIGHTING
from actfocus.algos.losses import KL_PENALTY
from actfocus.algos.trainer import ADVANTAGE, NEEDS_CRITIC
from actfocus.config import PARAMS
from actfocus.envs.registry import ENVS
from actfocus.policy.precision import PRECISIONS
from actfocus.registry import Registry
from actfocus.run.trajstore import TRAJ_SAMPLING

REGISTRIES = {"algo": ADVANTAGE, "weighting": WEIGHTING, "signal": SIGNAL, "kl_type": KL_PENALTY, "traj_sampling": TRAJ_SAMPLING}


@pytest.mark.parametrize("setting", sorted(REGISTRIES))
def test_each_enum_is_its_registry(setting):
    reg = REGISTRIES[setting]
    assert reg.setting == setting
    assert list(PARAMS[setting]["choices"]) == list(reg.names())


def test_environments_and_precisions_are_their_definitions():
    assert list(PARAMS["env"]["choices"]) == list(ENVS)
    assert list(PARAMS["precision"]["choices"]) == ["auto", *PRECISIONS]
    assert NEEDS_CRITIC <= set(ADVANTAGE.names())


def test_an_unknown_name_says_what_is_allowed_and_a_name_registers_once():
    with pytest.raises(ValueError, match=r"signal: 'entropy' is not allowed; choose one of energy, ref_entropy, policy_nll, logprob_shift"):
        SIGNAL["entropy"]
    reg = Registry("demo")
    reg.register("a")(lambda: 1)
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("a")(lambda: 2)


# The modules that read the training configuration (a dict keyed by hyperparameter names): c, cfg, self.cfg.
CONFIG_READERS = ("algos/trainer.py", "algos/actfocus.py", "run/session.py", "run/commands.py", "run/inputs.py", "run/drive.py")


def test_every_configuration_key_the_code_reads_is_a_hyperparameter():
    """A typo in a configuration key would fail only when that line runs; here it fails at once."""
    import re
    from pathlib import Path

    import actfocus

    root = Path(actfocus.__file__).parent
    read = {}
    for rel in CONFIG_READERS:
        for key in re.findall(r'\b(?:c|cfg|self\.cfg|tr\.cfg)\["([A-Za-z_]+)"\]', (root / rel).read_text()):
            read.setdefault(key, rel)
    assert len(read) > 30  # the scan sees the step's settings
    unknown = {k: f for k, f in read.items() if k not in PARAMS}
    assert unknown == {}, f"configuration keys that are no hyperparameter: {unknown}"
