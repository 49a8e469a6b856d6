"""The built-in model's tokenizer: word pieces from the environments' text, with a character fallback.

Text is split into pieces (chat markers and tags, words and single symbols with their leading space,
single whitespace characters). A piece
in the vocabulary is one token; any other piece is spelled character by character (characters outside
the vocabulary become <unk>). Decoding concatenates token texts, so `decode(encode(s)) == s` whenever
every character of `s` is known, and every token maps to an exact character range of its text — what
token-role assignment needs.
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from collections.abc import Iterable

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SYSTEM, USER, ASSISTANT = "<|system|>", "<|user|>", "<|assistant|>"
TAGS = ("<think>", "</think>", "<answer>", "</answer>", "||", " ||")
SPECIAL = (PAD, BOS, EOS, UNK, SYSTEM, USER, ASSISTANT)
BASE_CHARS = sorted(set(string.printable) | set("√×·…—–’“”"))

# A word carries its leading space (" Down"), as in GPT-style tokenizers: about half the tokens.
_PIECE = re.compile(r"<\|(?:system|user|assistant)\|>|</?(?:think|answer)>| ?\|\|| ?\w+| (?=</?(?:think|answer)>)| ?[^\w\s]|\s", re.UNICODE)


class Tokenizer:
    def __init__(self, pieces: list[str]):
        self.id_to_token: list[str] = list(SPECIAL) + [p for p in pieces if p not in SPECIAL]
        self.token_to_id = {t: i for i, t in enumerate(self.id_to_token)}
        if len(self.token_to_id) != len(self.id_to_token):
            raise ValueError("tokenizer vocabulary has duplicate entries")
        self.pad_id, self.bos_id, self.eos_id, self.unk_id = (self.token_to_id[t] for t in (PAD, BOS, EOS, UNK))
        self.answer_close_id = self.token_to_id["</answer>"]
        self._memo: dict[str, tuple[list[int], list[tuple[int, int]]]] = {}  # text -> its encoding (encode_with_offsets)

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int = 2048) -> "Tokenizer":
        counts: Counter[str] = Counter()
        for t in texts:
            counts.update(p for p in _PIECE.findall(t) if len(p) > 1)
        fixed = list(TAGS) + BASE_CHARS
        room = max(0, vocab_size - len(SPECIAL) - len(fixed))
        frequent = [p for p, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if p not in fixed][:room]
        return cls(fixed + frequent)

    @property
    def vocab_size(self) -> int:
        return len(self.id_to_token)

    # Distinct texts whose encoding is kept: a group's rollouts share their system prompt and first
    # observation, and observations recur (a map seen from the same cell), so a rollout step encodes the
    # same few texts hundreds of times (15 % of its time at the paper's batch before this).
    MEMO_TEXTS = 4096

    def encode_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        memo = self._memo
        hit = memo.get(text)
        if hit is None:
            if len(memo) >= self.MEMO_TEXTS:
                memo.clear()
            hit = memo[text] = self._encode_with_offsets(text)
        return list(hit[0]), list(hit[1])  # the caller's own lists: the memo's stay as computed

    def _encode_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        pos = 0
        for m in _PIECE.finditer(text):
            if m.start() > pos:  # characters the piece pattern skipped (none expected; kept for safety)
                for i in range(pos, m.start()):
                    ids.append(self.token_to_id.get(text[i], self.unk_id))
                    offsets.append((i, i + 1))
            piece = m.group(0)
            tid = self.token_to_id.get(piece)
            if tid is not None:
                ids.append(tid)
                offsets.append((m.start(), m.end()))
            else:
                for i, ch in enumerate(piece):
                    ids.append(self.token_to_id.get(ch, self.unk_id))
                    offsets.append((m.start() + i, m.start() + i + 1))
            pos = m.end()
        for i in range(pos, len(text)):
            ids.append(self.token_to_id.get(text[i], self.unk_id))
            offsets.append((i, i + 1))
        return ids, offsets

    def encode(self, text: str) -> list[int]:
        return self.encode_with_offsets(text)[0]

    def decode(self, ids: Iterable[int], skip_special: bool = False) -> str:
        out = []
        for i in ids:
            t = self.id_to_token[i]
            if skip_special and t in SPECIAL:
                continue
            out.append(t)
        return "".join(out)

    def token_text(self, i: int) -> str:
        return self.id_to_token[i]

    # ---- chat rendering ----
    def render_chat(self, messages: list[tuple[str, str]]) -> list[int]:
        """[(role, text)] → ids: <bos> then `<|role|>` text <eos> per message."""
        marker = {"system": SYSTEM, "user": USER, "assistant": ASSISTANT}
        ids = [self.bos_id]
        for role, text in messages:
            ids.append(self.token_to_id[marker[role]])
            ids += self.encode(text)
            ids.append(self.eos_id)
        return ids

    def generation_prompt(self) -> list[int]:
        return [self.token_to_id[ASSISTANT]]

    # ---- persistence ----
    def to_json(self) -> dict:
        return {"type": "actfocus-word", "version": 1, "vocab": self.id_to_token}

    @classmethod
    def from_json(cls, data: dict) -> "Tokenizer":
        if data.get("type") != "actfocus-word":
            raise ValueError("not an actfocus tokenizer file")
        vocab = data["vocab"]
        if list(vocab[: len(SPECIAL)]) != list(SPECIAL):
            raise ValueError("tokenizer file has unexpected special tokens")
        return cls(vocab[len(SPECIAL) :])

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, ensure_ascii=False)

    @classmethod
    def load(cls, path: str) -> "Tokenizer":
        with open(path, encoding="utf-8") as f:
            return cls.from_json(json.load(f))
