"""Funnel-plot control limits for a proportion (Spiegelhalter 2005), exact binomial.

For a unit with n schools and a target proportion p0 (the LA mean), the limits at coverage c are the exact
binomial quantiles: lower = F^-1((1 - c) / 2) / n and upper = F^-1((1 + c) / 2) / n, where F is the
Binomial(n, p0) CDF and F^-1(q) is the smallest k with F(k) >= q (scipy.stats.binom.ppf). No normal
approximation, no interpolation, so the limits step with n. Under the null a unit falls outside the 99.8%
limits about 1 time in 500 (0.1% each side).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom

LEVELS = (0.95, 0.998)


def binomial_limits(
    n: np.ndarray | pd.Series | int, p0: float, coverage: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper control limits (as proportions) for sample sizes `n` around `p0`."""
    sizes = np.atleast_1d(np.asarray(n, dtype=float))
    tail = (1.0 - coverage) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = binom.ppf(tail, sizes, p0) / sizes
        upper = binom.ppf(1.0 - tail, sizes, p0) / sizes
    return lower, upper


def funnel_curve(max_n: int, p0: float, levels: tuple[float, ...] = LEVELS) -> pd.DataFrame:
    """Limits for n = 1..max_n at each coverage level (columns lower_95, upper_95, lower_99.8, upper_99.8)."""
    sizes = np.arange(1, max(int(max_n), 1) + 1)
    out = pd.DataFrame({"n": sizes})
    for level in levels:
        lower, upper = binomial_limits(sizes, p0, level)
        out[f"lower_{_name(level)}"] = lower
        out[f"upper_{_name(level)}"] = upper
    return out


def classify(units: pd.DataFrame, p0: float, *, successes: str = "good", total: str = "n") -> pd.DataFrame:
    """Add each unit's proportion, its limits and where it sits: 'above 99.8%', 'above 95%', 'within', ..."""
    total_n = units[total].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        proportion = units[successes].to_numpy(dtype=float, na_value=np.nan) / np.where(total_n > 0, total_n,
                                                                                        np.nan)
    added: dict[str, object] = {"proportion": proportion}
    position = np.full(len(units), "within limits", dtype=object)
    for level in LEVELS:
        lower, upper = binomial_limits(total_n, p0, level)
        added[f"lower_{_name(level)}"] = lower
        added[f"upper_{_name(level)}"] = upper
        position[proportion > upper] = f"above {_name(level)}% limit"
        position[proportion < lower] = f"below {_name(level)}% limit"
    added["position"] = position
    # One concat, not a column at a time: inserting into a frame with string column labels copies them
    # each time (a fifth of the Districts page's run).
    return pd.concat([units, pd.DataFrame(added, index=units.index)], axis=1)


def _name(level: float) -> str:
    return f"{100 * level:g}"


def target(units: pd.DataFrame, *, successes: str = "good", total: str = "n") -> float:
    """The pooled proportion across all units (the funnel's centre line: the LA mean)."""
    whole = float(units[total].sum())
    return float(units[successes].sum()) / whole if whole else float("nan")
