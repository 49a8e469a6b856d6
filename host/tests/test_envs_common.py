import subprocess
import sys

import pytest

from actfocus.envs import ENV_NAMES, make_env, parse_turn

HOSTILE = [
    "",
    "   \n\t ",
    "x" * 1_000_000,
    "<think>never closed",
    "<think>a</think><answer>Up",
    "<answer>Up</answer>",
    "<think>a</think>",
    "<think>a</think><answer></answer>",
    "<think>a</think><answer> || </answer>",
    "<think>a</think><answer>Up</answer><answer>Down</answer>",
    "<answer>Up</answer><think>a</think>",
    "<think>a</think>between<answer>Up</answer>",
    "prefix <think>a</think><answer>Up</answer>",
    "<think>a</think><answer>Up</answer> trailing",
    '<img src=x onerror="alert(1)"><script>alert(2)</script>',
    "<think><script>alert(1)</script></think><answer><img src=x onerror=alert(1)></answer>",
    "<think>日本語 🚀 \u202e\u0000\x1b[31m</think><answer>ßüñ😀\u0007</answer>",
    "<think>a</think><answer>" + "Up || " * 10_000 + "</answer>",
]


@pytest.mark.parametrize("name", ENV_NAMES)
def test_malformed_outputs_never_raise_and_give_the_documented_invalid_turn(name):
    for text in HOSTILE:
        env = make_env(name, max_turns=100, max_actions=1000)
        env.reset(0)
        obs, reward, done, info = env.step(text)
        assert isinstance(obs, str)
        parsed = parse_turn(text, env.config.max_actions_per_turn)
        if parsed.ok:
            # Well-formed but not a legal action here: invalid action, penalty, reason given.
            if not info["valid_action"]:
                assert reward <= -0.1 + 1e-9 and info.get("invalid_action") is not None and info["messages"]
        else:
            assert info["valid_action"] is False
            assert info["parse_error"] == parsed.error and parsed.error
            assert reward == pytest.approx(-0.1)
            assert f"Invalid output: {parsed.error}." in obs
            assert not done  # the episode goes on


def test_parse_turn_spans_and_limits():
    text = "<think>go up</think> <answer>Up || Left || Down</answer>"
    p = parse_turn(text, max_actions=2)
    assert p.ok and p.actions == ["Up", "Left"] and p.truncated == 1
    roles = {role: text[s:e] for s, e, role in p.spans}
    assert roles == {"reasoning": "<think>go up</think>", "action": "<answer>Up || Left || Down</answer>"}
    assert parse_turn("<answer>Up</answer>", 2, require_think=False).actions == ["Up"]


@pytest.mark.parametrize("name", ENV_NAMES)
def test_same_seed_same_episode_and_different_seeds_differ(name):
    def episode(seed):
        env = make_env(name)
        trace = [env.reset(seed)]
        while not env.done:
            obs, r, _, info = env.step(env.expert_response("x"))
            trace += [obs, r, info["success"]]
        return trace

    assert episode(11) == episode(11)
    firsts = {make_env(name).reset(s) for s in range(30)}
    assert len(firsts) >= 20, len(firsts)


@pytest.mark.parametrize("name", ENV_NAMES)
def test_turn_limit_ends_the_episode(name):
    env = make_env(name, max_turns=2)
    env.reset(0)
    env.step("nonsense")
    _, _, done, info = env.step("nonsense")
    assert done and info["turn"] == 2
    with pytest.raises(RuntimeError, match="reset"):
        env.step("nonsense")


def test_unknown_environment_and_bad_config_name_the_problem():
    with pytest.raises(ValueError, match="unknown environment 'chess'; choose one of: sokoban, frozenlake, sudoku, shop"):
        make_env("chess")
    with pytest.raises(ValueError, match="max_turns must be >= 1"):
        make_env("sokoban", max_turns=0)
    with pytest.raises(ValueError, match="sudoku: size must be 4 or 9"):
        make_env("sudoku", size=5)


@pytest.mark.parametrize("name", ENV_NAMES)
def test_play_command_runs_the_expert(name):
    r = subprocess.run([sys.executable, "-m", "actfocus", "play", name, "--seed", "3", "--config", '{"is_slippery": false}' if name == "frozenlake" else "{}", "--expert"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "SYSTEM:" in r.stdout and "success: True" in r.stdout


def test_play_command_reads_typed_turns():
    r = subprocess.run([sys.executable, "-m", "actfocus", "play", "sokoban", "--seed", "0"], input="Up\n<think>a</think>\n",
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert "[reward -0.1 | done False" in r.stdout and '"parse_error": "missing <answer>...</answer>"' in r.stdout
