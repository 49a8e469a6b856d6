"""One interface over the policies: the built-in TinyLM with its tokenizer, or a Hugging Face causal LM.

Everything above this module (rollouts, losses, energy) sees only `LanguageModel`:
  hidden(ids, attention_mask, past) -> (h, past)   final hidden states, KV cache
  logits(h)                                         vocabulary logits for chosen positions only
  values(h)                                         critic values (models built with a value head)
and a chat interface (render a conversation to ids, decode, token offsets).
"""

from __future__ import annotations

import copy
import inspect
import json
import os

import torch
from torch import nn

from actfocus.policy import split_attention
from actfocus.policy.model import KVBuffer, ModelConfig, TinyLM
from actfocus.policy.precision import fp32_head, trunk_autocast
from actfocus.policy.tokenizer import Tokenizer

Messages = list[tuple[str, str]]  # (role, text) with role in system/user/assistant


class LanguageModel(nn.Module):
    eos_id: int
    # "fp32" or "bf16": how the trunk's forward passes run (policy.precision; the trainer sets it). The
    # heads (logits, values) are fp32 either way.
    precision = "fp32"

    def hidden(self, ids, attention_mask, past=None):  # pragma: no cover - interface
        raise NotImplementedError

    def last_hidden(self, ids, attention_mask, past=None):
        """(final hidden state at the last position [B, D], cache): what reading a prompt needs."""
        h, past = self.hidden(ids, attention_mask, past)
        return h[:, -1], past

    def logits(self, h):  # pragma: no cover - interface
        raise NotImplementedError

    def values(self, h):  # pragma: no cover - interface
        raise NotImplementedError

    def prompt_ids(self, messages: Messages) -> list[int]:  # pragma: no cover - interface
        """Ids of the conversation followed by the assistant's generation prompt."""
        raise NotImplementedError

    def decode(self, ids: list[int]) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def continue_prompt(self, prompt: list[int], response: list[int], user_text: str) -> list[int] | None:
        """The next turn's prompt as the previous prompt, the response exactly as sampled, then the user's
        message and the generation prompt; None where the model's chat format cannot be extended so
        (the conversation is rendered anew then)."""
        return None

    def is_stop(self, token_id: int) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def stop_ids(self) -> set[int]:  # pragma: no cover - interface
        """The token ids that end a response (models that also stop on text say so with stops_on_text)."""
        raise NotImplementedError

    def shares_prefixes(self, device) -> bool:
        """Whether `hidden_after_prefix` is offered on `device` (the built-in model on the CPU, fp32)."""
        return False

    def hidden_after_prefix(self, prefixes, row_prefix, ids, queries=None):  # pragma: no cover - interface
        """Final hidden states of right-padded rows `ids` [B, T] after their prefixes (row b continues
        `prefixes[row_prefix[b]]`, [U, P]): `hidden` of the whole rows at positions P.., each prefix read
        once; with `queries` [B, Q] only at those positions of `ids`."""
        raise NotImplementedError

    can_select_cache_rows = False

    def cache_with_room(self, past, capacity: int):
        """The KV cache, able to grow to `capacity` positions without copying (where the model can)."""
        return past

    def cache_view(self, past):
        """The KV cache as plain tensors (undoes cache_with_room)."""
        return past

    def take_cache(self, past, mask: torch.Tensor, index: torch.Tensor, room: int):  # pragma: no cover - interface
        """(cache, mask) of the batch rows `index` (taken, and repeated) holding their real positions only
        (the mask's 1s, in order, right-aligned; positions count real tokens, so attention and positions
        are as before), in buffers with room for `room` more positions."""
        raise NotImplementedError

    def token_offsets(self, ids: list[int]) -> tuple[str, list[tuple[int, int]]]:
        """Decoded text of a generated response and each token's character range in it."""
        offsets, prev = [], 0
        for i in range(len(ids)):
            n = len(self.decode(ids[: i + 1]))
            offsets.append((prev, max(prev, n)))
            prev = max(prev, n)
        return self.decode(ids), offsets

    def with_value_head(self) -> "LanguageModel":  # pragma: no cover - interface
        raise NotImplementedError


