"""Time-split backtest: train on inspections before a window, score the graded inspections inside it.

Ranking metrics order examples by score, highest first; ties keep the examples' order (stable sort on the
frame sorted by start date and URN), and the top k% is the first ceil(k * n) examples.
Baseline: previous grade, worst first, then the longest time since it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from analytics.risk.model import FitCache, TrainedModel, fit_models

K_VALUES = (0.05, 0.10, 0.15, 0.20, 0.30, 0.40, 0.50)


def baseline_score(frame: pd.DataFrame) -> np.ndarray:
    """Previous grade (4 worst) first, then years since it (longest first) as the tie-break."""
    years = frame["years_since_prev"].clip(0, 99).fillna(0)
    return (frame["prev_grade"].fillna(2) + years / 100).to_numpy(dtype=float)


def top_k(score: np.ndarray, share: float) -> np.ndarray:
    """Boolean mask of the first ceil(share * n) examples by score (stable for ties)."""
    flagged = np.zeros(len(score), dtype=bool)
    flagged[np.argsort(-score, kind="stable")[: math.ceil(share * len(score))]] = True
    return flagged


def recall_at(y: np.ndarray, score: np.ndarray, share: float) -> float:
    positives = y.sum()
    return float(y[top_k(score, share)].sum() / positives) if positives else float("nan")


def precision_at(y: np.ndarray, score: np.ndarray, share: float) -> float:
    flagged = top_k(score, share)
    return float(y[flagged].mean()) if flagged.any() else float("nan")


def _auc(y: np.ndarray, score: np.ndarray) -> float | None:
    return float(roc_auc_score(y, score)) if 0 < y.sum() < len(y) else None


def _group_results(scored: pd.DataFrame, column: str) -> list[dict[str, Any]]:
    """Per group: size, adverse rate, AUC and the recall of the overall top-20% flag within the group."""
    rows = []
    for value, part in scored.groupby(column, dropna=False, sort=True):
        y = part["adverse"].to_numpy()
        rows.append(
            {
                column: None if pd.isna(value) else (int(value) if isinstance(value, float) else value),
                "n": len(part),
                "positive_rate": float(y.mean()),
                "auc": _auc(y, part["score"].to_numpy()),
                "recall_at_20pct": float(part.loc[part["adverse"] == 1, "flag_20pct"].mean())
                if y.sum()
                else None,
            }
        )
    return rows


def _group_key(value: object) -> str:
    """JSON key of a group: IDACI quintiles as "1".."5", phases as they are."""
    if isinstance(value, float | int | np.integer | np.floating):
        return str(int(value))
    return str(value)


def _groups(scored: pd.DataFrame, column: str) -> list[tuple[str, pd.DataFrame]]:
    """Groups of `scored` by `column`, in order; rows without a value (no IDACI quintile) are left out."""
    return [
        (_group_key(value), part) for value, part in scored.dropna(subset=[column]).groupby(column, sort=True)
    ]


def auc_by(scored: pd.DataFrame, column: str) -> dict[str, dict[str, Any]]:
    """Per group: inspections, adverse outcomes and the AUC within the group (None with one outcome only)."""
    out = {}
    for key, part in _groups(scored, column):
        y = part["adverse"].to_numpy(dtype=float)
        out[key] = {"n": len(part), "positives": int(y.sum()), "auc": _auc(y, part["score"].to_numpy())}
    return out


def calibration_by(scored: pd.DataFrame, column: str) -> dict[str, dict[str, Any]]:
    """Per group: inspections, observed adverse rate and mean predicted risk."""
    return {
        key: {
            "n": len(part),
            "observed_rate": float(part["adverse"].mean()),
            "mean_predicted": float(part["score"].mean()),
        }
        for key, part in _groups(scored, column)
    }


def evaluate(scored: pd.DataFrame) -> dict[str, Any]:
    """Metrics of `scored` (columns adverse, score, baseline, idaci_quintile) in the JSON contract's keys."""
    y = scored["adverse"].to_numpy(dtype=float)
    score = scored["score"].to_numpy(dtype=float)
    base = scored["baseline"].to_numpy(dtype=float)
    flagged = scored.assign(flag_20pct=top_k(score, 0.20))
    by_idaci = {
        str(int(float(str(q)))): float(part.loc[part["adverse"] == 1, "flag_20pct"].mean())
        if part["adverse"].sum()
        else None
        for q, part in flagged.dropna(subset=["idaci_quintile"]).groupby("idaci_quintile")
    }
    return {
        "n_test": len(scored),
        "positive_rate": float(y.mean()),
        "auc": _auc(y, score),
        "recall_at_10pct": recall_at(y, score, 0.10),
        "recall_at_20pct": recall_at(y, score, 0.20),
        "precision_at_10pct": precision_at(y, score, 0.10),
        "brier": float(brier_score_loss(y, score)),
        "baseline_auc": _auc(y, base),
        "baseline_recall_at_20pct": recall_at(y, base, 0.20),
        "recall_at_20pct_by_idaci_quintile": by_idaci,
        "mean_predicted": float(score.mean()),
        "auc_by_phase": auc_by(scored, "phase"),
        "auc_by_idaci_quintile": auc_by(scored, "idaci_quintile"),
        "calibration_by_phase": calibration_by(scored, "phase"),
        "calibration_by_idaci_quintile": calibration_by(scored, "idaci_quintile"),
    }


