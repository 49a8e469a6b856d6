import pytest
import torch

from actfocus.algos import scoring
from actfocus.algos.trainer import Trainer
from actfocus.config import make_config
from actfocus.envs import make_env
from actfocus.policy.lm import BuiltinLM, HFLM
from actfocus.rollout.generate import left_pad


def test_tokenizer_round_trip_and_offsets(tiny_tokenizer):
    text = "<think>I go Down then Right.</think> <answer>Down || Right</answer>"
    ids, offsets = tiny_tokenizer.encode_with_offsets(text)
    assert tiny_tokenizer.decode(ids) == text
    assert "".join(text[s:e] for s, e in offsets) == text
    assert tiny_tokenizer.answer_close_id in ids


def test_a_remembered_encoding_is_the_encoding_and_callers_cannot_change_it(tiny_tokenizer, monkeypatch):
    text = "<think>I go Down then Right.</think> <answer>Down || Right</answer>"
    first = tiny_tokenizer.encode_with_offsets(text)
    first[0].append(0)  # a caller extending its ids (render_chat does) must not reach the memo
    first[1].clear()
    again = tiny_tokenizer.encode_with_offsets(text)
    assert again == tiny_tokenizer._encode_with_offsets(text)  # the memo holds exactly what encoding gives
    assert again[0][-1] != 0 and len(again[1]) == len(again[0])
    monkeypatch.setattr(type(tiny_tokenizer), "MEMO_TEXTS", 3)
    for i in range(10):
        assert tiny_tokenizer.encode(f"Down {i}") == tiny_tokenizer._encode_with_offsets(f"Down {i}")[0]
        assert len(tiny_tokenizer._memo) <= 3  # bounded whatever the number of distinct texts


def test_kv_cache_matches_a_full_forward_with_left_padding(tiny_lm):
    prompts = [[5, 6, 7, 8, 9, 10], [11, 12, 13]]
    ids, mask = left_pad(prompts, tiny_lm.eos_id, "cpu")
    with torch.no_grad():
        h, past = tiny_lm.hidden(ids, mask)
        nxt = torch.tensor([[20], [21]])
        mask2 = torch.cat([mask, torch.ones(2, 1, dtype=mask.dtype)], 1)
        h_inc, _ = tiny_lm.hidden(nxt, mask2, past)
        for row, prompt, tok in ((0, prompts[0], 20), (1, prompts[1], 21)):
            full, _ = tiny_lm.hidden(torch.tensor([prompt + [tok]]), torch.ones(1, len(prompt) + 1, dtype=torch.long))
            assert torch.allclose(h_inc[row, -1], full[0, -1], atol=1e-5)


def test_reading_a_prompt_for_its_last_state_equals_the_full_pass(tiny_lm):
    """last_hidden computes the last block at the last position only: the same state and the same cache
    as the full pass, with left padding, without it, and after a cache."""
    prompts = [[5, 6, 7, 8, 9, 10], [11, 12, 13]]
    with torch.no_grad():
        for rows in (prompts[:1], prompts):  # no padding at all (the unmasked causal path), and left-padded
            ids, mask = left_pad(rows, tiny_lm.eos_id, "cpu")
            h, past = tiny_lm.hidden(ids, mask)
            last, past_last = tiny_lm.last_hidden(ids, mask)
            torch.testing.assert_close(last, h[:, -1])
            for (k, v), (k2, v2) in zip(past, past_last):
                torch.testing.assert_close(k2, k)
                torch.testing.assert_close(v2, v)
        nxt, seg = left_pad([[20, 21, 22], [23]], tiny_lm.eos_id, "cpu")  # a new segment read after the cache
        mask2 = torch.cat([mask, seg], 1)
        h2, _ = tiny_lm.hidden(nxt, mask2, past)
        last2, _ = tiny_lm.last_hidden(nxt, mask2, past)
        torch.testing.assert_close(last2, h2[:, -1])


