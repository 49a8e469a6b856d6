"""Write test/vectors/*.json: inputs and expected outputs for the numbers the host and the extension
must agree on. Expected values come from plain float64 Python written from method.md (and SciPy for
Spearman), independent of the host's PyTorch code. Run: .venv/bin/python scripts/make_vectors.py
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

from scipy import stats as sstats

OUT = Path(__file__).resolve().parent.parent / "test" / "vectors"
R, A, O = 0, 1, 2


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def ref_weights(roles, signal, alpha, beta, eps, other, stats=None):
    acts = [s for r, s in zip(roles, signal) if r == A]
    if stats is not None:
        mu, sd = stats
    elif acts:
        mu = sum(acts) / len(acts)
        sd = math.sqrt(sum((s - mu) ** 2 for s in acts) / len(acts) + eps)
    out = []
    for r, s in zip(roles, signal):
        # A signal with no spread standardises to 0 (never 0/0).
        out.append(alpha if r == R else other if r == O else 1 + beta * sigmoid((s - mu) / sd if sd > 0 else 0.0))
    return out


def ref_loss(logp, old, adv, w, lo, hi):
    num = 0.0
    for a, b, c, d in zip(logp, old, adv, w):
        ratio = math.exp(a - b)
        num += d * -min(ratio * c, min(max(ratio, 1 - lo), 1 + hi) * c)
    return num / sum(w)


def ref_grpo(rewards, groups, eps):
    out = []
    for r, g in zip(rewards, groups):
        rs = [x for x, h in zip(rewards, groups) if h == g]
        if len(rs) < 2:
            out.append(0.0)
            continue
        m = sum(rs) / len(rs)
        sd = math.sqrt(sum((x - m) ** 2 for x in rs) / (len(rs) - 1))
        out.append((r - m) / (sd + eps))
    return out


def ref_gae(rewards, values, gamma, lam):
    adv, last = [0.0] * len(rewards), 0.0
    for t in reversed(range(len(rewards))):
        nv = values[t + 1] if t + 1 < len(rewards) else 0.0
        last = rewards[t] + gamma * nv - values[t] + gamma * lam * last
        adv[t] = last
    return adv


def main():
    rng = random.Random(2026)
    OUT.mkdir(parents=True, exist_ok=True)
    weights = []
    for case in range(12):
        n = rng.randint(5, 40)
        roles = [rng.choice([R, R, R, A, O]) for _ in range(n)]
        if case == 0:
            roles = [R] * n  # no action token
        signal = [rng.gauss(2.0, 1.5) for _ in range(n)]
        alpha, beta = [(0.1, 0.5), (1.0, 0.0), (0.0, 2.0), (0.5, 1.0)][case % 4]
        eps = 1e-6 if case % 3 else 1e-3
        other = 1.0 if case % 5 else 0.5
        weights.append({"roles": roles, "signal": signal, "alpha": alpha, "beta": beta, "eps": eps, "other_weight": other,
                        "expected": ref_weights(roles, signal, alpha, beta, eps, other)})
    # Edge cases every allowed setting must survive with finite weights (sigma_eps may be 0): a constant
    # action signal, a single action token, and the precomputed-statistics path (the trainer under data
    # parallelism, the verl path and the viewer pass the step's mu and sigma) with sigma 0.
    edge = [
        {"roles": [R, A, A, A, O], "signal": [0.3, 2.5, 2.5, 2.5, 1.0], "eps": 0.0},
        {"roles": [R, R, A, O, R], "signal": [0.3, 1.2, -4.0, 1.0, 0.7], "eps": 0.0},
        {"roles": [A, R, A, A], "signal": [1.5, 0.2, -0.5, 3.0], "eps": 0.0},
        {"roles": [A, R, A, O], "signal": [2.0, 0.2, 2.0, 9.0], "eps": 0.0, "stats": [2.0, 0.0]},
        {"roles": [A, R, A, O], "signal": [1.0, 0.2, 3.0, 9.0], "eps": 1e-6, "stats": [2.0, 0.5]},
    ]
    for e in edge:
        case = {"roles": e["roles"], "signal": e["signal"], "alpha": 0.1, "beta": 0.5, "eps": e["eps"], "other_weight": 1.0}
        if "stats" in e:
            case["stats"] = e["stats"]
        case["expected"] = ref_weights(e["roles"], e["signal"], 0.1, 0.5, e["eps"], 1.0, e.get("stats"))
        assert all(math.isfinite(x) for x in case["expected"])
        weights.append(case)
    losses = []
    for case in range(8):
        n = rng.randint(4, 30)
        logp = [-abs(rng.gauss(1, 1)) for _ in range(n)]
        old = [x + rng.gauss(0, 0.3) for x in logp]
        adv = [rng.gauss(0, 1)] * n if case % 2 else [rng.gauss(0, 1) for _ in range(n)]
        w = [rng.choice([0.1, 1.0, 1.0 + rng.random()]) for _ in range(n)]
        losses.append({"logprob": logp, "old_logprob": old, "advantages": adv, "weights": w, "clip_low": 0.2, "clip_high": 0.28,
                       "expected": ref_loss(logp, old, adv, w, 0.2, 0.28)})
    grpo = []
    for case in range(6):
        groups = [g for g in range(rng.randint(1, 4)) for _ in range(rng.randint(1, 6))]
        rewards = [rng.choice([0.0, 1.0, -0.5, 10.0, 0.3]) for _ in groups]
        grpo.append({"rewards": rewards, "groups": groups, "eps": 1e-6, "expected": ref_grpo(rewards, groups, 1e-6)})
    gaes = []
    for case in range(6):
        n = rng.randint(1, 20)
        rewards = [0.0] * (n - 1) + [rng.choice([1.0, 0.0, -0.3])]
        values = [rng.gauss(0, 0.5) for _ in range(n)]
        gamma, lam = [(1.0, 1.0), (0.99, 0.95), (0.9, 0.0)][case % 3]
        gaes.append({"rewards": rewards, "values": values, "gamma": gamma, "lam": lam, "expected": ref_gae(rewards, values, gamma, lam)})
    spear = []
    for case in range(10):
        n = [3, 4, 5, 8, 12, 20, 40, 64, 100, 7][case]
        x = [round(rng.gauss(0, 1), 1 if case % 2 else 6) for _ in range(n)]  # rounding makes ties
        y = [xi * (0.5 if case % 3 else -1) + rng.gauss(0, 1) for xi in x]
        res = sstats.spearmanr(x, y)
        spear.append({"x": x, "y": y, "rho": float(res.statistic), "p": float(res.pvalue)})
    for name, data in [("weights", weights), ("loss", losses), ("grpo", grpo), ("gae", gaes), ("spearman", spear)]:
        (OUT / f"{name}.json").write_text(json.dumps({"generated_by": "scripts/make_vectors.py", "cases": data}, indent=1) + "\n")


if __name__ == "__main__":
    main()
