"""Batched sampling with a KV cache: left-padded prompts, one new token per row per step."""

from __future__ import annotations

import torch

from actfocus.policy.lm import LanguageModel


def left_pad(seqs: list[list[int]], pad: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    L = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), L), pad, dtype=torch.long)
    mask = torch.zeros((len(seqs), L), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, L - len(s):] = torch.tensor(s, dtype=torch.long)
        mask[i, L - len(s):] = 1
    return ids.to(device), mask.to(device)


@torch.no_grad()
def generate(lm: LanguageModel, prompts: list[list[int]], max_new_tokens: int, temperature: float,
             generator: torch.Generator, device="cpu") -> list[list[int]]:
    """Sample a response for each prompt until a stop token (or, for HF models, `</answer>` text)."""
    ids, mask = left_pad(prompts, lm.eos_id, device)
    h, past = lm.hidden(ids, mask)
    last = h[:, -1]
    B = len(prompts)
    out: list[list[int]] = [[] for _ in range(B)]
    done = torch.zeros(B, dtype=torch.bool)
    text_stop = getattr(lm, "stops_on_text", None)
    for _ in range(max_new_tokens):
        logits = lm.logits(last).float()
        if temperature <= 0:
            nxt = logits.argmax(-1)
        else:
            probs = torch.softmax(logits / temperature, dim=-1)
            nxt = torch.multinomial(probs.cpu(), 1, generator=generator).squeeze(-1).to(logits.device)
        for i in range(B):
            if done[i]:
                continue
            t = int(nxt[i])
            out[i].append(t)
            if lm.is_stop(t) or (text_stop is not None and text_stop(lm.decode(out[i][-8:]))):
                done[i] = True
        if bool(done.all()):
            break
        mask = torch.cat([mask, torch.ones((B, 1), dtype=mask.dtype, device=mask.device)], dim=1)
        h, past = lm.hidden(nxt[:, None], mask, past)
        last = h[:, -1]
    return out
