import json
import subprocess
import sys

import pytest

from actfocus.config import ConfigError, make_config, validate_value
from protocol_util import validate


def events_of(run_dir):
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "actfocus", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args,message", [
    (["--set", "alpha=2"], "alpha: 2.0 is out of range; allowed 0.0 to 1.0"),
    (["--set", "env=chess"], "env: 'chess' is not allowed; choose one of sokoban, frozenlake, sudoku, shop"),
    (["--set", "nonsense=1"], "unknown setting 'nonsense'"),
    (["--set", "steps=1.5"], "steps: expected an integer"),
    (["--model", "/nonexistent"], "--model: '/nonexistent' is not a model folder"),
    (["--env-config", "{oops"], "--env-config: not valid JSON"),
    (["--pretrain-env-config", "{oops"], "--pretrain-env-config: not valid JSON"),
    (["--pretrain-env-config", '{"map_name": "5x5"}'], "--pretrain-env-config: frozenlake: map_name must be one of"),
    (["--pretrain-env-config", "[1]"], "--pretrain-env-config: must be a JSON object"),
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
    assert meta["config"]["precision"] == "auto" and meta["compute"] == {"device": "cpu", "precision": "fp32"}  # what auto became here
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    metrics = [e for e in events if e["type"] == "metrics"]
    assert [e["step"] for e in metrics if "reward_mean" in e] == [1, 2]
    assert sum("eval/success_rate" in e for e in metrics) == 2  # at step 0 and step 2
    assert all("diag/rho_action" in e for e in metrics if "reward_mean" in e)


def test_warm_start_can_use_other_environment_options_than_the_run(tmp_path):
    """Warm-start on random FrozenLake maps, train on Gymnasium's fixed map: the warm start's
    demonstrations come from --pretrain-env-config, the run from --env-config, and run.json records both."""
    run_dir = tmp_path / "run"
    r = run("train", "--run-dir", str(run_dir), "--env", "frozenlake", "--env-config", '{"is_slippery": false, "map_name": "4x4"}',
            "--pretrain-env-config", '{"is_slippery": false}', "--pretrain-steps", "2", "--steps", "1", "--prompts-per-step", "1",
            "--group-size", "2", "--max-new-tokens", "8", "--eval-every", "0", "--max-context", "512")
    assert r.returncode == 0, r.stderr
    config = json.loads((run_dir / "run.json").read_text())["config"]
    assert config["env_config"] == {"is_slippery": False, "map_name": "4x4"}
    assert config["pretrain_env_config"] == {"is_slippery": False}
    model = json.loads((run_dir / "init_model" / "config.json").read_text())
    assert model["trained_on"] == {"env": "frozenlake", "env_config": {"is_slippery": False}}
    # The warm start's progress as numbers: one event per step at this length, each with its loss.
    progress = [e for e in events_of(run_dir) if e["type"] == "progress"]
    assert [(e["phase"], e["done"], e["total"]) for e in progress] == [("pretraining", 1, 2), ("pretraining", 2, 2)]
    assert all(e["loss"] > 0 and e["step"] == 0 for e in progress)
    for e in progress:
        validate("event", e)


def test_warm_start_progress_events_are_bounded_and_average_the_loss():
    """A long warm start writes at most WARM_START_POINTS progress events, each with the mean loss of the
    steps since the one before (not a sample of one step)."""
    from actfocus.run.session import WARM_START_POINTS, warm_start_progress

    emitted, beats = [], []
    total = WARM_START_POINTS * 3 + 1
    progress = warm_start_progress(total, beats.append, emitted.append)
    for done in range(1, total + 1):
        progress(done, total, float(done))
    assert len(beats) == total and beats[-1] == (total, total, "steps")
    assert [e["done"] for e in emitted] == list(range(3, total, 3)) + [total]
    assert emitted[0]["loss"] == 2.0 and emitted[1]["loss"] == 5.0 and emitted[-1]["loss"] == float(total)


def test_config_validation_in_process():
    assert make_config({"alpha": 0})["alpha"] == 0.0
    with pytest.raises(ConfigError, match="beta: expected a number"):
        validate_value("beta", "lots")


@pytest.mark.parametrize("args,message", [
    (["--env", "chess"], "env: 'chess' is not allowed; choose one of sokoban, frozenlake, sudoku, shop"),
    (["--alpha", "1.5"], "alpha: 1.5 is out of range; allowed 0.0 to 1.0"),
    (["--traj-sampling", "most"], "traj_sampling: 'most' is not allowed; choose one of all, k_per_step, best_worst, none"),
    (["--env-config", '{"size": 99, "colour": 1}'], "env_config:"),
])
def test_per_parameter_flags_are_checked(tmp_path, args, message):
    r = run("train", "--run-dir", str(tmp_path / "run"), *args)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "run" / "run.json").exists()


