import json
import subprocess
import sys

import pytest

from actfocus.config import ConfigError, make_config, validate_value


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "actfocus", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args,message", [
    (["--set", "alpha=2"], "alpha: 2.0 is out of range; allowed 0.0 to 1.0"),
    (["--set", "env=chess"], "env: 'chess' is not allowed; choose one of sokoban, frozenlake, sudoku, shop"),
    (["--set", "nonsense=1"], "unknown setting 'nonsense'"),
    (["--set", "steps=1.5"], "steps: expected an integer"),
    (["--model", "/nonexistent"], "--model: '/nonexistent' is not a model folder"),
    (["--env-config", "{oops"], "--env-config: not valid JSON"),
])
def test_invalid_input_stops_before_any_work_with_one_line_and_exit_2(tmp_path, args, message):
    r = run("train", "--run-dir", str(tmp_path / "run"), *args)
    assert r.returncode == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run" / "events.jsonl").exists()


def test_unwritable_run_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run("train", "--run-dir", str(blocker / "run"))
    assert r.returncode == 2 and "is not writable" in r.stderr


def test_train_writes_a_run_directory(tmp_path):
    model = tmp_path / "model"
    r = run("pretrain", "--env", "sokoban", "--out", str(model), "--steps", "3", "--episodes", "4", "--d-model", "32", "--n-layer", "1")
    assert r.returncode == 0, r.stderr
    run_dir = tmp_path / "run"
    r = run("train", "--run-dir", str(run_dir), "--model", str(model), "--set", "env=sokoban", "--set", "steps=2",
            "--set", "prompts_per_step=2", "--set", "group_size=2", "--set", "max_new_tokens=8", "--set", "eval_every=2",
            "--set", "eval_prompts=2", "--set", "max_context=512")
    assert r.returncode == 0, r.stderr
    meta = json.loads((run_dir / "run.json").read_text())
    assert meta["status"] == "completed" and meta["step"] == 2 and meta["config"]["env"] == "sokoban"
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    metrics = [e for e in events if e["type"] == "metrics"]
    assert [e["step"] for e in metrics if "reward_mean" in e] == [1, 2]
    assert sum("eval/success_rate" in e for e in metrics) == 2  # at step 0 and step 2
    assert all("diag/rho_action" in e for e in metrics if "reward_mean" in e)


def test_config_validation_in_process():
    assert make_config({"alpha": 0})["alpha"] == 0.0
    with pytest.raises(ConfigError, match="beta: expected a number"):
        validate_value("beta", "lots")
