import pytest

from actfocus.envs import make_env
from actfocus.envs.shop import Goal, Product, build_catalogue, shop_reward

SHOE = Product("B0X", "running shoes", "Acme Lightweight Breathable Running Shoes", ("lightweight", "breathable"),
               {"color": ("black", "red"), "size": ("9", "10")}, 50.0, "")
GOAL = Goal("B0X", "running shoes", ("lightweight", "waterproof"), {"color": "black", "size": "10"}, 60.0, "")


@pytest.mark.parametrize("product,selected,expected", [
    # type 1; attributes 1/2; options 2/2; price ok → (1 + 2 + 1) / 5
    (SHOE, {"color": "black", "size": "10"}, 4 / 5),
    # wrong size option → (1 + 1 + 1) / 5
    (SHOE, {"color": "black", "size": "9"}, 3 / 5),
    # nothing selected, over budget → 1 / 5
    (Product("B0Y", "running shoes", "Acme Lightweight Running Shoes", ("lightweight",), {}, 99.0, ""), {}, 1 / 5),
    # different type whose title shares the type words → 0.5 * (0 + 0 + 1) / 5
    (Product("B0Z", "backpack", "Dune Running Shoes Backpack", ("hiking",), {}, 10.0, ""), {}, 0.5 * 1 / 5),
    # unrelated type → 0.1 * (1 + 0 + 1) / 5  (attribute "waterproof" matches)
    (Product("B0W", "backpack", "Dune Waterproof Backpack", ("waterproof",), {}, 10.0, ""), {}, 0.1 * 2 / 5),
])
def test_shop_reward_matches_hand_computed_values(product, selected, expected):
    assert shop_reward(GOAL, product, selected)["reward"] == pytest.approx(expected)


def test_perfect_purchase_is_strict_success():
    shoe = Product("B0X", "running shoes", "Acme Lightweight Waterproof Running Shoes", ("lightweight", "waterproof"),
                   {"color": ("black",), "size": ("10",)}, 60.0, "")
    assert shop_reward(GOAL, shoe, {"color": "black", "size": "10"})["reward"] == 1.0


def test_catalogue_is_deterministic_and_large():
    a, b = build_catalogue(2000, 0), build_catalogue.__wrapped__(2000, 0)
    assert len(a.products) == 2000
    assert [p.title for p in a.products] == [p.title for p in b.products]
    assert len({p.category for p in a.products}) == 8


def test_expert_buys_a_matching_product():
    n, strict, purchased = 300, 0, 0
    for seed in range(n):
        env = make_env("shop")
        env.reset(seed)
        while not env.done:
            _, _, _, info = env.step(env.expert_response())
        strict += info["strict_success"]
        purchased += info["purchased"]
    assert purchased == n
    assert strict == n


def test_admissible_actions_are_listed_and_enforced():
    env = make_env("shop")
    obs = env.reset(5)
    assert "Available actions: search[<your query>]" in obs
    _, r, _, info = env.step("<think>x</think><answer>click[buy now]</answer>")
    assert not info["valid_action"] and "not a button" in info["messages"][0] and r == pytest.approx(-0.1)
    obs, _, _, info = env.step("<think>x</think><answer>search[running shoes]</answer>")
    assert info["valid_action"] and "click[next >]" in obs and "Page 1 (" in obs
    _, _, _, info = env.step("<think>x</think><answer>search[again]</answer>")
    assert "only available on the search page" in info["messages"][0]