def test_a_taken_cache_holds_the_rows_real_positions_only_and_reads_on_as_the_whole_one(tiny_lm):
    """take_cache (rows taken and repeated, masked positions dropped, room to grow): a segment read after
    it and a decode step give the states the untouched cache gives."""
    prompts = [[5, 6, 7, 8, 9, 10], [11, 12, 13], [14, 15, 16, 17]]
    with torch.no_grad():
        ids, mask = left_pad(prompts, tiny_lm.eos_id, "cpu")
        _, past = tiny_lm.hidden(ids, mask)
        step = torch.tensor([[30], [31], [32]])  # a decoded token; row 1 had finished: its slot is masked
        mask = torch.cat([mask, torch.tensor([[1], [0], [1]])], 1)
        _, past = tiny_lm.hidden(step, mask, past)
        index = torch.tensor([2, 0, 1, 1])
        taken, taken_mask = tiny_lm.take_cache(past, mask, index, room=4)
        assert taken_mask.tolist() == [[0, 0, 1, 1, 1, 1, 1], [1] * 7, [0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 1, 1, 1]]
        assert all(b.k.shape[2] == 7 + 4 and b.n == 7 for b in taken)
        seg, seg_mask = left_pad([[20, 21], [22, 23], [24], [25, 26]], tiny_lm.eos_id, "cpu")
        h_taken, taken = tiny_lm.hidden(seg, torch.cat([taken_mask, seg_mask], 1), taken)  # written into the room
        whole = [(k[index], v[index]) for k, v in past]
        h_whole, whole = tiny_lm.hidden(seg, torch.cat([mask[index], seg_mask], 1), whole)
        torch.testing.assert_close(h_taken[:, -1], h_whole[:, -1])
        nxt = torch.tensor([[40], [41], [42], [43]])
        h_taken, _ = tiny_lm.hidden(nxt, torch.cat([taken_mask, seg_mask, torch.ones(4, 1, dtype=torch.long)], 1), taken)
        h_whole, _ = tiny_lm.hidden(nxt, torch.cat([mask[index], seg_mask, torch.ones(4, 1, dtype=torch.long)], 1), whole)
        torch.testing.assert_close(h_taken, h_whole)


def test_builtin_model_save_and_load(tiny_lm, tmp_path):
    tiny_lm.save(str(tmp_path / "m"))
    back = BuiltinLM.load(str(tmp_path / "m"))
    assert back.tokenizer.id_to_token == tiny_lm.tokenizer.id_to_token
    for a, b in zip(tiny_lm.parameters(), back.parameters()):
        assert torch.equal(a, b)


