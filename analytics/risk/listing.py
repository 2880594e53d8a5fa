"""The risk register table: open schools with their stored risk score, drivers, current grade and due date."""

from __future__ import annotations

import pandas as pd

from analytics.headline import headline_texts

NOT_SCORED = "not scored"


def risk_listing(headlines: pd.DataFrame, scores: pd.DataFrame, due: pd.DataFrame) -> pd.DataFrame:
    """One row per school in `headlines` (e.g. an LA's open schools), riskiest first; unscored schools last.

    `due` is the read model's due table (`analytics.due_dates.due_table`), so a school's due date here is the
    one its school page shows.
    """
    joined = headlines.merge(
        scores[["urn", "risk", "band", "national_share", "drivers"]], on="urn", how="left"
    ).merge(due[["urn", "due_date", "overdue"]], on="urn", how="left")
    table = pd.DataFrame(
        {
            "URN": joined["urn"].astype(int),
            "School": joined["name"],
            "Phase": joined["phase"],
            "Type": joined["type_group"],
            "Risk": joined["risk"],
            "Band": joined["band"].fillna(NOT_SCORED),
            "Riskiest share of England": joined["national_share"],
            "Drivers": joined["drivers"].fillna("no graded inspection recorded: the model cannot score it"),
            "Current grade": headline_texts(joined),
            "Next inspection due by (approx.)": joined["due_date"],
            "Overdue": ["overdue" if o is True else "" for o in joined["overdue"]],
            "Link": [f"/school?urn={int(u)}" for u in joined["urn"]],
        }
    )
    return table.sort_values("Risk", ascending=False, na_position="last", kind="stable").reset_index(
        drop=True
    )


def band_counts(table: pd.DataFrame) -> dict[str, int]:
    return {band: int((table["Band"] == band).sum()) for band in ("high", "elevated", "lower", NOT_SCORED)}
