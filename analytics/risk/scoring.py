"""Score every open school for its next graded inspection and describe the drivers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from analytics.risk.data import Inputs, current
from analytics.risk.explain import drivers
from analytics.risk.model import TrainedModel

#: Bands by national rank of the score: top 10% "high", next 10% "elevated" (recall/precision at these
#: cut-offs
#: are reported in the model card).
HIGH_SHARE = 0.10
ELEVATED_SHARE = 0.20


def band(percentile: pd.Series) -> pd.Series:
    """Band from the share of schools in England scoring at least as high (0 = riskiest)."""
    return pd.Series(
        ["high" if p <= HIGH_SHARE else "elevated" if p <= ELEVATED_SHARE else "lower" for p in percentile],
        index=percentile.index,
        dtype=object,
    )


def score_frame(model: TrainedModel, frame: pd.DataFrame, *, explain: bool = True) -> pd.DataFrame:
    """Risk, national rank share, band and drivers for each row of a `build_current` frame."""
    out = frame[["urn", "start_date", "prev_grade", "years_since_prev", "phase", "type_group"]].copy()
    out["risk"] = model.predict(frame)
    out["national_share"] = out["risk"].rank(ascending=False, method="max") / len(out)
    out["band"] = band(out["national_share"])
    if explain:
        out["drivers"] = drivers(frame, model.logit)
    return out.sort_values("risk", ascending=False, kind="stable").reset_index(drop=True)


def score_schools(model: TrainedModel, inputs: Inputs, as_at: date, *, explain: bool = True) -> pd.DataFrame:
    return score_frame(model, current(inputs, as_at), explain=explain)


def summary(scored: pd.DataFrame) -> dict[str, Any]:
    return {
        "schools": len(scored),
        "high": int((scored["band"] == "high").sum()),
        "elevated": int((scored["band"] == "elevated").sum()),
    }
