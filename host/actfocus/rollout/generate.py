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


def unique_rows(prompts: list[list[int]]) -> tuple[list[list[int]], torch.Tensor]:
    """The distinct prompts and, per prompt, the index of its distinct copy: the rollouts of one group
    start from the same prompt, which needs reading once."""
    first: dict[tuple[int, ...], int] = {}
    index = [first.setdefault(tuple(p), len(first)) for p in prompts]
    return [list(p) for p in first], torch.tensor(index, dtype=torch.long)


@torch.no_grad()
def generate(lm: LanguageModel, prompts: list[list[int]], max_new_tokens: int, temperature: float,
             generator: torch.Generator, device="cpu", dedupe: bool = True) -> list[list[int]]:
    """Sample a response for each prompt until a stop token (or, for HF models, `</answer>` text).
    dedupe=False reads every row's prompt itself (the simple path; the same samples)."""
    distinct, index = unique_rows(prompts) if dedupe and lm.can_select_cache_rows else (prompts, None)
    ids, mask = left_pad(distinct, lm.eos_id, device)
    h, past = lm.hidden(ids, mask)
    if index is not None and len(distinct) < len(prompts):  # each distinct prompt read once; every row gets its copy
        index = index.to(device)
        h, mask, past = h[index], mask[index], lm.select_cache_rows(past, index)
    last = h[:, -1]
    B = len(prompts)
    text_stop = getattr(lm, "stops_on_text", None)
    stop_ids = torch.tensor(sorted(lm.stop_ids()), dtype=torch.long, device=device) if text_stop is None else None
    tokens = torch.empty((B, max_new_tokens), dtype=torch.long)
    done = torch.zeros(B, dtype=torch.bool)
    lengths = torch.full((B,), max_new_tokens, dtype=torch.long)
    out: list[list[int]] = [[] for _ in range(B)]
    for step in range(max_new_tokens):
        logits = lm.logits(last).float()
        if temperature <= 0:
            nxt = logits.argmax(-1)
        else:
            probs = torch.softmax(logits / temperature, dim=-1)
            nxt = torch.multinomial(probs.cpu(), 1, generator=generator).squeeze(-1).to(logits.device)
        tokens[:, step] = nxt.cpu()
        if stop_ids is not None:
            stopped = torch.isin(nxt, stop_ids).cpu() & ~done
        else:  # text stops need each row's text: Hugging Face tokens need not end where a tag ends
            stopped = torch.zeros(B, dtype=torch.bool)
            for i in range(B):
                if not done[i]:
                    out[i].append(int(nxt[i]))
                    stopped[i] = lm.is_stop(out[i][-1]) or text_stop(lm.decode(out[i][-8:]))
        lengths[stopped] = step + 1
        done |= stopped
        if bool(done.all()):
            break
        mask = torch.cat([mask, torch.ones((B, 1), dtype=mask.dtype, device=mask.device)], dim=1)
        h, past = lm.hidden(nxt[:, None], mask, past)
        last = h[:, -1]
    return [tokens[i, : int(lengths[i])].tolist() for i in range(B)]

