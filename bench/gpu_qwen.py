"""A randomly initialised Qwen2 model of the 0.5B configuration (bench/repro/profiles.yaml, gpu profile),
built offline with a byte-level BPE tokenizer trained on the environment's own text, and the rollout
comparison against Hugging Face `generate` on the same batch.

    python bench/gpu_qwen.py make DIR                 # writes a Hugging Face model folder
    python bench/gpu_qwen.py generate DIR OUT.json    # our sampler against HF generate, same prompts

The model is random: it writes no valid answer, so every turn runs to max_new_tokens, the worst case for
rollout cost. The figures measure the engine, not learning.
"""

from __future__ import annotations

import json
import os
import sys
import time

QWEN05 = {"hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14,
          "num_key_value_heads": 2, "vocab_size": 151936}


def make(folder: str, arch: dict = QWEN05) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    from actfocus.envs import make_env

    corpus = []
    for name in ("frozenlake", "sokoban"):
        env = make_env(name)
        corpus += [env.system_prompt()] + [env.reset(s) for s in range(50)]
    corpus += ["<think>go</think><answer>Down || Right</answer>"] * 20
    tk = Tokenizer(models.BPE(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    special = ["<unk>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<answer>", "</answer>"]
    tk.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=2000, special_tokens=special,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="<unk>", eos_token="<|im_end|>", pad_token="<|im_end|>")
    tok.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                         "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    torch.manual_seed(0)
    # The real model's vocabulary size (its output head is a quarter of its FLOPs per token); ids past the
    # tokenizer's decode to nothing.
    cfg = Qwen2Config(**arch, max_position_embeddings=4096, tie_word_embeddings=True)
    model = Qwen2ForCausalLM(cfg)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    print(f"{folder}: Qwen2 {sum(p.numel() for p in model.parameters()) / 1e6:.0f}M parameters, tokenizer of {len(tok)}", flush=True)


def generate_ratio(folder: str, out: str, prompts: int = 8, group: int = 16, new_tokens: int = 128, device: str = "cuda") -> None:
    """Our `generate` (fp32 master weights, bf16 autocast, KV cache, a group's shared prompt read once)
    against `model.generate` on the same prompts: with the same fp32 weights under the same autocast, and
    with the weights cast to bf16 (how HF generate is usually run)."""
    import copy

    import torch

    from actfocus.envs import make_env
    from actfocus.policy.lm import HFLM
    from actfocus.rollout.generate import generate, left_pad

    lm = HFLM.from_pretrained(folder).to(device)
    lm.precision = "bf16"
    env = make_env("frozenlake", is_slippery=False)
    ids = []
    for s in range(prompts):
        obs = env.reset(s)
        ids += [lm.prompt_ids([("system", env.system_prompt()), ("user", obs)])] * group
    B = len(ids)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def ours():
        g = torch.Generator(device=device).manual_seed(0)
        out = generate(lm, ids, new_tokens, 1.0, g, device)
        return sum(len(o) for o in out)

    def hf(model):
        x, m = left_pad(ids, lm.eos_id, device)
        with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16):
            o = model.generate(x, attention_mask=m, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=True,
                               temperature=1.0, top_k=0, top_p=1.0, pad_token_id=lm.eos_id)
        return (o.shape[1] - x.shape[1]) * B

    bf16 = copy.deepcopy(lm.model).to(torch.bfloat16)
    rows = {}
    for name, fn in (("actfocus_generate", ours), ("hf_generate_fp32_weights_autocast", lambda: hf(lm.model)),
                     ("hf_generate_bf16_weights", lambda: hf(bf16))):
        fn()  # warm-up (kernels, allocator)
        times, toks = [], 0
        for _ in range(3):
            sync()
            t0 = time.perf_counter()
            toks = fn()
            sync()
            times.append(time.perf_counter() - t0)
        t = sorted(times)[1]
        rows[name] = {"tokens": toks, "seconds_median": t, "tokens_per_s": toks / t}
        print(f"{name}: {toks} tokens in {t:.2f} s = {toks / t:.0f} tok/s", flush=True)
    ref = rows["actfocus_generate"]["tokens_per_s"]
    result = {"device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu", "torch": torch.__version__, "batch": B, "distinct_prompts": prompts,
              "prompt_tokens": len(ids[0]), "new_tokens": new_tokens, "rows": rows,
              "ratio_ours_to_hf_same_weights": ref / rows["hf_generate_fp32_weights_autocast"]["tokens_per_s"],
              "ratio_ours_to_hf_bf16_weights": ref / rows["hf_generate_bf16_weights"]["tokens_per_s"]}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k.startswith("ratio")}), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "host"))
    small = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2,
             "num_key_value_heads": 1, "vocab_size": 4096}  # for a check of this script on the CPU
    if sys.argv[1] == "make":
        make(sys.argv[2], small if "--small" in sys.argv else QWEN05)
    elif sys.argv[1] == "generate":
        generate_ratio(sys.argv[2], sys.argv[3], **({"prompts": 2, "group": 2, "new_tokens": 8, "device": "cpu"} if "--small" in sys.argv else {}))
    else:
        raise SystemExit(__doc__)
