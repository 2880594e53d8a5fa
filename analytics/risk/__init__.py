"""Early-warning model: risk that a school's next graded inspection is RI or Inadequate (issue 5).

features -> model (fit, choose, calibrate) -> backtest (time-split metrics) -> store (versioned model files)
-> explain (drivers in plain words) -> scoring of every open school.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine


def school_risk(engine: Engine, urn: int) -> pd.DataFrame | None:
    """One school's stored risk score and drivers for the school drilldown (None when no model is trained)."""
    from analytics.risk import store

    del engine  # scores are stored with the model at training time
    scores = store.latest_scores()
    if scores is None:
        return None
    row = scores.loc[scores["urn"] == int(urn)]
    if row.empty:
        return None
    meta = store.latest_metadata() or {}
    return pd.DataFrame(
        {
            "Risk of RI or Inadequate at next graded inspection": [f"{row['risk'].iloc[0]:.0%}"],
            "Band": [str(row["band"].iloc[0])],
            "Riskiest share of England": [f"top {row['national_share'].iloc[0]:.0%}"],
            "Drivers": [str(row["drivers"].iloc[0])],
            "Scored on": [str(meta.get("scored_on", ""))],
        }
    )
