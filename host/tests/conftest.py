import pytest
import torch

from actfocus.policy.lm import BuiltinLM
from actfocus.policy.model import ModelConfig
from actfocus.policy.pretrain import build_tokenizer, demonstrations

torch.set_num_threads(2)


@pytest.fixture(scope="session")
def tiny_tokenizer():
    demos = demonstrations("frozenlake", {"is_slippery": False}, 20, 0.3, 0) + demonstrations("sokoban", {}, 10, 0.3, 0)
    return build_tokenizer(demos, 512)


@pytest.fixture
def tiny_lm(tiny_tokenizer):
    torch.manual_seed(0)
    return BuiltinLM(tiny_tokenizer, ModelConfig(vocab_size=tiny_tokenizer.vocab_size, d_model=32, n_layer=2, n_head=2, max_seq_len=1024))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A small built-in FrozenLake model on disk (a few warm-start steps: valid-looking, fast)."""
    from actfocus.policy.pretrain import pretrain

    out = tmp_path_factory.mktemp("models") / "frozenlake"
    lm = pretrain("frozenlake", {"is_slippery": False}, steps=40, episodes=30, noise=0.3, seed=0,
                  model_config=ModelConfig(d_model=32, n_layer=1, n_head=2, max_seq_len=512), max_context=512)
    lm.save(str(out))
    return out


@pytest.fixture(scope="session")
def acting_model_dir(tmp_path_factory):
    """A small built-in FrozenLake model that writes valid answers about half the time, so a training
    step has action tokens (ActFocus weights, signal statistics) and reward variance to work with."""
    from actfocus.policy.pretrain import pretrain

    out = tmp_path_factory.mktemp("models") / "frozenlake-acting"
    lm = pretrain("frozenlake", {"is_slippery": False}, steps=150, episodes=40, noise=0.3, seed=0, lr=1e-2,
                  model_config=ModelConfig(d_model=32, n_layer=1, n_head=2, max_seq_len=512), max_context=512)
    lm.save(str(out))
    return out
