"""Score every open school for its next graded inspection: risk, likely range, band, cautions and drivers."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from analytics.risk.data import Inputs, current
from analytics.risk.explain import drivers
from analytics.risk.model import TrainedModel, log_odds, probability

#: Bands by national rank of the score: top 10% "high", next 10% "elevated" (recall/precision at these
#: cut-offs are reported in the model card).
HIGH_SHARE = 0.10
ELEVATED_SHARE = 0.20
#: Reliability bins: equal shares of the backtests' scored inspections, by score.
RELIABILITY_BINS = 10
#: A group (phase, IDACI quintile) gets a caution when, in any backtest window where it had at least
#: MIN_GROUP_INSPECTIONS inspections, the model ranked it worse than MIN_GROUP_AUC (issue 16's target), or
#: when it never had that many (too few to judge).
MIN_GROUP_INSPECTIONS = 40
MIN_GROUP_AUC = 0.65
Z95 = 1.959964
PHASE_WORDS = {
    "Primary": "primary schools",
    "Secondary": "secondary schools",
    "Special": "special schools",
    "PRU": "pupil referral units",
    "Nursery": "nursery schools",
    "All-through": "all-through schools",
}


def band(percentile: pd.Series) -> pd.Series:
    """Band from the share of schools in England scoring at least as high (0 = riskiest)."""
    return pd.Series(
        ["high" if p <= HIGH_SHARE else "elevated" if p <= ELEVATED_SHARE else "lower" for p in percentile],
        index=percentile.index,
        dtype=object,
    )


def wilson(positives: float, n: float) -> tuple[float, float]:
    """95% Wilson score interval of a proportion."""
    if n <= 0:
        return (float("nan"), float("nan"))
    p = positives / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def reliability_table(scored: pd.DataFrame, bins: int = RELIABILITY_BINS) -> list[dict[str, Any]]:
    """How often inspections scored alike turned out RI/Inadequate in the backtests (columns score, adverse).

    Equal-count bins by score; each with its score range, inspections, mean predicted risk, observed rate and
    the 95% interval of that rate (see `likely_range`).
    """
    ordered = scored.sort_values("score", kind="stable").reset_index(drop=True)
    parts = np.array_split(np.arange(len(ordered)), bins)
    table = []
    for position, index in enumerate(parts):
        part = ordered.iloc[index]
        positives, n = float(part["adverse"].sum()), len(part)
        low, high = wilson(positives, n)
        table.append(
            {
                "from": 0.0 if position == 0 else float(part["score"].min()),
                "to": 1.0 if position == len(parts) - 1 else float(part["score"].max()),
                "n": n,
                "mean_predicted": float(part["score"].mean()),
                "observed_rate": positives / n,
                "low": low,
                "high": high,
            }
        )
    return table


def likely_range(risk: pd.Series, reliability: list[dict[str, Any]] | None) -> tuple[pd.Series, pd.Series]:
    """Low and high end of each risk's likely range (NaN without a reliability table).

    In the backtests, inspections scored like this one (same reliability bin) were RI/Inadequate at a rate
    whose 95% interval lies some way off their mean predicted risk; the same offsets on the log-odds scale,
    applied to this school's risk, give its range. Where the model over- or under-estimated such schools the
    range sits off-centre, and it is wide where few past inspections had such scores.
    """
    if not reliability:
        empty = pd.Series(np.nan, index=risk.index)
        return empty, empty.copy()
    starts = np.array([row["from"] for row in reliability])
    values = risk.to_numpy(dtype=float)
    position = np.clip(np.searchsorted(starts, values, side="right") - 1, 0, None)
    predicted = log_odds(np.array([row["mean_predicted"] for row in reliability]))[position]
    lows = log_odds(np.array([row["low"] for row in reliability]))[position] - predicted
    highs = log_odds(np.array([row["high"] for row in reliability]))[position] - predicted
    own = log_odds(values)
    return (
        pd.Series(probability(own + lows), index=risk.index),
        pd.Series(probability(own + highs), index=risk.index),
    )


def group_cautions(backtests: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Cautions by group from the backtests' per-group AUCs: {column: {group: text}}."""
    out: dict[str, dict[str, str]] = {"phase": {}, "idaci_quintile": {}}
    for column, key in (("phase", "auc_by_phase"), ("idaci_quintile", "auc_by_idaci_quintile")):
        names = sorted({name for b in backtests for name in b.get(key, {})})
        for name in names:
            results = [(b, b[key][name]) for b in backtests if name in b.get(key, {})]
            judged = [(b, r) for b, r in results if r["n"] >= MIN_GROUP_INSPECTIONS]
            weak = [(b, r) for b, r in judged if r["auc"] is None or r["auc"] < MIN_GROUP_AUC]
            group = _group_words(column, name)
            if weak:
                figures = "; ".join(
                    f"{_auc_words(r['auc'])} on {r['n']} inspections, {window_words(b)}" for b, r in weak
                )
                out[column][name] = (
                    f"Use with caution: the model ranked {group} poorly in its backtests ({figures}; "
                    f"0.5 is chance, the target is {MIN_GROUP_AUC:.2f})."
                )
            elif not judged:
                counts = ", ".join(f"{r['n']} in {window_words(b)}" for b, r in results)
                out[column][name] = (
                    f"Use with caution: too few {group} were inspected in the backtests to judge the model "
                    f"({counts})."
                )
    return out