def tiny_hf_model():
    """A Qwen2-architecture model and a word-level tokenizer with a chat template, built offline."""
    from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    env = make_env("frozenlake", is_slippery=False)
    corpus = [env.system_prompt(), env.reset(0), "<think>go</think><answer>Down || Right</answer>"]
    tk = Tokenizer(models.BPE(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    special = ["<unk>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<answer>", "</answer>"]
    tk.train_from_iterator(corpus * 5, trainers.BpeTrainer(vocab_size=400, special_tokens=special,
                                                           initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, unk_token="<unk>", eos_token="<|im_end|>", pad_token="<|im_end|>")
    tok.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                         "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    torch.manual_seed(0)
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                      num_key_value_heads=1, max_position_embeddings=2048, tie_word_embeddings=True)
    return Qwen2ForCausalLM(cfg).eval(), tok


def test_hugging_face_path_trains_a_step_with_energy_from_the_reference():
    model, tok = tiny_hf_model()
    lm = HFLM(model, tok)
    cfg = make_config(dict(env="frozenlake", algo="ppo", weighting="actfocus", prompts_per_step=2, group_size=2,
                           max_new_tokens=10, max_context=2048, mini_batch_size=4, micro_batch_size=2))
    tr = Trainer(cfg, lm, {"is_slippery": False, "max_turns": 2})
    before = [p.detach().clone() for p in lm.parameters()]
    res = tr.step(0)
    m = res.metrics
    assert m["loss"] is not None and m["diag/tokens"] > 0
    assert any(not torch.equal(a, b) for a, b in zip(before, lm.parameters()))
    # Energies equal -logsumexp of the frozen reference's logits, computed by the HF model itself.
    s = res.batch.samples[0]
    got = scoring.reference_stats(tr.ref, [s], "cpu", micro=1)["energy"]
    with torch.no_grad():
        logits = tr.ref.model(torch.tensor([s.prompt_ids + s.response_ids])).logits[0].double()
    p = len(s.prompt_ids)
    expected = [-float(torch.logsumexp(logits[p - 1 + j], -1)) for j in range(len(s.response_ids))]
    assert got.tolist() == pytest.approx(expected, abs=1e-4)


def test_missing_model_path_is_a_clear_error():
    with pytest.raises(ValueError, match="is not a folder"):
        HFLM.from_pretrained("/nonexistent/model")


def test_warm_start_reasoning_styles():
    """`names_move` demonstrations name the answer's moves inside <think>; `generic` ones never do, so a
    model warm-started on them has to take the decision in the action tokens."""
    import re

    from actfocus.policy.pretrain import demonstrations

    def split(text):
        m = re.fullmatch(r"<think>(.*)</think><answer>(.*)</answer>", text)
        return m.group(1), [a.strip() for a in m.group(2).split("||")]

    named = [split(r) for _, r in demonstrations("sokoban", {}, 6, 0.0, 0)]
    generic = [split(r) for _, r in demonstrations("sokoban", {}, 6, 0.0, 0, reasoning="generic")]
    assert named and all(all(a in think for a in acts) for think, acts in named)
    moves = ("Up", "Down", "Left", "Right")
    assert generic and not any(mv in think for think, _ in generic for mv in moves)
    # the same expert moves either way: only the reasoning text differs
    assert [acts for _, acts in named] == [acts for _, acts in generic]
    with pytest.raises(ValueError, match="reasoning style"):
        demonstrations("sokoban", {}, 1, 0.0, 0, reasoning="verbose")


def test_reasoning_length_sets_the_share_without_informing_the_move():
    """More sentences lower the action tokens' share; the added ones never name a move, a digit or a
    bracket (no environment's action), `generic` reasoning never names the move at any length, and the
    moves demonstrated are the same whatever the reasoning."""
    import random as _random
    import re

    from actfocus.policy.pretrain import demonstrations
    from actfocus.policy.reasoning import FILLER, reasoning_problem, reasoning_text

    assert not any(re.search(r"\b(up|down|left|right)\b|[0-9\[\]]", f, re.I) for f in FILLER)
    base = [r for _, r in demonstrations("frozenlake", {}, 8, 0.3, 1)]
    acts = lambda text: re.search(r"<answer>(.*)</answer>", text).group(1)  # noqa: E731
    think_len = []
    for n in (0, 1, 3, 8):
        demos = [r for _, r in demonstrations("frozenlake", {}, 8, 0.3, 1, reasoning="generic", reasoning_sentences=n)]
        assert [acts(r) for r in demos] == [acts(r) for r in base]
        thinks = [re.search(r"<think>(.*)</think>", r).group(1) for r in demos]
        assert not any(re.search(r"\b(Up|Down|Left|Right)\b", t) for t in thinks)
        assert all(len(re.findall(r"[.!?](?:\s|$)", t)) == n for t in thinks)  # n sentences, each ended
        think_len.append(sum(map(len, thinks)) / len(thinks))
    assert think_len == sorted(think_len) and think_len[0] == 0
    # names_move with filler still names the move, somewhere among its sentences
    t = reasoning_text("names_move", ["Left", "Down"], 4, _random.Random(3))
    assert "Left then Down" in t and sum(f in t for f in FILLER) == 3
    assert reasoning_problem("names_move", 0) and reasoning_problem("generic", len(FILLER) + 2) and not reasoning_problem("generic", 0)
    with pytest.raises(ValueError, match="reasoning sentences"):
        demonstrations("frozenlake", {}, 1, 0.0, 0, reasoning="names_move", reasoning_sentences=0)


def test_a_hugging_face_model_exports_to_onnx_with_its_own_tokenizer_and_the_training_energies(tmp_path):
    """export-onnx for a Hugging Face causal LM: the ONNX graph gives the energies and log-probs the
    host's scoring pass gives (fp32 head) at every length, and the folder holds the model's own
    tokenizer files and the chat template its prompts were rendered with."""
    import json

    import numpy as np
    import onnxruntime as ort  # a test extra, installed by scripts/setup.sh

    from actfocus.export.onnx import HF_META, export_onnx

    model, tok = tiny_hf_model()
    lm = HFLM(model, tok)
    out = tmp_path / "export"
    export_onnx(lm, str(out))
    meta = json.loads((out / HF_META).read_text())
    assert meta["kind"] == "huggingface" and meta["chat_template"] == tok.chat_template and meta["eos"] == tok.eos_token_id
    assert (out / "tokenizer.json").exists() and (out / "tokenizer_config.json").exists()
    sess = ort.InferenceSession(str(out / "model.onnx"))
    prompt = lm.prompt_ids([("system", "be brief"), ("user", "go <b>down</b>")])
    for n in (2, 5, len(prompt)):
        ids = torch.tensor([prompt[:n]])
        logits, energy = sess.run(None, {"input_ids": ids.numpy(), "attention_mask": np.ones_like(ids.numpy())})
        with torch.no_grad():
            h, _ = lm.hidden(ids, torch.ones_like(ids))
            want = lm.logits(h)
        np.testing.assert_allclose(logits, want.numpy(), atol=1e-5, rtol=1e-5)
        np.testing.assert_allclose(energy, -torch.logsumexp(want, -1).numpy(), atol=1e-5, rtol=1e-5)
