import numpy as np
import pytest
from gymnasium.envs.toy_text.frozen_lake import FrozenLakeEnv as GymFrozenLake
from gymnasium.envs.toy_text.frozen_lake import MAPS as GYM_MAPS
from gymnasium.envs.toy_text.frozen_lake import generate_random_map as gym_generate_random_map

from actfocus.envs import make_env
from actfocus.envs.frozenlake import ACTION_NAMES, generate_random_map


@pytest.mark.parametrize("size", [4, 8])
def test_maps_equal_gymnasium_generator(size):
    for seed in range(200):
        assert generate_random_map(size, 0.8, seed) == gym_generate_random_map(size, 0.8, seed)


@pytest.mark.parametrize("name", ["4x4", "8x8"])
def test_named_maps_are_gymnasiums_and_the_same_every_episode(name):
    env = make_env("frozenlake", map_name=name)
    for seed in (0, 1, 12345):
        env.reset(seed)
        assert env.desc == GYM_MAPS[name]


def test_map_name_is_checked():
    with pytest.raises(ValueError, match="map_name must be one of"):
        make_env("frozenlake", map_name="5x5")
    with pytest.raises(ValueError, match="not both"):
        make_env("frozenlake", map_name="4x4", desc=["SG", "FF"])


@pytest.mark.parametrize("slippery", [True, False])
@pytest.mark.parametrize("size", [4, 6])
def test_transitions_and_rewards_match_gymnasium_step_by_step(slippery, size):
    steps_compared = 0
    for seed in range(150):
        ours = make_env("frozenlake", size=size, is_slippery=slippery, max_turns=200, max_actions_per_turn=1, max_actions=200)
        ours.reset(seed)
        gym = GymFrozenLake(desc=ours.desc, is_slippery=slippery)
        state, _ = gym.reset(seed=seed)
        assert state == ours.state_index
        actions = np.random.default_rng(10_000 + seed).integers(0, 4, size=60)
        for a in actions:
            g_state, g_reward, g_term, _, _ = gym.step(int(a))
            _, reward, done, info = ours.step(f"<think>go</think><answer>{ACTION_NAMES[a]}</answer>")
            steps_compared += 1
            assert ours.state_index == g_state, (seed, a)
            assert reward == g_reward
            assert info["valid_action"]
            assert done == g_term  # the budget is large: only the map can end the episode
            if g_term:
                assert info["success"] == (g_reward == 1)
                break
    assert steps_compared > 1000


def test_observation_lists_coordinates_and_grid():
    env = make_env("frozenlake", desc=["SFFH", "FHFF", "FFFF", "HFFG"], is_slippery=False)
    obs = env.reset(0)
    assert "Board size: 4x4. Start: (0,0). Goal: (3,3). Player: (0,0). Holes: (0,3), (1,1), (3,0)." in obs
    assert "P _ _ O\n_ O _ _" in obs
    assert "You have 10 actions left" in obs


def test_expert_path_reaches_goal_when_not_slippery():
    for seed in range(300):
        env = make_env("frozenlake", is_slippery=False)
        env.reset(seed)
        while not env.done:
            env.step(env.expert_response())
        assert env.success, seed


