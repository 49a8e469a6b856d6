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
