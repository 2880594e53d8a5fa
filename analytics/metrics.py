"""County KPIs and movement (DESIGN.md section 2). Pure pandas over `queries.school_headlines` frames."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analytics.grades import AT_OR_ABOVE_EXPECTED, REPORT_CARD, REPORT_CARD_AREAS

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
    """KPIs over open schools whose latest graded inspection has a 1-4 headline grade (`schools_with_grade`
    says how many that covers). Report-card schools have no such grade: see `report_card_kpis`; uninspected
    schools are counted separately (`uninspected_count`)."""
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
    """Schools with no graded inspection at all (a report card is an inspection, though it has no grade)."""
    return int((headlines["grade"].isna() & (headlines["grade_source"] != REPORT_CARD)).sum())


REPORT_CARD_KPI_KEYS = (
    "schools_with_report_card",
    "pct_report_cards_expected_or_above",
    "schools_any_needs_attention",
    "schools_any_urgent_improvement",
    "schools_safeguarding_not_met",
    "schools_in_category_of_concern",
    "schools_in_category_derived",
)


def report_card_kpis(headlines: pd.DataFrame) -> dict[str, Any]:
    """Headline figures over schools whose latest graded inspection is a report card (DESIGN.md section 2).

    Areas graded 'not applicable' (early years, post-16) are left out; "expected or above" needs every
    graded area at expected standard, strong standard or exceptional. The category of concern is Ofsted's
    where published; `schools_in_category_derived` counts those derived from the area grades instead.
    """
    cards = headlines.loc[headlines["grade_source"] == REPORT_CARD]
    grades = cards[list(REPORT_CARD_AREAS)].astype(object)
    graded = grades.notna() & (grades != "not applicable")
    good = grades.isin(AT_OR_ABOVE_EXPECTED)
    all_good = (good | ~graded).all(axis=1) & graded.any(axis=1)
    category = cards["category_of_concern"].map(lambda v: isinstance(v, str) and v != "")
    derived = cards["category_derived"].map(lambda v: v is True or v == 1)
    unsafe = cards["rc_safeguarding_met"].map(lambda v: v is False or v == 0)
    return {
        "schools_with_report_card": int(len(cards)),
        "pct_report_cards_expected_or_above": _pct(int(all_good.sum()), len(cards)),
        "schools_any_needs_attention": int((grades == "needs attention").any(axis=1).sum()),
        "schools_any_urgent_improvement": int((grades == "urgent improvement").any(axis=1).sum()),
        "schools_safeguarding_not_met": int(unsafe.sum()),
        "schools_in_category_of_concern": int(category.sum()),
        "schools_in_category_derived": int((category & derived).sum()),
    }
