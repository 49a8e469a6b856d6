import numpy as np
import pytest
from gymnasium.envs.toy_text.frozen_lake import FrozenLakeEnv as GymFrozenLake
from gymnasium.envs.toy_text.frozen_lake import generate_random_map as gym_generate_random_map

from actfocus.envs import make_env
from actfocus.envs.frozenlake import ACTION_NAMES, generate_random_map


@pytest.mark.parametrize("size", [4, 8])
def test_maps_equal_gymnasium_generator(size):
    for seed in range(200):
        assert generate_random_map(size, 0.8, seed) == gym_generate_random_map(size, 0.8, seed)


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
