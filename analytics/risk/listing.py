"""The risk register table: open schools with their stored risk score, likely range, rank in the LA, caution,
drivers, current grade and due date."""

from __future__ import annotations

import pandas as pd

from analytics.headline import headline_texts

NOT_SCORED = "not scored"
#: Current-grade groups of the register's filter (issue 15: "which good schools are at risk?").
GOOD_OR_BETTER = "Good or Outstanding"
NO_GRADE = "No grade on the 1-4 scale"
BELOW_GOOD = "Requires improvement or Inadequate"
GRADE_GROUPS = (GOOD_OR_BETTER, NO_GRADE, BELOW_GOOD)
DEFAULT_GRADE_GROUPS = (GOOD_OR_BETTER, NO_GRADE)
CAUTION_FLAG = "use with caution"


def grade_group(grade: object) -> str:
    """Good or Outstanding (1-2), below good (3-4) or no grade on the 1-4 scale (uninspected, report card)."""
    if grade is None or pd.isna(grade):  # type: ignore[call-overload]
        return NO_GRADE
    return GOOD_OR_BETTER if float(grade) <= 2 else BELOW_GOOD  # type: ignore[arg-type]


def likely_range_text(low: object, high: object) -> str:
    if low is None or high is None or pd.isna(low) or pd.isna(high):  # type: ignore[call-overload]
        return ""
    return f"{float(low):.0%} to {float(high):.0%}"  # type: ignore[arg-type]


def rank_in_la(risk: pd.Series) -> pd.Series:
    """1 = the riskiest scored school of the table (the LA's open schools); unscored schools have none."""
    return risk.rank(ascending=False, method="min").astype("Int64")


def risk_listing(headlines: pd.DataFrame, scores: pd.DataFrame, due: pd.DataFrame) -> pd.DataFrame:
    """One row per school in `headlines` (all of an LA's open schools, so that the rank is within the LA),
    riskiest first; unscored schools last.

    `due` is the read model's due table (`analytics.due_dates.due_table`), so a school's due date here is the
    one its school page shows.
    """
    score_columns = ["urn", "risk", "risk_low", "risk_high", "band", "national_share", "drivers", "caution"]
    joined = headlines.merge(scores.reindex(columns=score_columns), on="urn", how="left")
    joined = joined.merge(due[["urn", "due_date", "overdue"]], on="urn", how="left")
    caution = joined["caution"].astype(object).where(joined["caution"].notna(), "")
    table = pd.DataFrame(
        {
            "URN": joined["urn"].astype(int),
            "School": joined["name"],
            "Phase": joined["phase"],
            "Type": joined["type_group"],
            "Current grade": headline_texts(joined),
            "Grade group": joined["grade"].map(grade_group),
            "Risk": joined["risk"],
            "Likely range": [
                likely_range_text(low, high)
                for low, high in zip(joined["risk_low"], joined["risk_high"], strict=True)
            ],
            "Rank in LA": rank_in_la(joined["risk"]),
            "Reliability": [CAUTION_FLAG if text else "" for text in caution],
            "Band": joined["band"].fillna(NOT_SCORED),
            "Riskiest share of England": joined["national_share"],
            "Drivers": joined["drivers"].fillna("no graded inspection recorded: the model cannot score it"),
            "Caution": caution,
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
