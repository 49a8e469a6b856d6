"""Spearman rank correlation with a two-sided p-value, without SciPy.

Ranks average ties; rho is the Pearson correlation of the ranks; p uses the t approximation
t = rho * sqrt((n - 2) / (1 - rho^2)) with n - 2 degrees of freedom (as SciPy's spearmanr does), the
Student-t tail from the regularised incomplete beta function (continued fraction). test/vectors/spearman.json
holds cases computed independently (scripts/make_vectors.py).
"""

from __future__ import annotations

import math


def average_ranks(x: list[float]) -> list[float]:
    order = sorted(range(len(x)), key=lambda i: x[i])
    ranks = [0.0] * len(x)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and x[order[j + 1]] == x[order[i]]:
            j += 1
        r = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[order[k]] = r
        i = j + 1
    return ranks


def pearson(a: list[float], b: list[float]) -> float:
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    sab = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    saa = sum((x - ma) ** 2 for x in a)
    sbb = sum((y - mb) ** 2 for y in b)
    if saa == 0.0 or sbb == 0.0:
        return math.nan
    return sab / math.sqrt(saa * sbb)


def _betacf(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(ln_front) * _betacf(a, b, x) / a
    return 1.0 - math.exp(ln_front) * _betacf(b, a, 1.0 - x) / b


def spearman(x: list[float], y: list[float]) -> tuple[float, float]:
    """(rho, two-sided p). NaN for fewer than 3 points or a constant input."""
    n = len(x)
    if n != len(y):
        raise ValueError("spearman: x and y differ in length")
    if n < 3:
        return math.nan, math.nan
    rho = pearson(average_ranks(x), average_ranks(y))
    if math.isnan(rho):
        return math.nan, math.nan
    rho = max(-1.0, min(1.0, rho))
    df = n - 2
    if abs(rho) >= 1.0:
        return rho, 0.0
    t2 = rho * rho * df / (1.0 - rho * rho)
    p = betainc(df / 2.0, 0.5, df / (df + t2))
    return rho, p
