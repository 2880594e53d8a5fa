"""Tables for the model card, from the stored model metadata (plain dicts -> DataFrames)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

KNOWN_LIMITS = [
    "Inspection noise: two inspections of the same school can differ; a grade is one team's judgement on a "
    "few days, so no model can be near perfect.",
    "Selection: the model only learns from schools Ofsted chose to inspect with a graded "
    "inspection, and when. "
    "Good schools mostly get ungraded inspections, so the graded ones it learns from are not a "
    "random sample.",
    "Framework changes: 'Satisfactory' became 'Requires improvement' in 2012; the 2019 framework changed the "
    "judgements; 2024/25 inspections have no overall grade (derived here); report cards from "
    "November 2025 are "
    "not on the 1-4 scale and are not used as outcomes.",
    "Coverage gap: between March 2020 (end of the scraped history) and a school's previous "
    "graded inspection in "
    "the official file, inspections may be missing, so 'previous grade' can be wrong for some "
    "2020-2023 examples.",
    "Outcome-dependent records: the official file keeps only each school's latest two graded "
    "inspections, and "
    "which inspection is 'previous' depends on later events (an RI school is re-inspected). "
    "Category of concern "
    "and key judgements are therefore not model inputs (they are recorded only for those "
    "inspections and would "
    "leak the outcome); they are shown in the drivers' wording only.",
    "Phase, region, LA and IDACI quintile are as at August 2025 (from the open school the inspection leads "
    "to) and assumed stable. The school type is the type when inspected where Ofsted recorded it. Trust "
    "membership is not an input: a school's trust at the time of past inspections is not in the data, and "
    "taking today's would reveal which schools were later re-brokered. Pupil numbers use census years "
    "published before each inspection, not the 2025 roll.",
    "Context data (census, absence, attainment, finance) are 2014-2019 plus KS4 2023/24; for "
    "recent inspections "
    "they are several years old. Ungraded inspections are known only after the latest graded one, so they "
    "cannot be learnt from.",
    "Examples are inspections at schools that lead to a school open in August 2025, including their "
    "predecessor URNs (for example a maintained school inspected before it became an academy); schools that "
    "closed with no successor are not in the files. Predecessors of merged schools (an infant and a junior "
    "school becoming one primary) are not examples: their histories cannot be told apart.",
]


def backtest_table(backtests: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [
        {
            "Window": f"{b['test_from']} to {b['test_to']}",
            "Trained on": b["n_train"],
            "Tested on": b["n_test"],
            "RI/Inadequate rate": round(b["positive_rate"], 3),
            "AUC": _r(b["auc"]),
            "Baseline AUC": _r(b["baseline_auc"]),
            "Recall at 10%": _r(b["recall_at_10pct"]),
            "Recall at 20%": _r(b["recall_at_20pct"]),
            "Baseline recall at 20%": _r(b["baseline_recall_at_20pct"]),
            "Precision at 10%": _r(b["precision_at_10pct"]),
            "Brier": _r(b["brier"]),
            "Logistic AUC": _r(b.get("logit_auc")),
        }
        for b in backtests
    ]
    return pd.DataFrame(rows)


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def calibration_table(result: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(result["calibration"])
    return frame.rename(
        columns={
            "predicted": "Mean predicted risk",
            "observed": "Observed RI/Inadequate rate",
            "n": "Inspections",
        }
    )


def at_k_table(result: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(result["at_k"]).rename(
        columns={
            "k": "Riskiest share flagged",
            "model_precision": "Model precision",
            "model_recall": "Model recall",
            "baseline_precision": "Baseline precision",
            "baseline_recall": "Baseline recall",
        }
    )


def group_table(result: dict[str, Any], key: str, label: str) -> pd.DataFrame:
    frame = pd.DataFrame(result[key])
    first = frame.columns[0]
    return frame.rename(
        columns={
            first: label,
            "n": "Inspections",
            "positive_rate": "RI/Inadequate rate",
            "auc": "AUC",
            "recall_at_20pct": "Recall at 20%",
        }
    )


def coefficient_table(coefficients: list[dict[str, Any]]) -> pd.DataFrame:
    """Odds ratios with their 95% confidence intervals (exponentiated log-odds bounds)."""
    frame = pd.DataFrame(coefficients)
    if frame.empty:
        return frame
    return pd.DataFrame(
        {
            "Term": frame["meaning"],
            "Odds ratio": frame["odds_ratio"].round(3),
            "95% CI low": np.exp(frame["ci_low"]).round(3),
            "95% CI high": np.exp(frame["ci_high"]).round(3),
            "p": frame["p_value"].round(4),
        }
    )
