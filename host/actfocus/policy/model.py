"""The built-in policy: a small decoder-only transformer in plain PyTorch, sized for 2 CPU cores.

Pre-LayerNorm blocks, learned positions, tied embeddings, a KV cache for generation, and an optional
scalar value head (the PPO critic is a second instance with `value_head=True`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from actfocus.policy.split_attention import prefix_attention


@dataclass
class ModelConfig:
    vocab_size: int = 2048
    d_model: int = 128
    n_layer: int = 4
    n_head: int = 4
    max_seq_len: int = 1536
    dropout: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


class KVBuffer:
    """One layer's keys and values in buffers with room to grow: decoding writes each step's key and value
    in place, where concatenating would copy the whole cache every step."""

    def __init__(self, k: torch.Tensor, v: torch.Tensor, capacity: int):
        B, H, P, d = k.shape
        self.k = k.new_empty((B, H, max(capacity, P), d))
        self.v = v.new_empty((B, H, max(capacity, P), d))
        self.k[:, :, :P] = k
        self.v[:, :, :P] = v
        self.n = P

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        T = k.shape[2]
        if self.n + T > self.k.shape[2]:
            raise ValueError(f"KV buffer full: {self.n} + {T} > {self.k.shape[2]}")
        self.k[:, :, self.n : self.n + T] = k
        self.v[:, :, self.n : self.n + T] = v
        self.n += T
        return self.view()

    def view(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.k[:, :, : self.n], self.v[:, :, : self.n]


class Block(nn.Module):
    def __init__(self, c: ModelConfig):
        super().__init__()
        self.n_head = c.n_head
        self.ln1 = nn.LayerNorm(c.d_model)
        self.qkv = nn.Linear(c.d_model, 3 * c.d_model)
        self.proj = nn.Linear(c.d_model, c.d_model)
        self.ln2 = nn.LayerNorm(c.d_model)
        self.mlp = nn.Sequential(nn.Linear(c.d_model, 4 * c.d_model), nn.GELU(), nn.Linear(4 * c.d_model, c.d_model))

    def forward(self, x, mask, past, last_only: bool = False):
        """last_only: every position's keys and values (for the cache), the output at the last only."""
        q, k, v = self._qkv(x)
        if isinstance(past, KVBuffer):
            k, v = past.append(k, v)
        elif past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        causal = mask is None
        if last_only:  # the last position sees every key: causality needs no mask there
            q, x, causal = q[:, :, -1:], x[:, -1:], False
            mask = None if mask is None else mask[:, :, -1:]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
        return self._after_attention(x, y), past if isinstance(past, KVBuffer) else (k, v)

    def forward_after_prefix(self, x, k_prefix, v_prefix, queries: torch.Tensor | None = None):
        """Right-padded rows that continue the prefixes whose keys and values are given (one per row):
        causal among their own tokens, every prefix position visible (policy.split_attention). With
        `queries` [B, Q] (positions in x), only those positions' outputs are computed: [B, Q, D]."""
        q, k, v = self._qkv(x)
        if queries is None:
            return self._after_attention(x, prefix_attention(q, k_prefix, v_prefix, k, v))
        B, H, T, dh = q.shape
        q = q.gather(2, queries[:, None, :, None].expand(B, H, -1, dh))
        seen = queries[:, None, :, None] >= torch.arange(T, device=x.device)  # [B, 1, Q, T]: causal
        mask = torch.zeros(seen.shape, dtype=q.dtype, device=x.device).masked_fill_(~seen, float("-inf"))
        x = x.gather(1, queries[:, :, None].expand(-1, -1, x.shape[-1]))
        return self._after_attention(x, prefix_attention(q, k_prefix, v_prefix, k, v, mask))

    def _qkv(self, x):
        B, T, D = x.shape
        return self.qkv(self.ln1(x)).view(B, T, 3, self.n_head, D // self.n_head).permute(2, 0, 3, 1, 4)

    def _after_attention(self, x, y):
        B, _, T, _ = y.shape
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, x.shape[-1]))
        return x + self.mlp(self.ln2(x))


