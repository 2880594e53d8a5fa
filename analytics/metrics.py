"""County KPIs and movement (DESIGN.md section 2). Pure pandas over `queries.school_headlines` frames."""

from __future__ import annotations

from typing import Any

import pandas as pd

KPI_KEYS = (
    "schools_with_grade",
    "pct_schools_good_or_outstanding",
    "pupils_in_good_or_outstanding",
    "pct_pupils_good_or_outstanding",
    "schools_requires_improvement",
    "schools_inadequate",
    "schools_special_measures",
    "schools_serious_weaknesses",
    "schools_declined",
    "schools_stuck_below_good",
)


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def movement(grade: pd.Series, previous: pd.Series) -> pd.Series:
    """'improved' / 'static' / 'declined' from the previous to the latest graded inspection (1 is best)."""
    out = pd.Series(pd.NA, index=grade.index, dtype="object")
    both = grade.notna() & previous.notna()
    out[both & (grade < previous)] = "improved"
    out[both & (grade == previous)] = "static"
    out[both & (grade > previous)] = "declined"
    return out


def county_kpis(headlines: pd.DataFrame) -> dict[str, Any]:
    """KPIs over open schools with a 1-4 headline grade; uninspected schools counted separately."""
    graded = headlines[headlines["grade"].notna()]
    good = graded["grade"] <= 2
    pupils = pd.to_numeric(graded["pupils"], errors="coerce").fillna(0)
    moves = movement(graded["grade"], graded["previous_grade"])
    kpis: dict[str, Any] = {
        "schools_with_grade": int(len(graded)),
        "pct_schools_good_or_outstanding": _pct(int(good.sum()), len(graded)),
        "pupils_in_good_or_outstanding": int(pupils[good].sum()),
        "pct_pupils_good_or_outstanding": _pct(float(pupils[good].sum()), float(pupils.sum())),
        "schools_requires_improvement": int((graded["grade"] == 3).sum()),
        "schools_inadequate": int((graded["grade"] == 4).sum()),
        "schools_special_measures": int((graded["category_of_concern"] == "SM").sum()),
        "schools_serious_weaknesses": int((graded["category_of_concern"] == "SWK").sum()),
        "schools_declined": int((moves == "declined").sum()),
        "schools_stuck_below_good": int(((graded["grade"] >= 3) & (graded["previous_grade"] >= 3)).sum()),
    }
    return kpis


def uninspected_count(headlines: pd.DataFrame) -> int:
    return int(headlines["grade"].isna().sum())
