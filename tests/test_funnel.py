"""Funnel limits against a binomial worked by hand (no scipy in the expected values)."""

from math import comb

import numpy as np
import pandas as pd

from analytics import funnel


def _quantile(n: int, p: float, q: float) -> int:
    """Smallest k with P(X <= k) >= q for X ~ Binomial(n, p), summing the probability mass by hand."""
    total = 0.0
    for k in range(n + 1):
        total += comb(n, k) * p**k * (1 - p) ** (n - k)
        if total >= q - 1e-12:
            return k
    return n


def test_limits_match_hand_computed_binomial_p09_n20() -> None:
    for coverage in (0.95, 0.998):
        tail = (1 - coverage) / 2
        lower, upper = funnel.binomial_limits(20, 0.9, coverage)
        assert lower[0] == _quantile(20, 0.9, tail) / 20
        assert upper[0] == _quantile(20, 0.9, 1 - tail) / 20
    # the worked values themselves, so a change of definition shows
    assert _quantile(20, 0.9, 0.025) == 15 and _quantile(20, 0.9, 0.975) == 20
    assert _quantile(20, 0.9, 0.001) == 13


def test_limits_narrow_with_size_and_classify_flags_outliers() -> None:
    curve = funnel.funnel_curve(200, 0.8)
    width = curve["upper_95"] - curve["lower_95"]
    assert width.iloc[-1] < width.iloc[9]
    assert (curve["lower_99.8"] <= curve["lower_95"]).all() and (
        curve["upper_99.8"] >= curve["upper_95"]
    ).all()
    units = pd.DataFrame(
        {"district": ["small", "big low", "typical"], "n": [5, 200, 100], "good": [3, 130, 80]}
    )
    placed = funnel.classify(units, 0.8).set_index("district")
    assert placed.loc["small", "position"] == "within limits"  # 60% of 5 is chance
    assert placed.loc["big low", "position"] == "below 99.8% limit"  # 65% of 200 is not
    assert placed.loc["typical", "position"] == "within limits"
    assert np.isclose(funnel.target(units), 213 / 305)
