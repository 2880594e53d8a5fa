"""Early-warning model: risk that a school's next graded inspection is RI or Inadequate (issues 5, 9, 16).

features -> model (fit, choose, calibrate) -> backtest (time-split metrics) -> training (policy) -> store (the
database) -> explain (drivers in plain words) -> scoring of every open school.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine


def school_risk(engine: Engine, urn: int) -> pd.DataFrame | None:
    """One school's stored risk score, likely range and drivers for the school drilldown (None when no model
    is stored or the school is not scored)."""
    from analytics.risk import store

    meta = store.latest_metadata(engine)
    if meta is None:
        return None
    row = store.scores_of(engine, int(meta["id"]), [int(urn)])
    if row.empty:
        return None
    score = row.iloc[0]
    likely = (
        f"{score['risk_low']:.0%} to {score['risk_high']:.0%}" if pd.notna(score["risk_low"]) else "not known"
    )
    return pd.DataFrame(
        {
            "Risk of RI or Inadequate at next graded inspection": [f"{score['risk']:.0%}"],
            "Likely range": [likely],
            "Band": [str(score["band"])],
            "Riskiest share of England": [f"top {score['national_share']:.0%}"],
            "Drivers": [str(score["drivers"])],
            "Caution": [str(score["caution"] or "")],
            "Scored on": [str(meta.get("scored_on", ""))],
        }
    )