def _auc_words(auc: float | None) -> str:
    return "no AUC (one outcome only)" if auc is None else f"AUC {auc:.2f}"


def _group_words(column: str, name: str) -> str:
    if column == "phase":
        return PHASE_WORDS.get(name, f"{name.lower()} schools")
    return f"schools in IDACI quintile {name} (1 = least deprived areas)"


def window_words(backtest: dict[str, Any]) -> str:
    """A backtest window in words: '2023/24' for an academic year, '2024/25 (to 15 Jul 2025)' for part of one,
    else its dates."""
    start, end = date.fromisoformat(backtest["test_from"]), date.fromisoformat(backtest["test_to"])
    year = f"{start.year}/{str(start.year + 1)[2:]}"
    if (start.month, start.day) == (9, 1) and end == date(start.year + 1, 8, 31):
        return year
    if (start.month, start.day) == (9, 1) and start < end < date(start.year + 1, 8, 31):
        return f"{year} (to {end.day} {end:%b %Y})"
    return f"{start.day} {start:%b %Y} to {end.day} {end:%b %Y}"


def caution_for(frame: pd.DataFrame, cautions: dict[str, dict[str, str]] | None) -> pd.Series:
    """The cautions that apply to each school (its phase, its IDACI quintile), joined; None when none."""
    if not cautions:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    texts = []
    for phase, quintile in zip(frame["phase"], frame["idaci_quintile"], strict=True):
        found = [cautions.get("phase", {}).get(str(phase))]
        if pd.notna(quintile):
            found.append(cautions.get("idaci_quintile", {}).get(str(int(quintile))))
        parts = [text for text in found if text]
        texts.append(" ".join(parts) if parts else None)
    return pd.Series(texts, index=frame.index, dtype=object)


def score_frame(
    model: TrainedModel,
    frame: pd.DataFrame,
    *,
    explain: bool = True,
    reliability: list[dict[str, Any]] | None = None,
    cautions: dict[str, dict[str, str]] | None = None,
) -> pd.DataFrame:
    """Risk, likely range, national rank share, band, caution and drivers for each row of a `build_current`
    frame, riskiest first."""
    out = frame[
        ["urn", "start_date", "prev_grade", "years_since_prev", "phase", "type_group", "idaci_quintile"]
    ].copy()
    out["risk"] = model.predict(frame)
    out["risk_low"], out["risk_high"] = likely_range(out["risk"], reliability)
    out["national_share"] = out["risk"].rank(ascending=False, method="max") / len(out)
    out["band"] = band(out["national_share"])
    out["caution"] = caution_for(frame, cautions)
    if explain:
        out["drivers"] = drivers(frame, model.logit)
    return out.sort_values("risk", ascending=False, kind="stable").reset_index(drop=True)


def score_schools(
    model: TrainedModel,
    inputs: Inputs,
    as_at: date,
    *,
    explain: bool = True,
    reliability: list[dict[str, Any]] | None = None,
    cautions: dict[str, dict[str, str]] | None = None,
) -> pd.DataFrame:
    return score_frame(
        model, current(inputs, as_at), explain=explain, reliability=reliability, cautions=cautions
    )


def summary(scored: pd.DataFrame) -> dict[str, Any]:
    return {
        "schools": len(scored),
        "high": int((scored["band"] == "high").sum()),
        "elevated": int((scored["band"] == "elevated").sum()),
    }
