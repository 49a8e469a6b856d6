"""The host agrees with the shared cross-language vectors (test/vectors, also read by the TS core)."""

import json
from pathlib import Path

import pytest
import torch

from actfocus.algos.actfocus import actfocus_weights
from actfocus.algos.advantages import gae, grpo_advantages
from actfocus.algos.losses import clipped_surrogate, weighted_token_mean
from actfocus.algos.stats import spearman

VEC = Path(__file__).resolve().parents[2] / "test" / "vectors"


def cases(name):
    return json.loads((VEC / f"{name}.json").read_text())["cases"]


@pytest.mark.parametrize("case", cases("weights"))
def test_weights(case):
    w = actfocus_weights(torch.tensor(case["roles"]), torch.tensor(case["signal"], dtype=torch.float64), case["alpha"],
                         case["beta"], case["eps"], case["other_weight"], stats=tuple(case["stats"]) if "stats" in case else None)
    assert w.tolist() == pytest.approx(case["expected"], abs=1e-6)


@pytest.mark.parametrize("case", cases("loss"))
def test_normalised_loss(case):
    t = lambda k: torch.tensor(case[k], dtype=torch.float64)  # noqa: E731
    pg, _ = clipped_surrogate(t("logprob"), t("old_logprob"), t("advantages"), case["clip_low"], case["clip_high"])
    assert float(weighted_token_mean(pg, t("weights"))) == pytest.approx(case["expected"], abs=1e-12)


@pytest.mark.parametrize("case", cases("grpo"))
def test_grpo(case):
    adv = grpo_advantages(torch.tensor(case["rewards"], dtype=torch.float64), torch.tensor(case["groups"]), case["eps"])
    assert adv.tolist() == pytest.approx(case["expected"], abs=1e-9)


@pytest.mark.parametrize("case", cases("gae"))
def test_gae(case):
    adv, ret = gae(torch.tensor(case["rewards"]), torch.tensor(case["values"]), case["gamma"], case["lam"])
    assert adv.tolist() == pytest.approx(case["expected"], abs=1e-5)
    assert (ret - adv).tolist() == pytest.approx(case["values"], abs=1e-5)


@pytest.mark.parametrize("case", cases("spearman"))
def test_spearman(case):
    rho, p = spearman(case["x"], case["y"])
    assert rho == pytest.approx(case["rho"], abs=1e-12)
    assert p == pytest.approx(case["p"], rel=1e-7, abs=1e-300)