def test_yaml_config_file_and_flags_override_it(tmp_path):
    from actfocus.cli import build_parser
    from actfocus.run.inputs import parse_overrides

    cfg = tmp_path / "c.yaml"
    cfg.write_text("env: sokoban\nalpha: 0.2\nbeta: 2\nenv_config:\n  size: 6\n")
    over, extras = parse_overrides(build_parser().parse_args(["train", "--run-dir", "x", "--config", str(cfg), "--alpha", "0.05", "--set", "steps=3"]))
    assert over == {"env": "sokoban", "alpha": 0.05, "beta": 2, "steps": 3} and extras == {"env_config": {"size": 6}}


@pytest.mark.parametrize("text,message", [
    ("alpha: [1\n", "not valid YAML at line"),
    ("- 1\n- 2\n", "must be a mapping"),
    ("gamma_ray: 1\n", "unknown setting 'gamma_ray'"),
    ("beta: 99\n", "beta: 99.0 is out of range; allowed 0.0 to 10.0"),
])
def test_bad_config_files(tmp_path, text, message):
    cfg = tmp_path / "c.yml"
    cfg.write_text(text)
    r = run("train", "--run-dir", str(tmp_path / "run"), "--config", str(cfg))
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_existing_run_and_resume_errors(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text("{}")
    r = run("train", "--run-dir", str(tmp_path / "run"))
    assert r.returncode == 2 and "already holds a run; use `actfocus resume" in r.stderr
    r = run("resume", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "holds no run" in r.stderr
    r = run("train", "--resume", str(tmp_path / "run"), "--alpha", "0.2")
    assert r.returncode == 2 and "--resume continues a run with its own settings" in r.stderr
    r = run("diagnose", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "holds no events.jsonl" in r.stderr
    r = run("export-onnx", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "holds no run" in r.stderr
    # a damaged run.json: one line naming the file and what is wrong, no traceback, the file untouched
    (tmp_path / "run" / "run.json").write_bytes(b'{"status": "runn')
    for cmd in ("resume", "export-onnx"):
        r = run(cmd, str(tmp_path / "run"))
        assert r.returncode == 2 and r.stderr.strip().count("\n") == 0, r.stderr
        assert f"{tmp_path / 'run' / 'run.json'}: not valid JSON" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "run" / "run.json").read_bytes() == b'{"status": "runn'


def test_help_lists_commands_examples_and_every_hyperparameter():
    from actfocus.config import PARAMS

    top = run("--help").stdout
    for cmd in ("train", "resume", "pretrain", "diagnose", "export-onnx", "play"):
        assert cmd in top
    h = run("train", "--help").stdout
    assert "actfocus train --run-dir runs/fl" in h and "--resume" in h
    for name in PARAMS:
        assert "--" + name.replace("_", "-") in h


def test_diagnose_prints_the_table(tmp_path):
    events = [{"v": 1, "t": 1.0, "step": s, "type": "metrics", "diag/tokens": 100, "diag/share_reasoning": 0.9, "diag/share_action": 0.08,
               "diag/weight_reasoning_mean": 0.1, "diag/weight_action_mean": 1.25, "diag/energy_reasoning": -5.0, "diag/energy_action": -7.0,
               "diag/rho_full": 0.1 * s, "diag/p_full": 0.5, "diag/rho_reasoning": 0.0, "diag/p_reasoning": 0.9,
               "diag/rho_action": 0.6, "diag/p_action": 0.01 if s < 3 else 0.2} for s in (1, 2, 3, 4)]
    (tmp_path / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n{broken\n")
    r = run("diagnose", str(tmp_path))
    assert r.returncode == 0, r.stderr
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines() if line.startswith(("all", "reasoning", "action"))}
    assert rows["action"] == ["action", "0.080", "1.250", "-7.00", "0.600", "0.600", "50%", "4"]
    assert rows["reasoning"][1:4] == ["0.900", "0.100", "-5.00"]
    assert rows["all"][2:7] == ["1.000", "-", "-", "0.250", "0.250"]  # "all tokens" is two words
    assert "1 malformed lines" in r.stdout
    j = json.loads(run("diagnose", str(tmp_path), "--json").stdout)
    assert j["steps"] == 4 and j["rows"][2]["significant"] == 0.5 and j["malformed_lines"] == 1