def test_the_optimum_is_computed_exactly_turn_by_turn():
    from fractions import Fraction

    # From S, "Right" reaches G with 1/3 but slips Down into the hole with 1/3; "Up" reaches G with 1/3
    # (slipping Right) and otherwise stays put. The best policy plays Up: 1 - (2/3)^k within k actions.
    cases = [(dict(max_turns=1, max_actions_per_turn=1, max_actions=1), Fraction(1, 3)),
             (dict(max_turns=2, max_actions_per_turn=1, max_actions=2), Fraction(5, 9)),
             (dict(max_turns=3, max_actions_per_turn=1, max_actions=3), Fraction(19, 27)),
             (dict(max_turns=1, max_actions_per_turn=2, max_actions=2), Fraction(5, 9)),  # two blind actions
             (dict(max_turns=3, max_actions_per_turn=1, max_actions=2), Fraction(5, 9))]  # actions bind first
    for budget, want in cases:
        env = make_env("frozenlake", desc=["SG", "HH"], is_slippery=True, **budget)
        env.reset(0)
        assert env.optimal_success() == pytest.approx(float(want), abs=1e-12), budget
    # Not slippery: certain exactly when the shortest path fits the budget.
    env = make_env("frozenlake", desc=["SFFF", "HHHF", "FFFF", "GHHH"], is_slippery=False, max_turns=5, max_actions_per_turn=2, max_actions=10)
    env.reset(0)
    assert len(env.shortest_path()) == 9 and env.optimal_success() == 1.0
    env = make_env("frozenlake", desc=["SFFF", "HHHF", "FFFF", "GHHH"], is_slippery=False, max_turns=4, max_actions_per_turn=2, max_actions=10)
    env.reset(0)
    assert env.optimal_success() == 0.0
    # Blind actions cost: with observations after every action the optimum is higher on slippery maps.
    seen, blind = [], []
    for seed in range(10):
        for per_turn, out in ((1, seen), (2, blind)):
            env = make_env("frozenlake", is_slippery=True, max_turns=10 // per_turn, max_actions_per_turn=per_turn, max_actions=10)
            env.reset(seed)
            out.append(env.optimal_success())
    assert all(b <= s + 1e-12 for s, b in zip(seen, blind)) and sum(blind) < sum(seen)


def test_each_turns_value_is_its_success_with_the_best_play_after_it():
    from fractions import Fraction

    # S G / H H on ice, 2 turns of one action (actions: 0 Left, 1 Down, 2 Right, 3 Up). Up: into the wall
    # with 1/3 (stays), slips Left into the wall (stays) or Right onto G: 1/3 now, then the best turn
    # (1/3) from the 2/3 that stayed: 5/9. Right: G 1/3, slips Up (stays) 1/3 then 1/3, or Down into H: 4/9.
    env = make_env("frozenlake", desc=["SG", "HH"], is_slippery=True, max_turns=2, max_actions_per_turn=1, max_actions=2)
    env.reset(0)
    values = env.turn_values()
    assert set(values) == {(0,), (1,), (2,), (3,)}
    assert values[(3,)] == pytest.approx(float(Fraction(5, 9)), abs=1e-12)
    assert values[(2,)] == pytest.approx(float(Fraction(4, 9)), abs=1e-12)
    assert max(values.values()) == pytest.approx(env.optimal_success(), abs=1e-12)
    # With one turn left (a budget given, as for a turn read from a log): Up and Right reach G with 1/3 only.
    last = env.turn_values((0, 0), turns=1, actions=1)
    assert last[(3,)] == pytest.approx(1 / 3, abs=1e-12) and last[(2,)] == pytest.approx(1 / 3, abs=1e-12) and last[(0,)] == 0.0
    # From another tile, and turns of two actions: every sequence is a turn, the best is the optimum's.
    env = make_env("frozenlake", map_name="4x4", is_slippery=False, max_turns=4, max_actions_per_turn=2, max_actions=8)
    env.reset(0)
    values = env.turn_values((0, 1))
    assert len(values) == 4 + 16 and max(values.values()) == 1.0
    assert values[(1,)] == 0.0  # Down from (0, 1) is the hole at (1, 1)


def test_a_policys_success_is_computed_exactly_and_the_expert_is_not_optimal_on_ice():
    from fractions import Fraction

    # The expert goes Right (the shortest path as if nothing slipped): G with 1/3, the hole with 1/3, stays
    # with 1/3; so 1/3 + 1/9 in two turns, where the optimum (Up, above) has 5/9.
    env = make_env("frozenlake", desc=["SG", "HH"], is_slippery=True, max_turns=2, max_actions_per_turn=1, max_actions=2)
    env.reset(0)
    assert env.expert_success() == pytest.approx(float(Fraction(4, 9)), abs=1e-12)
    assert env.policy_success(lambda pos, turns, actions: [(1.0, (3,))]) == pytest.approx(env.optimal_success(), abs=1e-12)
    # A mixed policy: its success is the mixture's (each turn drawn afresh): Up or Right, half each.
    mixed = env.policy_success(lambda pos, turns, actions: [(0.5, (3,)), (0.5, (2,))])
    # Turn 1: G with 1/3 either way; stays put with 2/3 after Up (into the wall, or slipping Left into it) and
    # 1/3 after Right (slipping Up into the wall): 1/2 in all. Turn 2: G with 1/3 again.
    assert mixed == pytest.approx(1 / 3 + (1 / 2) * (1 / 3), abs=1e-12)
    # Not slippery: the expert is optimal; and its success agrees with playing it out.
    env = make_env("frozenlake", map_name="4x4", is_slippery=False, max_turns=5, max_actions_per_turn=2, max_actions=10)
    env.reset(0)
    assert env.expert_success() == env.optimal_success() == 1.0
    # Gymnasium's map on ice, 30 turns of one action: the expert reaches well under the optimum.
    env = make_env("frozenlake", map_name="4x4", is_slippery=True, max_turns=30, max_actions_per_turn=1, max_actions=30)
    env.reset(0)
    expert = env.expert_success()
    assert expert < env.optimal_success() / 3
    wins = 0  # the seeds are fixed: the same count every run
    for seed in range(2000):
        env.reset(seed)
        while not env.done:
            env.step(f"<think>the shortest path</think><answer>{env.expert_actions()[0]}</answer>")
        wins += bool(env.success)
    assert abs(wins / 2000 - expert) < 4 * (expert * (1 - expert) / 2000) ** 0.5


def test_evaluation_reports_the_optimum_of_its_episodes(tiny_model_dir):
    from actfocus.algos.trainer import Trainer
    from actfocus.config import make_config
    from actfocus.policy.lm import load_policy

    cfg = make_config(dict(env="frozenlake", eval_prompts=3, max_new_tokens=8, max_context=512))
    tr = Trainer(cfg, load_policy(str(tiny_model_dir)), {"is_slippery": True})
    m = tr.evaluate()
    expected, expert = [], []
    for i in range(3):
        env = make_env("frozenlake", is_slippery=True)
        env.reset(10_000_000 + i)
        expected.append(env.optimal_success())
        expert.append(env.expert_success())
    assert m["eval/optimal_success"] == pytest.approx(sum(expected) / 3) and 0 < m["eval/optimal_success"] < 1
    assert m["eval/expert_success"] == pytest.approx(sum(expert) / 3) and 0 < m["eval/expert_success"] < m["eval/optimal_success"]
    assert m["eval/success_of_optimum"] == pytest.approx(m["eval/success_rate"] / m["eval/optimal_success"])
    assert m["eval/success_of_expert"] == pytest.approx(m["eval/success_rate"] / m["eval/expert_success"])


def _play(turns: list[str], **config):
    env = make_env("frozenlake", map_name="4x4", is_slippery=False, **config)
    env.reset(0)
    return env, [env.step(t)[1] for t in turns]


def test_whole_budget_format_penalty_makes_ending_early_no_cheaper():
    bad, stay = "no tags at all", "<think>x</think><answer>Left</answer>"
    hole = "<think>x</think><answer>Right || Down</answer>"  # (0,0) → (0,1) → the hole at (1,1)
    # RAGEN's reward (the default): once per invalid turn, so dying at turn 2 costs 0.1 and nothing more.
    env, rewards = _play([bad, hole])
    assert env.done and not env.success and rewards == pytest.approx([-0.1, 0.0])
    # Counted over the whole budget: the 3 unplayed turns at this episode's invalid share (1 of 2).
    env, rewards = _play([bad, hole], format_penalty_whole_budget=True)
    assert rewards == pytest.approx([-0.1, -0.1 * 3 / 2])
    assert env.total_reward == pytest.approx(-0.1 * 5 * (1 / 2))
    # An episode that plays its whole budget pays exactly RAGEN's penalty; one with no invalid turn pays none.
    turns = [bad, stay, bad, stay, stay]
    ragen, _ = _play(turns)
    whole, _ = _play(turns, format_penalty_whole_budget=True)
    assert ragen.total_reward == pytest.approx(-0.2) and whole.total_reward == pytest.approx(-0.2)
    env, rewards = _play([hole], format_penalty_whole_budget=True)
    assert env.done and rewards == [0.0]
