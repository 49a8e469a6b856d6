"""Batched sampling with a KV cache: left-padded prompts, one new token per row per step.

Across the turns of a rollout the cache is kept (`TurnCache`): a prompt that extends what the cache
holds for its row (token in, token out) is read only from where the cache stops, its new tokens
appended after a gap that the attention mask hides (positions count real tokens only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from actfocus.policy.lm import LanguageModel
from actfocus.policy.model import KVBuffer


def left_pad(seqs: list[list[int]], pad: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Built from lists straight on the device (no host tensor made and copied)."""
    L = max(len(s) for s in seqs)
    ids = torch.tensor([[pad] * (L - len(s)) + list(s) for s in seqs], dtype=torch.long, device=device)
    mask = torch.tensor([[0] * (L - len(s)) + [1] * len(s) for s in seqs], dtype=torch.long, device=device)
    return ids, mask


def unique_rows(prompts: list[list[int]]) -> tuple[list[list[int]], list[int]]:
    """The distinct prompts and, per prompt, the index of its distinct copy: the rollouts of one group
    start from the same prompt, which needs reading once."""
    first: dict[tuple[int, ...], int] = {}
    index = [first.setdefault(tuple(p), len(first)) for p in prompts]
    return [list(p) for p in first], index


@dataclass
class TurnCache:
    """What the KV cache holds after a turn: per row (keyed by the caller, e.g. a trajectory) the tokens
    whose keys it has; `past`/`mask` in the order of `keys`."""
    keys: list = field(default_factory=list)
    held: list = field(default_factory=list)
    past: object = None
    mask: torch.Tensor | None = None


def _extensions(cache: TurnCache | None, keys, prompts) -> list[int | None]:
    """Per prompt, its row in the cache when it extends what the cache holds for its key, else None."""
    if cache is None or cache.past is None or keys is None:
        return [None] * len(prompts)
    where = {k: i for i, k in enumerate(cache.keys)}
    out: list[int | None] = []
    for k, p in zip(keys, prompts):
        i = where.get(k)
        held = cache.held[i] if i is not None else None
        out.append(i if held is not None and len(p) > len(held) and p[: len(held)] == held else None)
    return out


def _left_pad_cache(past, mask: torch.Tensor, length: int):
    """Cache and mask padded on the left to `length` positions (masked: positions count real tokens)."""
    extra = length - mask.shape[1]
    if extra == 0:
        return past, mask
    pad = lambda t: torch.cat([t.new_zeros((*t.shape[:2], extra, t.shape[3])), t], dim=2)  # noqa: E731
    return [(pad(k), pad(v)) for k, v in past], torch.cat([mask.new_zeros((mask.shape[0], extra)), mask], dim=1)


def _read_full(lm: LanguageModel, prompts, device, dedupe: bool, room: int):
    distinct, index = unique_rows(prompts) if dedupe and lm.can_select_cache_rows else (prompts, None)
    ids, mask = left_pad(distinct, lm.eos_id, device)
    last, past = lm.last_hidden(ids, mask)
    if index is not None and len(distinct) < len(prompts):  # each distinct prompt read once; every row gets its copy
        index = torch.tensor(index, dtype=torch.long, device=device)
        past, mask = lm.take_cache(past, mask, index, room)
        last = last[index]
    return last, past, mask


def _read_prompts(lm: LanguageModel, prompts, device, dedupe: bool, cache: TurnCache | None, keys, room: int):
    """Last hidden state per row, KV cache and mask after reading the prompts: a prompt that extends its
    cached turn only from where that stops, the others whole; the two parts joined row by row. `room`:
    the positions the cache should have room for after the prompts (the response's)."""
    rows = _extensions(cache, keys, prompts) if lm.can_select_cache_rows else [None] * len(prompts)
    ext = [j for j, r in enumerate(rows) if r is not None]
    if not ext:
        return _read_full(lm, prompts, device, dedupe, room)
    sel = torch.tensor([rows[j] for j in ext], dtype=torch.long, device=device)
    ids, seg = left_pad([prompts[j][len(cache.held[rows[j]]) :] for j in ext], lm.eos_id, device)
    past, held = lm.take_cache(cache.past, cache.mask, sel, ids.shape[1] + room)
    mask = torch.cat([held, seg], dim=1)
    last, past = lm.last_hidden(ids, mask, past)  # the new tokens' keys written into the room
    if len(ext) == len(prompts):
        return last, past, mask
    rest = [j for j, r in enumerate(rows) if r is None]
    last_b, past_b, mask_b = _read_full(lm, [prompts[j] for j in rest], device, dedupe, room)
    past, past_b = lm.cache_view(past), lm.cache_view(past_b)
    length = max(mask.shape[1], mask_b.shape[1])
    past, mask = _left_pad_cache(past, mask, length)
    past_b, mask_b = _left_pad_cache(past_b, mask_b, length)
    order = torch.empty(len(prompts), dtype=torch.long, device=device)  # joined row of each prompt
    order[torch.tensor(ext + rest, dtype=torch.long, device=device)] = torch.arange(len(prompts), device=device)
    last = torch.cat([last, last_b])[order]
    past = [(torch.cat([k, kb])[order], torch.cat([v, vb])[order]) for (k, v), (kb, vb) in zip(past, past_b)]
    return last, past, torch.cat([mask, mask_b])[order]


