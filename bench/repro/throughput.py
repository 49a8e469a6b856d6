"""GPU profile, throughput part: rollout and training tokens/s of real-size, randomly initialised
Qwen2-style models (the profile's `throughput.configs`), bf16 on CUDA. Nothing is downloaded: the
models are built from their configurations.

    .venv/bin/python bench/repro/suite.py throughput --profile gpu --out runs/gpu

Rollout: batched sampling with a KV cache (Hugging Face generate), `batch` sequences of `prompt_len`
prompt tokens and `new_tokens` new ones. Training: one ActFocus-weighted policy-gradient step (forward,
weighted token-mean surrogate over the response tokens, backward, AdamW) on sequences of
prompt_len + new_tokens tokens, micro-batched. Writes OUT/throughput.json.
"""

from __future__ import annotations

import json
import os
import time


def measure(name: str, arch: dict, *, device: str, dtype, batch: int, prompt_len: int, new_tokens: int, micro: int, reps: int) -> dict:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from actfocus.algos.losses import clipped_surrogate, weighted_token_mean

    torch.manual_seed(0)
    cfg = Qwen2Config(**arch, max_position_embeddings=max(4096, prompt_len + new_tokens), tie_word_embeddings=arch.get("hidden_size", 0) <= 2048)
    model = Qwen2ForCausalLM(cfg).to(device=device, dtype=dtype)
    n_params = sum(p.numel() for p in model.parameters())
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    prompts = torch.randint(0, cfg.vocab_size, (batch, prompt_len), device=device)

    model.eval()
    roll = []
    for _ in range(reps):
        sync()
        t0 = time.perf_counter()
        with torch.no_grad():
            out = model.generate(prompts, attention_mask=torch.ones_like(prompts), max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                                 do_sample=True, temperature=1.0, top_k=0, pad_token_id=0)
        sync()
        roll.append(batch * new_tokens / (time.perf_counter() - t0))

    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-6)
    seqs = out[:, : prompt_len + new_tokens]
    train = []
    for _ in range(reps):
        sync()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        w_sum = float(batch * new_tokens)
        for i in range(0, batch, micro):
            ids = seqs[i : i + micro]
            logits = model(ids).logits[:, prompt_len - 1 : -1].float()
            lp = torch.log_softmax(logits, -1).gather(-1, ids[:, prompt_len:, None]).squeeze(-1)
            adv = torch.randn(ids.shape[0], 1, device=device).expand_as(lp)
            w = torch.ones_like(lp)  # the ActFocus weights cost one multiply: uniform here, same FLOPs
            loss, _ = clipped_surrogate(lp, lp.detach(), adv, 0.2, 0.28)
            weighted_token_mean(loss, w, w_sum).backward()
        opt.step()
        sync()
        train.append(batch * (prompt_len + new_tokens) / (time.perf_counter() - t0))
    mem = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None
    del model, opt
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    return {"config": name, "params": n_params, "device": device, "dtype": str(dtype).replace("torch.", ""), "batch": batch,
            "prompt_len": prompt_len, "new_tokens": new_tokens, "rollout_tokens_per_s": sorted(roll)[len(roll) // 2],
            "train_tokens_per_s": sorted(train)[len(train) // 2], "peak_gib": mem, "reps": reps}


def run_throughput(profile: dict, out: str) -> int:
    import torch

    tp = profile["throughput"]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    if device == "cpu":
        print("no CUDA device: measuring on CPU in float32 (figures are not GPU throughput)", flush=True)
    results = []
    for name, arch in tp["configs"].items():
        r = measure(name, arch, device=device, dtype=dtype, batch=tp.get("batch", 16), prompt_len=tp.get("prompt_len", 512),
                    new_tokens=tp.get("new_tokens", 128), micro=tp.get("micro_batch", 4), reps=tp.get("reps", 3))
        print(f"{name}: {r['params'] / 1e6:.0f}M params, rollout {r['rollout_tokens_per_s']:.0f} tok/s, "
              f"train {r['train_tokens_per_s']:.0f} tok/s" + (f", peak {r['peak_gib']:.1f} GiB" if r["peak_gib"] else ""), flush=True)
        results.append(r)
    os.makedirs(out, exist_ok=True)
    name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    with open(os.path.join(out, "throughput.json"), "w", encoding="utf-8") as f:
        json.dump({"device": name, "torch": torch.__version__, "results": results}, f, indent=1)
    return 0
