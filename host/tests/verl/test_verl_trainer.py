"""The ActFocus trainer's settings and entry point (actfocus.integrations.verl.trainer, .main_ppo). Its two
steps run through verl's trainer code in test_verl_ref_energy.py; here what a user's configuration meets
before any worker starts."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hydra import compose, initialize_config_module

from actfocus.config import DEFAULTS
from actfocus.integrations.verl.main_ppo import check
from actfocus.integrations.verl.trainer import actfocus_settings


def verl_config(*overrides: str):
    with initialize_config_module("verl.trainer.config", version_base=None):
        return compose("ppo_trainer", overrides=list(overrides))


def test_settings_default_to_the_hosts_and_take_overrides():
    s = actfocus_settings(verl_config("+actfocus.env=sokoban"))
    assert s["env"] == "sokoban" and s["env_config"] == {}
    assert (s["alpha"], s["beta"], s["signal"]) == (DEFAULTS["alpha"], DEFAULTS["beta"], DEFAULTS["signal"]) == (0.1, 0.5, "energy")
    s = actfocus_settings(verl_config("+actfocus.env=frozenlake", "+actfocus.alpha=0.3", "+actfocus.signal=policy_nll",
                                      "+actfocus.env_config={is_slippery:false}"))
    assert (s["alpha"], s["signal"], s["env_config"]) == (0.3, "policy_nll", {"is_slippery": False})


@pytest.mark.parametrize("overrides, says", [
    ([], "needs actfocus.env"),
    (["+actfocus.env=sokoban", "+actfocus.alpah=0.2"], "unknown setting(s) alpah"),
    (["+actfocus.env=sokoban", "+actfocus.alpha=2.0"], "alpha"),
    (["+actfocus.env=sokoban", "+actfocus.signal=ref_entropy"], "not available in the verl trainer"),
])
def test_bad_settings_are_refused_with_the_reason(overrides, says):
    with pytest.raises(ValueError) as e:
        actfocus_settings(verl_config(*overrides))
    assert says in str(e.value)


def test_the_entry_point_refuses_what_would_train_without_actfocus_before_ray_starts():
    base = ["+actfocus.env=sokoban", "actor_rollout_ref.actor.policy_loss.loss_mode=actfocus"]
    with pytest.raises(SystemExit, match="trainer.use_v1=false"):
        check(verl_config(*base))
    with pytest.raises(SystemExit, match="loss_mode=actfocus"):
        check(verl_config("+actfocus.env=sokoban", "trainer.use_v1=false"))
    with pytest.raises(SystemExit, match="needs actfocus.env"):
        check(verl_config("trainer.use_v1=false", "actor_rollout_ref.actor.policy_loss.loss_mode=actfocus"))
    check(verl_config(*base, "trainer.use_v1=false"))  # a complete configuration passes


def test_the_entry_point_composes_verls_configuration():
    p = subprocess.run([sys.executable, "-m", "actfocus.integrations.verl.main_ppo", "--cfg", "job", "trainer.use_v1=false",
                        "+actfocus.env=sokoban", "actor_rollout_ref.actor.policy_loss.loss_mode=actfocus"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "actfocus:\n  env: sokoban" in p.stdout and "loss_mode: actfocus" in p.stdout and "use_v1: false" in p.stdout