def sample_rows(probs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One token per row of `probs` [B, V], drawn by inverting the row's cumulative distribution at one
    uniform draw: the first token whose cumulative probability exceeds it. One draw per row, where
    torch.multinomial draws an exponential per vocabulary entry (7 % of a rollout at the paper's batch);
    every row draws, so each row's sample depends on its own distribution and the generator alone,
    whichever rows are still fed (generate keeps every row's last distribution)."""
    cdf = probs.cumsum(-1)
    u = torch.rand((probs.shape[0], 1), generator=generator, dtype=cdf.dtype, device=cdf.device) * cdf[:, -1:]
    return torch.searchsorted(cdf, u, right=True).clamp_(max=probs.shape[1] - 1).squeeze(-1)


class _LiveRows:
    """The rows a decode step feeds, and what became of those it stopped feeding.

    A turn's responses range from a few tokens to the whole budget (at the paper's batch a turn's longest
    is 1.6x its mean), and every decode step costs in proportion to the rows it feeds: once half of
    the rows fed have finished, they are dropped from the batch (`compact`), their cache kept aside and put
    back in place when the turn's cache is kept (`full_cache`). Sampling still draws for every row
    (generate keeps every row's last distribution), so a dropped row changes no other row's sample."""

    # Compacting copies the kept rows' cache: at the paper's batch, dropping rows once half the fed rows are
    # done beat a quarter and an eighth (rollout 0.89x the time of feeding every row, against 0.93x and
    # 0.93x; 4 rollouts each).
    DROP_SHARE = 0.5

    def __init__(self, B: int, past: list, masks: torch.Tensor):
        self.rows: torch.Tensor | None = None  # None: every row
        self.n_rows = B
        self.past = past  # KVBuffers of the fed rows
        self.masks = masks  # [B, P + max_new]: the attention mask of every row
        self.mask = masks  # that of the fed rows
        self.aside: list[tuple[torch.Tensor, list]] = []  # (rows, per layer (k, v)) of rows no longer fed

    def compact(self, done_before: torch.Tensor) -> None:
        """Drop the fed rows that finished before this step (their last token is in the cache already)."""
        finished = done_before if self.rows is None else done_before[self.rows]
        n_drop = int(finished.sum())
        if n_drop == 0 or n_drop < self.DROP_SHARE * self.n_rows:
            return
        idx = torch.arange(self.n_rows, device=finished.device)
        keep, drop = idx[~finished], idx[finished]
        rows = idx if self.rows is None else self.rows
        kv = [b.view() for b in self.past]
        self.aside.append((rows[drop], [(k[drop], v[drop]) for k, v in kv]))
        self.past = [KVBuffer(k[keep], v[keep], b.k.shape[2]) for (k, v), b in zip(kv, self.past)]
        self.rows = rows[keep]
        self.n_rows = len(keep)
        self.mask = self.masks[self.rows]

    def step_mask(self, width: int) -> torch.Tensor:
        if self.mask is not self.masks:  # the fed rows' copy: bring its newest column up to date
            self.mask[:, width - 1] = self.masks[self.rows, width - 1]
        return self.mask[:, :width]

    def full_cache(self, width: int) -> list:
        """Every row's cache over `width` positions, in row order (dropped rows: what they had when dropped;
        the positions after are masked)."""
        if self.rows is None:
            return [b.view() for b in self.past]
        out = []
        for layer, b in enumerate(self.past):
            k, v = b.view()
            full_k = k.new_zeros((self.masks.shape[0], k.shape[1], width, k.shape[3]))
            full_v = torch.zeros_like(full_k)
            full_k[self.rows], full_v[self.rows] = k[:, :, :width], v[:, :, :width]
            for rows, kv in self.aside:
                ak, av = kv[layer]
                full_k[rows, :, : ak.shape[2]], full_v[rows, :, : av.shape[2]] = ak, av
            out.append((full_k, full_v))
        return out


# Inference mode, not just no_grad: no view or version tracking on the ~20 small operations of each of a
# rollout's ~200 decode steps. Nothing generate makes leaves it but token lists and the turn cache, which
# only generate reads.
@torch.inference_mode()
def generate(lm: LanguageModel, prompts: list[list[int]], max_new_tokens: int, temperature: float,
             generator: torch.Generator, device="cpu", dedupe: bool = True, cache: TurnCache | None = None,
             keys: list | None = None, compact: bool = True) -> list[list[int]]:
    """Sample a response for each prompt until a stop token (or, for HF models, `</answer>` text).
    dedupe=False reads every row's prompt itself; without `cache` every prompt is read whole;
    compact=False feeds every row to the end of the turn (the simple paths; the same samples). With
    `cache` and `keys` (one per prompt), what a prompt shares with the cached turn of its key is not read
    again, and the cache is updated for the next turn."""
    last, past, mask = _read_prompts(lm, prompts, device, dedupe, cache, keys, max_new_tokens)
    P = mask.shape[1]
    past = lm.cache_with_room(past, P + max_new_tokens)
    masks = torch.zeros((mask.shape[0], P + max_new_tokens), dtype=mask.dtype, device=mask.device)  # grows in place too
    masks[:, :P] = mask
    B = len(prompts)
    text_stop = getattr(lm, "stops_on_text", None)
    stop_ids = torch.tensor(sorted(lm.stop_ids()), dtype=torch.long, device=device) if text_stop is None else None
    # Rows are dropped where the cache is the built-in model's (KVBuffers) and stops are token ids.
    live = _LiveRows(B, past, masks) if compact and stop_ids is not None and lm.can_select_cache_rows else None
    dev = mask.device
    tokens = torch.empty((B, max_new_tokens), dtype=torch.long, device=dev)
    done = torch.zeros(B, dtype=torch.bool, device=dev)
    lengths = torch.full((B,), max_new_tokens, dtype=torch.long, device=dev)
    probs = None  # every row's distribution: a dropped row keeps its last one, so every row draws its noise
    out: list[list[int]] = [[] for _ in range(B)]
    fed = 0  # decode steps whose tokens went into the cache
    for step in range(max_new_tokens):
        logits = lm.logits(last).float()
        rows = None if live is None else live.rows
        if temperature <= 0:
            nxt = logits.argmax(-1)
            if rows is not None:
                nxt = torch.zeros(B, dtype=torch.long, device=dev).index_copy_(0, rows, nxt)
        else:
            p = torch.softmax(logits / temperature, dim=-1)
            probs = p if rows is None else probs.index_copy_(0, rows, p)
            # The generator lives on the model's device (Trainer.gen): sampling stays there.
            nxt = sample_rows(probs, generator)
        tokens[:, step] = nxt
        if stop_ids is not None:
            stopped = torch.isin(nxt, stop_ids) & ~done
        else:  # text stops need each row's text: Hugging Face tokens need not end where a tag ends
            flags = [False] * B
            for i, (tid, fin) in enumerate(zip(nxt.tolist(), done.tolist())):
                if not fin:
                    out[i].append(tid)
                    flags[i] = lm.is_stop(tid) or text_stop(lm.decode(out[i][-8:]))
            stopped = torch.tensor(flags, dtype=torch.bool, device=dev)
        lengths.masked_fill_(stopped, step + 1)
        done |= stopped
        if bool(done.all()):
            break
        # Rows already done are fed too (one batch) until compacted away; their tokens are masked out
        # before the cache is kept.
        masks[:, P + step] = (~done | stopped).to(mask.dtype)
        if live is None:
            h, past = lm.hidden(nxt[:, None], masks[:, : P + step + 1], past)
        else:
            live.compact(done & ~stopped)  # done before this step: their last token is in the cache
            fed_rows = nxt if live.rows is None else nxt[live.rows]
            h, live.past = lm.hidden(fed_rows[:, None], live.step_mask(P + step + 1), live.past)
        last = h[:, -1]
        fed = step + 1
    rows, ends = tokens.tolist(), lengths.tolist()  # one copy to the host
    out_tokens = [rows[i][: ends[i]] for i in range(B)]
    if cache is not None and keys is not None and lm.can_select_cache_rows:
        n_fed = [min(int(lengths[i]), fed) for i in range(B)]  # a row's last sample is fed only if others went on
        cache.keys, cache.mask = list(keys), masks[:, : P + fed]
        cache.past = lm.cache_view(past) if live is None else live.full_cache(P + fed)
        cache.held = [list(p) + out_tokens[i][: n_fed[i]] for i, p in enumerate(prompts)]
    return out_tokens
