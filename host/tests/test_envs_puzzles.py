import pytest

from actfocus.envs import make_env
from actfocus.envs.sokoban import solve
from actfocus.envs.sudoku import count_solutions, solve_grid


def play_expert(env, seed):
    env.reset(seed)
    while not env.done:
        env.step(env.expert_response("solver"))
    return env


@pytest.mark.parametrize("config,seeds", [({}, 3000), ({"dim_room": (7, 7), "num_boxes": 2, "max_turns": 10, "max_actions": 20}, 300)])
def test_every_sokoban_room_is_solved_by_its_solver_within_the_limits(config, seeds):
    for seed in range(seeds):
        env = make_env("sokoban", **config)
        env.reset(seed)
        plan = solve(env.walls, env.targets, env.player, frozenset(env.boxes), env.config.max_actions)
        assert plan and env.min_solution_moves <= len(plan) <= env.config.max_actions, seed
        play_expert(env, seed)
        assert env.success, seed
        assert env.turn <= env.config.max_turns


def test_sokoban_rewards():
    env = make_env("sokoban")
    env.reset(0)
    # Rebuild a known room: player left of a box, target right of the box.
    env.walls = frozenset({(r, c) for r in range(6) for c in range(6) if r in (0, 5) or c in (0, 5)})
    env.player, env.boxes, env.targets = (2, 1), {(2, 2)}, frozenset({(2, 4)})
    _, r, done, info = env.step("<think>push</think><answer>Right</answer>")
    assert r == pytest.approx(-0.1) and not done
    _, r, done, info = env.step("<think>push</think><answer>Up || Right</answer>")
    assert r == pytest.approx(-0.2) and not done  # a move and a push that does not reach the target
    env.player, env.boxes = (2, 2), {(2, 3)}
    _, r, done, info = env.step("<think>push</think><answer>Right</answer>")
    assert r == pytest.approx(-0.1 + 1 + 10) and done and info["success"]


def test_sokoban_wall_bump_costs_a_step_and_unknown_action_is_invalid():
    env = make_env("sokoban")
    env.reset(1)
    _, r, _, info = env.step("<think>x</think><answer>Jump</answer>")
    assert r == pytest.approx(-0.1) and not info["valid_action"] and info["invalid_action"] == "Jump"


@pytest.mark.parametrize("size,clues,seeds", [(4, 10, 3000), (4, 6, 500), (9, 36, 15)])
def test_every_sudoku_has_a_unique_solution_found_by_the_solver(size, clues, seeds):
    for seed in range(seeds):
        env = make_env("sudoku", size=size, clues=clues, max_turns=100, max_actions=200)
        env.reset(seed)
        grid = [row[:] for row in env.puzzle]
        assert count_solutions([r[:] for r in grid], size) == 1, seed
        assert solve_grid(grid, size) == env.solution
        given = sum(v != 0 for row in grid for v in row)
        assert given >= clues


def test_default_sudoku_solved_by_expert_within_8_turns_and_16_steps():
    for seed in range(1000):
        env = play_expert(make_env("sudoku"), seed)
        assert env.success and env.turn <= 8 and env.actions_taken <= 16, seed


def test_sudoku_feedback_on_conflicts_and_givens():
    env = make_env("sudoku")
    env.reset(0)
    (r, c) = next((r, c) for r in range(4) for c in range(4) if env.puzzle[r][c])
    _, reward, _, info = env.step(f"<think>x</think><answer>{r + 1},{c + 1},1</answer>")
    assert not info["valid_action"] and "is a given" in info["messages"][0] and reward == pytest.approx(-0.1)
    (r, c) = next((r, c) for r in range(4) for c in range(4) if not env.puzzle[r][c])
    clash = next(v for v in env.puzzle[r] if v)
    _, _, _, info = env.step(f"<think>x</think><answer>{r + 1},{c + 1},{clash}</answer>")
    assert not info["valid_action"] and info["messages"][0].startswith(f"conflict: {clash} is already in row {r + 1}")
    assert env.grid[r][c] == 0
    obs, _, _, info = env.step("<think>x</think><answer>9,9,9</answer>")
    assert "must be in 1..4" in info["messages"][0]
    assert "Valid digits per empty cell: (" in obs


@pytest.mark.parametrize("name, config, solved", [
    ("sokoban", {}, 1.0), ("sudoku", {}, 1.0), ("shop", {}, 1.0),
    ("sokoban", {"max_turns": 1, "max_actions_per_turn": 1}, 0.0),  # one move never solves a generated room
    ("sudoku", {"max_turns": 1, "max_actions_per_turn": 1}, 0.0),  # nor one digit a puzzle
])
def test_expert_success_plays_the_expert_out_on_a_copy_within_the_budget(name, config, solved):
    from actfocus.envs import make_env

    env = make_env(name, **config)
    first = env.reset(10_000_000)
    assert env.expert_success() == solved
    assert env.turn == 0 and not env.done and env.render_state() in first  # the episode itself is untouched
    played = make_env(name, **config)
    played.reset(10_000_000)
    while not played.done:
        played.step(played.expert_response())
    assert float(bool(played.success)) == solved
