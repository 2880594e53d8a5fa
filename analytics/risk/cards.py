"""Tables and sentences for the model card, from the stored model metadata (plain dicts -> DataFrames), in
plain words: column names never reach the page (`features.feature_words`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.risk.features import MAINSTREAM_PHASES_ONLY, feature_words
from analytics.risk.model import CALIBRATIONS, NO_CALIBRATION
from analytics.risk.scoring import MIN_GROUP_AUC, MIN_GROUP_INSPECTIONS, PHASE_WORDS, window_words

#: Issue 16's targets: calibration within this of the observed rate in every IDACI quintile; overall AUC and
#: recall at 20% on 2023/24 not below the figures of the model before it (AUC 0.703, recall 0.386).
CALIBRATION_TOLERANCE = 0.02
BEFORE_AUC = 0.703
BEFORE_RECALL_AT_20 = 0.386
GROUP_LABELS = {"phase": "Phase", "idaci_quintile": "Area deprivation (IDACI quintile, 1 = least deprived)"}

KNOWN_LIMITS = [
    "Inspection noise: two inspections of the same school can differ; a grade is one team's judgement on "
    "a few days, so no model can be near perfect.",
    "Selection: the model only learns from schools Ofsted chose to inspect with a graded inspection, and "
    "when. Good schools mostly get ungraded inspections, so the graded ones it learns from are not a "
    "random sample.",
    "Framework changes: 'Satisfactory' became 'Requires improvement' in 2012; the 2019 framework changed "
    "the judgements; 2024/25 inspections have no overall grade (derived here); report cards from November "
    "2025 are not on the 1-4 scale and are not used as outcomes.",
    "Coverage gap: between March 2020 (end of the scraped history) and a school's previous graded "
    "inspection in the official file, inspections may be missing, so 'previous grade' can be wrong for "
    "some 2020-2023 examples.",
    "Outcome-dependent records: the official file keeps only each school's latest two graded inspections, "
    "and which inspection is 'previous' depends on later events (an RI school is re-inspected). Category "
    "of concern and key judgements are therefore not model inputs (they are recorded only for those "
    "inspections and would leak the outcome); they are shown in the drivers' wording only.",
    "Phase, region, LA and IDACI quintile are as at August 2025 (from the open school the inspection "
    "leads to) and assumed stable. The school type is the type when inspected where Ofsted recorded it. "
    "Trust membership is not an input: a school's trust at the time of past inspections is not in the "
    "data, and taking today's would reveal which schools were later re-brokered. Pupil numbers use census "
    "years published before each inspection, not the 2025 roll.",
    "Context data (census, absence, attainment, finance) are 2014-2019 plus KS4 2023/24; for recent "
    "inspections they are several years old. Mainstream attainment and progress measures are not used for "
    "special schools and pupil referral units, whose pupils' starting points differ.",
    "Ungraded inspections and report cards since the previous graded inspection are inputs only from the "
    "as-at date of the Ofsted release that first recorded them (a file lists only each school's latest "
    "ungraded inspection, so an older one is missing for reasons that depend on later events). The "
    "August 2025 file's ungraded inspections therefore describe only inspections after 31 August 2025: "
    "today too few to be learnt from (an input needs enough known values in the training data), and each "
    "monthly import adds to them.",
    "Examples are inspections at schools that lead to a school open in August 2025, including their "
    "predecessor URNs (for example a maintained school inspected before it became an academy); schools "
    "that closed with no successor are not in the files. Predecessors of merged schools (an infant and a "
    "junior school becoming one primary) are not examples: their histories cannot be told apart.",
    "Nursery schools and pupil referral units are not in the 2005-2020 inspection history: their only "
    "examples are the latest two graded inspections in the 2025 file, so their older examples are almost "
    "all Good or Outstanding (an RI or Inadequate school is re-inspected and drops out). The model learns "
    "little about them, and their backtest figures rest on few inspections.",
    "The recent adverse rates (England, IDACI quintile, phase) count the graded inspections recorded in "
    "the files; for 2020-2022 some inspections are missing (see the coverage gap), so those rates are "
    "approximate.",
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
            "Calibration (chosen by validation)": b.get("calibration_method", ""),
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


def _fmt(value: float | None, pattern: str = ".3f") -> str:
    return "not known" if value is None or pd.isna(value) else format(value, pattern)


def group_words(column: str, name: str) -> str:
    if column == "phase":
        return PHASE_WORDS.get(name, f"{name} schools")
    return f"IDACI quintile {name}"


def group_metrics_table(backtest: dict[str, Any], column: str) -> pd.DataFrame:
    """Per phase or IDACI quintile: inspections behind each figure, outcomes, observed rate, mean predicted
    risk, the gap, and how well the model ranks schools within the group."""
    aucs = backtest.get(f"auc_by_{column}", {})
    calibration = backtest.get(f"calibration_by_{column}", {})
    rows = []
    for name, cal in calibration.items():
        auc = aucs.get(name, {})
        gap = cal["mean_predicted"] - cal["observed_rate"]
        rows.append(
            {
                GROUP_LABELS[column]: name,
                "Inspections": cal["n"],
                "Of which RI or Inadequate": auc.get("positives"),
                "Observed RI/Inadequate rate": round(cal["observed_rate"], 3),
                "Mean predicted risk": round(cal["mean_predicted"], 3),
                "Predicted minus observed": round(gap, 3),
                "Ranking within the group (AUC)": None if auc.get("auc") is None else round(auc["auc"], 3),
            }
        )
    return pd.DataFrame(rows)


def target_statements(backtest: dict[str, Any]) -> list[tuple[bool | None, str]]:
    """Issue 16's targets for one backtest window, each as (met?, sentence with the figures)."""
    out: list[tuple[bool | None, str]] = []
    judged = {k: v for k, v in backtest.get("auc_by_phase", {}).items() if v["n"] >= MIN_GROUP_INSPECTIONS}
    weak = {k: v for k, v in judged.items() if v["auc"] is None or v["auc"] < MIN_GROUP_AUC}
    figures = "; ".join(
        f"{group_words('phase', k)} {_fmt(v['auc'], '.2f')} ({v['n']} inspections, {v['positives']} RI or "
        "Inadequate)"
        for k, v in judged.items()
    )
    out.append(
        (
            not weak,
            f"Ranking within every phase with at least {MIN_GROUP_INSPECTIONS} inspections: AUC at least "
            f"{MIN_GROUP_AUC:.2f} {'met' if not weak else 'NOT met'}. {figures}.",
        )
    )
    gaps = {
        k: v["mean_predicted"] - v["observed_rate"]
        for k, v in backtest.get("calibration_by_idaci_quintile", {}).items()
    }
    off = {k: g for k, g in gaps.items() if abs(g) > CALIBRATION_TOLERANCE}
    detail = "; ".join(
        f"quintile {k}: predicted {v['mean_predicted']:.1%}, observed {v['observed_rate']:.1%} ({v['n']} "
        "inspections)"
        for k, v in backtest.get("calibration_by_idaci_quintile", {}).items()
    )
    out.append(
        (
            not off and bool(gaps),
            f"Mean predicted risk within {CALIBRATION_TOLERANCE:.0%} points of the observed rate in every "
            f"IDACI quintile {'met' if gaps and not off else 'NOT met'}. {detail}.",
        )
    )
    return out