def curves(scored: pd.DataFrame) -> dict[str, Any]:
    """Model-card detail: calibration bins, precision/recall at k for model and baseline, results by group."""
    y = scored["adverse"].to_numpy(dtype=float)
    bins = pd.qcut(scored["score"].rank(method="first"), 10, labels=False)
    calibration = (
        scored.groupby(bins)
        .agg(predicted=("score", "mean"), observed=("adverse", "mean"), n=("adverse", "size"))
        .reset_index(drop=True)
    )
    at_k = [
        {
            "k": k,
            "model_precision": precision_at(y, scored["score"].to_numpy(), k),
            "model_recall": recall_at(y, scored["score"].to_numpy(), k),
            "baseline_precision": precision_at(y, scored["baseline"].to_numpy(), k),
            "baseline_recall": recall_at(y, scored["baseline"].to_numpy(), k),
        }
        for k in K_VALUES
    ]
    flagged = scored.assign(flag_20pct=top_k(scored["score"].to_numpy(), 0.20))
    return {
        "calibration": calibration.to_dict(orient="records"),
        "at_k": at_k,
        "by_idaci_quintile": _group_results(flagged, "idaci_quintile"),
        "by_phase": _group_results(flagged, "phase"),
    }


@dataclass
class BacktestResult:
    metrics: dict[str, Any]
    scored: pd.DataFrame
    model: TrainedModel


def window(examples: pd.DataFrame, test_from: pd.Timestamp, test_to: pd.Timestamp) -> pd.DataFrame:
    inside = (examples["start_date"] >= test_from) & (examples["start_date"] <= test_to)
    return examples.loc[inside].sort_values(["start_date", "urn"], kind="stable").reset_index(drop=True)


def run_backtest(
    examples: pd.DataFrame, test_from: pd.Timestamp, test_to: pd.Timestamp, cache: FitCache | None = None
) -> BacktestResult:
    """Fit on examples that started before `test_from` only; evaluate on those that started in the window."""
    model = fit_models(examples, test_from, cache)
    test = window(examples, test_from, test_to)
    scored = test[
        ["urn", "start_date", "grade", "adverse", "prev_grade", "years_since_prev", "idaci_quintile", "phase"]
    ].copy()
    scored["score"] = model.predict(test)
    scored["logit_score"] = model.logit.predict_proba(test)[:, 1]
    scored["baseline"] = baseline_score(test)
    metrics = {
        "test_from": str(test_from.date()),
        "test_to": str(test_to.date()),
        "n_train": model.n_train,
        **evaluate(scored),
        "model": model.kind,
        "validation_auc": model.validation,
        "calibration_method": model.calibration.method,
        "calibration_fitted_from": model.calibration.fitted_from,
        "calibration_fitted_to": model.calibration.fitted_to,
        "calibration_validation_brier": model.calibration_validation,
        "logit_auc": _auc(scored["adverse"].to_numpy(), scored["logit_score"].to_numpy()),
    }
    return BacktestResult(metrics=metrics, scored=scored, model=model)