class TinyLM(nn.Module):
    def __init__(self, config: ModelConfig, value_head: bool = False):
        super().__init__()
        self.config = config
        self.tok = nn.Embedding(config.vocab_size, config.d_model)
        self.pos = nn.Embedding(config.max_seq_len, config.d_model)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.d_model)
        self.value = nn.Linear(config.d_model, 1) if value_head else None
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def hidden(self, ids: torch.Tensor, attention_mask: torch.Tensor, past=None, last_only: bool = False):
        """ids [B,T] (new tokens), attention_mask [B, P+T] over past+new (1 = real token, left padding).

        Returns final hidden states [B,T,D] and the new cache. last_only: the last position's only
        ([B,1,D]; the last block computes no other: reading a prompt needs its next-token state alone)."""
        B, T = ids.shape
        P = 0 if past is None else past[0].n if isinstance(past[0], KVBuffer) else past[0][0].shape[2]
        if T == 1 and past is not None and not (torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()):
            return self._decode_step(ids, attention_mask, past, last_only)
        pos = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)[:, P:]
        x = self._embed(ids, pos)
        if past is None and not (torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()) and bool(attention_mask[:, 0].all()):
            # No left padding (training and scoring batches are right-padded): causal attention alone keeps
            # every real token from seeing the pads, which all lie to its right, so the fused kernel runs
            # without an explicit mask (several times faster on CPU than the masked path).
            return self._blocks(x, None, None, last_only)
        causal = torch.ones(T, P + T, dtype=torch.bool, device=ids.device).tril(P)
        mask = causal[None, None] & attention_mask[:, None, None, :].bool()
        # A left-padding query row with no visible key would give NaN; let it see itself.
        cols = torch.arange(P + T, device=ids.device)
        mask = mask | (cols[None, :] == torch.arange(T, device=ids.device)[:, None] + P)[None, None]
        if ids.device.type == "cpu":
            # On the CPU the kernel takes an additive mask ~15% faster than a boolean one (decoding at the
            # paper's batch: 1.49 against 1.76 ms a layer; bench notes in docs/results.md). Elsewhere the
            # boolean one stays: an fp32 additive mask would not match bf16 queries under autocast.
            mask = torch.zeros(mask.shape, dtype=x.dtype, device=x.device).masked_fill_(~mask, float("-inf"))
        return self._blocks(x, mask, past, last_only)

    def hidden_after_prefix(self, prefix_ids: torch.Tensor, row_prefix: torch.Tensor, ids: torch.Tensor,
                            queries: torch.Tensor | None = None) -> torch.Tensor:
        """Final hidden states [B, T, D] of right-padded rows `ids` [B, T], row b continuing prefix
        `row_prefix[b]` of `prefix_ids` [U, P] (every prefix P real tokens): what `hidden` gives for the
        rows' positions P.. of the whole sequences, with each distinct prefix computed once. With
        `queries` [B, Q] (positions in `ids`), only those: [B, Q, D] — the last block computes only the
        positions read (a training pass reads the response tokens' positions, ~1/5 of them)."""
        P, T = prefix_ids.shape[1], ids.shape[1]
        if P + T > self.config.max_seq_len:
            raise ValueError(f"sequence of {P + T} tokens exceeds max_seq_len {self.config.max_seq_len}")
        at = torch.arange(P + T, device=ids.device)
        xp = self.tok(prefix_ids) + self.pos(at[:P])
        x = self.tok(ids) + self.pos(at[P:])  # pads (right) get positions too; nothing reads them
        for i, block in enumerate(self.blocks):
            last = i + 1 == len(self.blocks)
            q, k, v = block._qkv(xp)
            x = block.forward_after_prefix(x, k.index_select(0, row_prefix), v.index_select(0, row_prefix), queries if last else None)
            if not last:  # the last block needs only the prefix's keys and values
                xp = block._after_attention(xp, F.scaled_dot_product_attention(q, k, v, is_causal=True))
        return self.ln_f(x)

    def _decode_step(self, ids, attention_mask, past, last_only: bool):
        """`hidden` for one new token per row after a cache (decoding), in a few operations where the general
        mask takes a dozen (~200 steps a rollout): the token's position is the row's real tokens before it,
        and it sees every real key and itself — the same positions and additive mask the general path gives."""
        x = self._embed(ids, (attention_mask.sum(-1, keepdim=True) - 1).clamp(min=0))
        seen = attention_mask[:, None, None, :] != 0
        seen[..., -1] = True  # a row fed after it finished sees itself (else no key: NaN)
        if ids.device.type == "cpu":  # additive on the CPU, as in `hidden`
            mask = torch.zeros(seen.shape, dtype=x.dtype, device=x.device).masked_fill_(~seen, float("-inf"))
        else:
            mask = seen
        return self._blocks(x, mask, past, last_only)

    def _embed(self, ids: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        if int(pos.max()) >= self.config.max_seq_len:
            raise ValueError(f"sequence of {int(pos.max()) + 1} tokens exceeds max_seq_len {self.config.max_seq_len}")
        return self.tok(ids) + self.pos(pos)

    def _blocks(self, x, mask, past, last_only: bool = False):
        new_past = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, mask, None if past is None else past[i], last_only and i + 1 == len(self.blocks))
            new_past.append(kv)
        return self.ln_f(x), new_past

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        return h @ self.tok.weight.T

    def values(self, h: torch.Tensor) -> torch.Tensor:
        assert self.value is not None, "model has no value head"
        return self.value(h).squeeze(-1)
