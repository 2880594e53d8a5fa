"""Brier scores of the calibration options on the backtest windows (issue 9: scikit-learn's own calibration
instead of the hand-rolled Platt map "if it gives the same or better Brier score on the backtests").

For each window the chosen candidate is refitted on every inspection before the window, and its scores for
the window are calibrated by maps learnt from the last academic year before the window (scored by the same
candidate fitted on the years before that):
- none: the model's own probabilities;
- hand-rolled Platt: the calibrator the model used before (LogisticRegression, C=1e6, on the log-odds);
- scikit-learn sigmoid / sigmoid within each IDACI quintile: `CalibratedClassifierCV` on a `FrozenEstimator`.
It also prints the rolling-validation Brier scores `fit_models` chose by (data before the window only).
Run: DATABASE_URL=... python benchmarks/calibration_benchmark.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

from analytics.risk.backtest import window
from analytics.risk.data import examples, load_inputs
from analytics.risk.model import CALIBRATIONS, FitCache, fit_calibration, fit_models, validation_start
from analytics.risk.training import backtest_windows
from analytics.store import get_engine


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p)).reshape(-1, 1)


def hand_rolled_platt(validation_scores: np.ndarray, y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The calibrator the model used before issue 9 (kept here only to compare)."""
    platt = LogisticRegression(C=1e6).fit(_logit(validation_scores), y)
    return np.asarray(platt.predict_proba(_logit(scores))[:, 1])


def report(label: str, test: pd.DataFrame, p: np.ndarray) -> None:
    y = test["adverse"].to_numpy(dtype=float)
    gaps = test.assign(p=p).groupby("idaci_quintile")[["p", "adverse"]].mean()
    gap_text = " ".join(f"{g:+.3f}" for g in gaps["p"] - gaps["adverse"])
    print(
        f"  {label:<46} Brier {brier_score_loss(y, p):.5f}  AUC {roc_auc_score(y, p):.4f}  "
        f"mean {p.mean():.3f} (observed {y.mean():.3f})  quintile gaps {gap_text}"
    )


def main() -> None:
    frame = examples(load_inputs(get_engine()))
    cache = FitCache(frame)
    for start, end in backtest_windows(frame):
        model = fit_models(frame, start, cache)
        test = window(frame, start, end)
        split = validation_start(start)
        validation = cache.between(split, start)
        validation_scores = cache.fitted(model.kind, split).scores(validation)
        scores = cache.fitted(model.kind, start).scores(test)
        print(f"{start.date()} to {end.date()}: {model.kind}; chosen calibration: {model.calibration.method}")
        print("  rolling validation Brier (data before the window): " + ", ".join(
            f"{k} {v:.5f}" for k, v in model.calibration_validation.items()))
        y_val = validation["adverse"].to_numpy(dtype=float)
        report("none", test, scores)
        report("hand-rolled Platt (before)", test, hand_rolled_platt(validation_scores, y_val, scores))
        for method in CALIBRATIONS[1:]:
            calibration = fit_calibration(method, validation_scores, validation)
            report(f"scikit-learn {method}", test, calibration.apply(scores, test["idaci_quintile"]))


if __name__ == "__main__":
    main()
