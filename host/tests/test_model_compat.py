"""A model folder paired with settings it cannot honour is settled before any work (issue: the README's
own `pretrain` then `train` crashed in step 1 with 'sequence of 612 tokens exceeds max_seq_len 512'),
and a failure during a run reaches the user as one sentence, with the traceback kept in host.log."""

import json
import shutil

import pytest
from protocol_util import actfocus

from actfocus.config import ConfigError, make_config
from actfocus.policy.compat import read_limits, reconcile

TINY = ["--env-config", '{"is_slippery": false}', "--prompts-per-step", "2", "--group-size", "2", "--max-new-tokens", "16",
        "--eval-prompts", "2", "--eval-every", "0", "--checkpoint-every", "0"]


def one_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, text
    return lines[0]


def test_train_takes_the_models_context_when_max_context_is_not_given(tmp_path, tiny_model_dir):
    r = actfocus("train", "--run-dir", tmp_path / "run", "--model", tiny_model_dir, "--steps", "1", *TINY)
    assert r.returncode == 0, r.stderr[-3000:]
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["status"] == "completed" and run["config"]["max_context"] == 512  # the model's, not the default 1536


def test_a_context_above_the_models_is_refused_before_any_work(tmp_path, tiny_model_dir):
    r = actfocus("train", "--run-dir", tmp_path / "run", "--model", tiny_model_dir, "--max-context", "1536", "--steps", "1", *TINY)
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert "--max-context" in line and "1536" in line and "512" in line, line
    assert not (tmp_path / "run").exists()


def test_an_environment_the_tokenizer_has_not_seen_is_refused(tmp_path, tiny_model_dir):
    r = actfocus("train", "--run-dir", tmp_path / "run", "--model", tiny_model_dir, "--env", "sokoban", "--steps", "1",
                 "--prompts-per-step", "1", "--group-size", "2")
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert "--env" in line and "sokoban" in line and "frozenlake" in line and "actfocus pretrain --env sokoban" in line, line
    assert not (tmp_path / "run").exists()


def test_token_limits_that_leave_no_room_are_refused(tmp_path, tiny_model_dir):
    r = actfocus("train", "--run-dir", tmp_path / "run", "--model", tiny_model_dir, "--max-new-tokens", "480", "--steps", "1", *TINY[:6])
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert "--max-context" in line and "480" in line and "first prompt" in line, line


def test_an_inconsistent_vocabulary_is_refused(tmp_path, tiny_model_dir):
    bad = tmp_path / "model"
    shutil.copytree(tiny_model_dir, bad)
    cfg = json.loads((bad / "config.json").read_text())
    cfg["model"]["vocab_size"] += 7
    (bad / "config.json").write_text(json.dumps(cfg))
    r = actfocus("train", "--run-dir", tmp_path / "run", "--model", bad, "--steps", "1", *TINY)
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert "config.json" in line and "tokenizer.json" in line, line


def test_hugging_face_limits_come_from_config_json(tmp_path):
    from test_policy import tiny_hf_model

    tiny_hf_model()[1].save_pretrained(tmp_path)  # the tokenizer the checks read
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "qwen2", "max_position_embeddings": 4096, "vocab_size": 151936}))
    lim = read_limits(str(tmp_path))
    assert (lim.kind, lim.context, lim.vocab_size) == ("huggingface", 4096, 151936)
    cfg, _ = reconcile(make_config({}), [], lim, {})
    assert cfg["max_context"] == 4096
    with pytest.raises(ConfigError, match=r"--max-context: 8192 is more than .* \(4096 tokens\)"):
        reconcile(make_config({"max_context": 8192}), ["max_context"], lim, {})
    cfg, notes = reconcile(make_config({"max_context": 8192}), ["max_context"], lim, {}, clamp_context=True)
    assert cfg["max_context"] == 4096 and "4096" in notes[0]


def test_a_run_that_fails_says_so_in_one_sentence_and_keeps_the_traceback(tmp_path, tiny_model_dir):
    broken = tmp_path / "model"
    shutil.copytree(tiny_model_dir, broken)
    data = (broken / "model.pt").read_bytes()
    (broken / "model.pt").write_bytes(data[: len(data) // 3])  # a truncated download: fails while loading, after the checks
    run_dir = tmp_path / "run"
    r = actfocus("train", "--run-dir", run_dir, "--model", broken, "--steps", "1", *TINY)
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert line.startswith("actfocus: the run failed while starting: ") and "Traceback" not in r.stderr, r.stderr
    assert str(run_dir / "host.log") in line
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "failed" and run["reason"] in line
    assert "Traceback (most recent call last)" in (run_dir / "host.log").read_text()


def test_resume_of_a_completed_run_is_a_no_op(tmp_path, tiny_model_dir):
    run_dir = tmp_path / "run"
    assert actfocus("train", "--run-dir", run_dir, "--model", tiny_model_dir, "--steps", "1", *TINY).returncode == 0
    before = (run_dir / "events.jsonl").read_bytes()
    r = actfocus("resume", run_dir)
    assert r.returncode == 0 and "already completed" in r.stdout
    assert (run_dir / "events.jsonl").read_bytes() == before


def test_a_hugging_face_folder_is_checked_by_its_tokenizer(tmp_path):
    """Context from config.json; a tokenizer larger than the model's embedding, or token limits that leave
    no room for the first prompt, refused before any work."""
    from test_policy import tiny_hf_model

    model, tok = tiny_hf_model()
    folder = tmp_path / "hf"
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    ok = actfocus("train", "--run-dir", tmp_path / "run", "--model", folder, "--steps", "1", "--env-config", '{"is_slippery": false, "max_turns": 1}', *TINY[2:])
    assert ok.returncode == 0, ok.stderr[-3000:]
    assert json.loads((tmp_path / "run" / "run.json").read_text())["config"]["max_context"] == 2048  # max_position_embeddings
    r = actfocus("train", "--run-dir", tmp_path / "r2", "--model", folder, "--max-new-tokens", "2000", "--steps", "1", *TINY[:6])
    assert r.returncode == 2 and "first prompt" in one_line(r.stderr), r.stderr
    cfg = json.loads((folder / "config.json").read_text())
    cfg["vocab_size"] = len(tok) - 10
    (folder / "config.json").write_text(json.dumps(cfg))
    r = actfocus("train", "--run-dir", tmp_path / "r3", "--model", folder, "--steps", "1", *TINY)
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert f"tokenizer has {len(tok)} tokens" in line and f"embeds only {len(tok) - 10}" in line, line