def overall_target_statements(backtest: dict[str, Any]) -> list[tuple[bool | None, str]]:
    """Not lowering the overall AUC or recall at 20% of the model before issue 16 (2023/24 only)."""
    auc, recall = backtest.get("auc") or 0.0, backtest.get("recall_at_20pct") or 0.0
    return [
        (
            auc >= BEFORE_AUC,
            f"Overall AUC {auc:.3f} on {backtest['n_test']:,} inspections (before: {BEFORE_AUC}).",
        ),
        (
            recall >= BEFORE_RECALL_AT_20,
            f"Share of RI/Inadequate outcomes among the riskiest 20% (recall at 20%) {recall:.3f} "
            f"(before: {BEFORE_RECALL_AT_20}).",
        ),
    ]


def calibration_sentence(meta: dict[str, Any]) -> str:
    """How the probabilities were calibrated and why, in words."""
    calibration = meta.get("calibration", {})
    briers = calibration.get("validation_brier", {})
    method = calibration.get("method", NO_CALIBRATION)
    compared = ", ".join(
        f"{name} {briers[name]:.4f}" for name in CALIBRATIONS if briers.get(name) is not None
    )
    if method == NO_CALIBRATION:
        chosen = "The model's own probabilities are used (no calibration map)"
    else:
        chosen = (
            f"Probabilities go through a {method} calibration map (scikit-learn CalibratedClassifierCV) "
            f"learnt from {calibration.get('n', 0):,} inspections between "
            f"{calibration.get('fitted_from')} and {calibration.get('fitted_to')}"
        )
    return (
        f"{chosen}: chosen by validation on the academic years before the training cut-off, where the lower "
        "Brier score (mean squared error of the probabilities) wins: "
        f"{compared or 'not enough years to compare'}."
    )


def features_table(features: list[str]) -> pd.DataFrame:
    """The model's inputs in words."""
    return pd.DataFrame({"Model input": [feature_words(name) for name in features]})


def mainstream_note() -> str:
    return (
        "Attainment and progress inputs are left out for "
        + " and ".join(PHASE_WORDS[p] for p in MAINSTREAM_PHASES_ONLY)
        + "."
    )


def window_label(backtest: dict[str, Any]) -> str:
    return window_words(backtest)