class BuiltinLM(LanguageModel):
    def __init__(self, tokenizer: Tokenizer, config: ModelConfig, value_head: bool = False):
        super().__init__()
        self.tokenizer = tokenizer
        self.net = TinyLM(config, value_head=value_head)
        self.eos_id = tokenizer.eos_id
        # The environment the tokenizer and warm start came from (set by pretrain; policy.compat checks it).
        self.trained_on: dict | None = None

    def hidden(self, ids, attention_mask, past=None):
        with trunk_autocast(ids.device, self.precision):
            return self.net.hidden(ids, attention_mask, past)

    def last_hidden(self, ids, attention_mask, past=None):
        with trunk_autocast(ids.device, self.precision):
            h, past = self.net.hidden(ids, attention_mask, past, last_only=True)
        return h[:, -1], past

    def logits(self, h):
        with fp32_head(h.device):
            return self.net.logits(h.float())

    def values(self, h):
        with fp32_head(h.device):
            return self.net.values(h.float())

    def shares_prefixes(self, device) -> bool:
        return self.precision == "fp32" and split_attention.available(device)

    def hidden_after_prefix(self, prefixes, row_prefix, ids, queries=None):
        return self.net.hidden_after_prefix(prefixes, row_prefix, ids, queries)

    def prompt_ids(self, messages: Messages) -> list[int]:
        return self.tokenizer.render_chat(messages) + self.tokenizer.generation_prompt()

    def continue_prompt(self, prompt, response, user_text):
        # render_chat closes every message with <eos>, as a sampled response ends: appending the user's
        # message keeps the sampled tokens, where re-encoding the reply could split its words differently.
        if not response or response[-1] != self.eos_id:
            return None
        return prompt + response + self.tokenizer.render_chat([("user", user_text)])[1:] + self.tokenizer.generation_prompt()

    def decode(self, ids):
        return self.tokenizer.decode(ids)

    def token_offsets(self, ids):
        # Token texts concatenate exactly: no quadratic re-decoding needed.
        offsets, pos = [], 0
        for i in ids:
            n = len(self.tokenizer.token_text(i))
            offsets.append((pos, pos + n))
            pos += n
        return self.decode(ids), offsets

    def is_stop(self, token_id: int) -> bool:
        return token_id in self.stop_ids()

    def stop_ids(self) -> set[int]:
        return {self.tokenizer.answer_close_id, self.tokenizer.eos_id}

    can_select_cache_rows = True

    def take_cache(self, past, mask, index, room):
        # A turn's cache holds masked positions: left padding, and the slots of rows that finished before
        # the turn's longest (~18 % of the keys a rollout's later turns read). Dropping them shortens every
        # later read and decode step; taking the rows and the columns is one gather.
        m = mask[index]
        n = m.sum(1)
        width = int(n.max())
        cols = torch.sort(m, dim=1, stable=True).indices[:, m.shape[1] - width :]  # real columns last, in order
        taken = (torch.arange(width, device=m.device) >= width - n[:, None]).to(mask.dtype)
        out = []
        for k, v in self.cache_view(past):
            r, h, c = index[:, None, None], torch.arange(k.shape[1], device=k.device)[None, :, None], cols[:, None, :]
            out.append(KVBuffer(k[r, h, c], v[r, h, c], width + room))
        return out, taken

    def cache_with_room(self, past, capacity):
        return [b if isinstance(b, KVBuffer) and b.k.shape[2] >= capacity else KVBuffer(*self.cache_view([b])[0], capacity) for b in past]

    def cache_view(self, past):
        return [p.view() if isinstance(p, KVBuffer) else p for p in past]

    def with_value_head(self) -> "BuiltinLM":
        critic = BuiltinLM(self.tokenizer, self.net.config, value_head=True)
        critic.net.load_state_dict(self.net.state_dict(), strict=False)
        # The critic starts from the policy's trunk and predicts 0: deterministic, whatever the RNG state.
        torch.nn.init.zeros_(critic.net.value.weight)
        torch.nn.init.zeros_(critic.net.value.bias)
        return critic

    # ---- persistence: a folder with config.json, tokenizer.json, model.pt ----
    def save(self, folder: str) -> None:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.json"), "w") as f:
            meta = {"type": "actfocus-builtin", "model": self.net.config.to_dict()}
            if self.trained_on:
                meta["trained_on"] = self.trained_on
            json.dump(meta, f, indent=2)
        self.tokenizer.save(os.path.join(folder, "tokenizer.json"))
        torch.save(self.net.state_dict(), os.path.join(folder, "model.pt"))

    @classmethod
    def load(cls, folder: str) -> "BuiltinLM":
        with open(os.path.join(folder, "config.json")) as f:
            cfg = json.load(f)
        if cfg.get("type") != "actfocus-builtin":
            raise ValueError(f"{folder}: not a built-in ActFocus model folder")
        lm = cls(Tokenizer.load(os.path.join(folder, "tokenizer.json")), ModelConfig(**cfg["model"]))
        state = torch.load(os.path.join(folder, "model.pt"), map_location="cpu", weights_only=True)
        lm.net.load_state_dict({k: v for k, v in state.items() if not k.startswith("value.")})
        lm.trained_on = cfg.get("trained_on")
        return lm


