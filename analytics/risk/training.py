"""Training policy of the early-warning model: which backtests to run, the final fit, the scores of every open
school, and storing them in the database. `python -m analytics train` and `init-demo` only call this.

- Backtests: the 2023/24 academic year (issue 16's targets) and the latest academic year with data (from
  1 September to the newest inspection); each trains only on inspections that started before its window.
- The final model trains on every example (`fit_models`: candidate and calibration chosen by validation).
- Every open school with a graded inspection is scored as at `as_at` (default today), with its likely range
  (`scoring.reliability_table` from the backtests) and the cautions of its groups (`scoring.group_cautions`).
Fits are shared between the backtests and the final model where their cut-offs coincide (`FitCache`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from analytics.risk import store
from analytics.risk.backtest import curves, run_backtest
from analytics.risk.data import examples, load_inputs
from analytics.risk.model import FitCache, fit_models
from analytics.risk.scoring import group_cautions, reliability_table, score_schools, window_words
from analytics.store import data_version

TARGET_WINDOW = (pd.Timestamp("2023-09-01"), pd.Timestamp("2024-08-31"))
#: Fewer examples than this (a store without the bundled history) cannot support a model.
MIN_EXAMPLES = 2000


def backtest_windows(frame: pd.DataFrame) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The target window (2023/24) and the latest academic year with inspections, when it is later."""
    last = frame["start_date"].max()
    windows = [TARGET_WINDOW] if last > TARGET_WINDOW[0] else []
    latest_start = pd.Timestamp(year=last.year - (last.month < 9), month=9, day=1)
    if not windows or latest_start > TARGET_WINDOW[0]:
        windows.append(
            (latest_start, min(last, latest_start + pd.DateOffset(years=1) - pd.Timedelta(days=1)))
        )
    return [(start, end) for start, end in windows if _has_both_outcomes(frame, start, end)]


def _has_both_outcomes(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> bool:
    inside = frame.loc[frame["start_date"].between(start, end), "adverse"]
    return inside.nunique() == 2


def train_and_store(
    engine: Engine, progress: Callable[[str], None] = print, *, as_at: date | None = None
) -> int | None:
    """Backtest, fit, score every open school and store it all; returns the new model's id (None when the
    store holds too few graded inspections to train)."""
    began = time.perf_counter()
    version = data_version(engine)  # read first: an import during training leaves the model out of date
    progress("Early-warning model: loading inspections, schools and context data...")
    inputs = load_inputs(engine)
    frame = examples(inputs)
    if len(frame) < MIN_EXAMPLES:
        progress(f"Early-warning model: only {len(frame):,} usable inspections; not trained.")
        return None
    progress(
        f"Early-warning model: {len(frame):,} graded inspections with an earlier one ({_seconds(began)})."
    )
    cache = FitCache(frame)
    backtests, scored = [], []
    for start, end in backtest_windows(frame):
        result = run_backtest(frame, start, end, cache)
        backtests.append({**result.metrics, **curves(result.scored)})
        scored.append(result.scored)
        progress(
            f"Early-warning model: backtest {window_words(backtests[-1])}: AUC {result.metrics['auc']:.3f}, "
            f"recall at 20% {result.metrics['recall_at_20pct']:.3f} ({_seconds(began)})."
        )
    fit_began = time.perf_counter()
    last = frame["start_date"].max()
    model = fit_models(frame, last + pd.Timedelta(days=1), cache)
    fit_seconds = time.perf_counter() - fit_began
    progress(f"Early-warning model: final model fitted ({model.kind}; {_seconds(began)}).")
    scored_on = as_at or date.today()
    reliability = reliability_table(pd.concat(scored, ignore_index=True)) if scored else []
    cautions = group_cautions(backtests)
    scores = score_schools(model, inputs, scored_on, reliability=reliability, cautions=cautions)
    metadata: dict[str, Any] = {
        "backtests": backtests,
        "logit_coefficients": model.logit.coefficients().to_dict(orient="records"),
        "data_version": version,
        "scored_on": str(scored_on),
        "n_examples": len(frame),
        "first_example": str(frame["start_date"].min().date()),
        "last_example": str(last.date()),
        "fit_seconds": round(fit_seconds, 1),
        "reliability": reliability,
        "cautions": cautions,
    }
    metadata["train_seconds"] = round(time.perf_counter() - began, 1)
    model_id = store.save(engine, model, metadata, scores)
    progress(
        f"Early-warning model: {len(scores):,} open schools scored and stored (model {model_id}; "
        f"{_seconds(began)} in all)."
    )
    return model_id


def ensure_trained(engine: Engine, progress: Callable[[str], None] = print) -> int | None:
    """Train unless the newest stored model was trained on the current data with this scikit-learn."""
    if store.is_current(engine, data_version(engine)):
        progress("Early-warning model: up to date for this data and scikit-learn version.")
        return None
    return train_and_store(engine, progress)


def _seconds(began: float) -> str:
    return f"{time.perf_counter() - began:.0f} s"
