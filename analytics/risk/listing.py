"""The risk register table: open schools with their stored risk score, drivers, current grade and due date."""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics.due_dates import inspection_due
from analytics.grades import DERIVED, grade_label

NOT_SCORED = "not scored"


def _date(value: object) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):  # type: ignore[call-overload]
        return None
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def current_grade(row: pd.Series) -> str:
    """Headline grade in words with its labels: '(derived)' for 2024/25, '(inherited)' for a predecessor's."""
    if pd.isna(row.get("grade")):
        return "Not inspected"
    text = grade_label(row["grade"], _date(row.get("inspection_start")))
    if row.get("grade_source") == DERIVED:
        text += " (derived)"
    if bool(row.get("inherited")):
        text += " (inherited)"
    return text


def due_by(row: pd.Series, as_of: date) -> tuple[date | None, bool]:
    due = inspection_due(
        grade=None if pd.isna(row.get("grade")) else int(row["grade"]),
        last_graded_start=_date(row.get("inspection_start")),
        category_of_concern=row.get("category_of_concern") or None,
        inherited=bool(row.get("inherited")),
        open_date=_date(row.get("open_date")),
        phase=row.get("phase"),
        as_of=as_of,
    )
    return due.due, due.overdue


def risk_listing(headlines: pd.DataFrame, scores: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """One row per school in `headlines` (e.g. an LA's open schools), riskiest first; unscored
    schools last."""
    joined = headlines.merge(
        scores[["urn", "risk", "band", "national_share", "drivers"]], on="urn", how="left"
    )
    dues = [due_by(row, as_of) for _, row in joined.iterrows()]
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
            "Current grade": joined.apply(current_grade, axis=1),
            "Next inspection due by (approx.)": [d for d, _ in dues],
            "Overdue": ["overdue" if o else "" for _, o in dues],
            "Link": [f"/school?urn={int(u)}" for u in joined["urn"]],
        }
    )
    return table.sort_values("Risk", ascending=False, na_position="last", kind="stable").reset_index(
        drop=True
    )


def band_counts(table: pd.DataFrame) -> dict[str, int]:
    return {band: int((table["Band"] == band).sum()) for band in ("high", "elevated", "lower", NOT_SCORED)}