class HFLM(LanguageModel):
    """A Hugging Face causal LM (local path or an in-memory model) with its tokenizer and chat template."""

    def __init__(self, model, tokenizer, value_head: bool = False):
        super().__init__()
        self.model = model
        self.tok = tokenizer
        self.eos_id = tokenizer.eos_token_id
        self.value = nn.Linear(model.config.hidden_size, 1) if value_head else None
        self._answer_close = "</answer>"
        # transformers renamed `past_key_values` to `cache` in 5.x; accept both.
        params = inspect.signature(model.base_model.forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"

    @classmethod
    def from_pretrained(cls, path: str, dtype: torch.dtype = torch.float32) -> "HFLM":
        """fp32 by default whatever the checkpoint's dtype: the trained parameters are the fp32 master
        weights of the precision policy (bf16 checkpoints are widened; autocast computes in bf16)."""
        if not os.path.isdir(path):
            raise ValueError(f"model path {path!r} is not a folder (a local Hugging Face model is expected)")
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer  # optional extra: actfocus[hf]

        tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
        # transformers 5 names the argument `dtype` (and loads the checkpoint's dtype when none is given).
        arg = "dtype" if int(transformers.__version__.split(".")[0]) >= 5 else "torch_dtype"
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, **{arg: dtype})
        return cls(model, tok)

    def hidden(self, ids, attention_mask, past=None):
        P = 0 if past is None else past.get_seq_length()
        pos = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)[:, P:]
        with trunk_autocast(ids.device, self.precision):
            out = self.model.base_model(input_ids=ids, attention_mask=attention_mask, position_ids=pos, use_cache=True,
                                        **{self._cache_arg: past})
        return out.last_hidden_state, out.past_key_values

    def logits(self, h):
        head = self.model.get_output_embeddings()
        with fp32_head(h.device):
            return head(h.to(head.weight.dtype)).float()

    def values(self, h):
        assert self.value is not None, "model has no value head"
        with fp32_head(h.device):
            return self.value(h.to(self.value.weight.dtype)).squeeze(-1).float()

    def prompt_ids(self, messages: Messages) -> list[int]:
        conv = [{"role": r, "content": t} for r, t in messages]
        ids = self.tok.apply_chat_template(conv, add_generation_prompt=True, tokenize=True)
        # transformers 5 returns a BatchEncoding here, 4.x a plain list.
        return list(ids if isinstance(ids, list) else ids["input_ids"])

    def decode(self, ids):
        return self.tok.decode(ids, skip_special_tokens=False)

    def is_stop(self, token_id: int) -> bool:
        # Tag boundaries need not be token boundaries in a BPE vocabulary: rollouts also stop on text.
        return token_id == self.eos_id

    def stop_ids(self) -> set[int]:
        return {self.eos_id}

    def stops_on_text(self, text: str) -> bool:
        return text.rstrip().endswith(self._answer_close)

    def with_value_head(self) -> "HFLM":
        critic = HFLM(copy.deepcopy(self.model), self.tok, value_head=True)
        torch.nn.init.zeros_(critic.value.weight)
        torch.nn.init.zeros_(critic.value.bias)
        return critic


def load_policy(path: str) -> LanguageModel:
    if os.path.isfile(os.path.join(path, "config.json")):
        with open(os.path.join(path, "config.json")) as f:
            if json.load(f).get("type") == "actfocus-builtin":
                return BuiltinLM.load(path)
    return HFLM.from_pretrained(path)
