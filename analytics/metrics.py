"""County KPIs and movement (DESIGN.md section 2). Pure pandas over `queries.school_headlines` frames.

Each count has one definition, `kpi_mask`, used both to count (the cards, the command line) and to list the
schools behind the count (the page's "list the schools" under each card).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analytics.grades import (
    AT_OR_ABOVE_EXPECTED,
    REPORT_CARD,
    REPORT_CARD_AREAS,
    adverse,
    good_or_better,
    stuck_below_good,
)

KPI_KEYS = (
    "schools_with_grade",
    "pct_schools_good_or_outstanding",
    "pupils_in_good_or_outstanding",
    "pct_pupils_good_or_outstanding",
    "schools_requires_improvement",
    "schools_inadequate",
    "schools_special_measures",
    "schools_serious_weaknesses",
    "pct_schools_in_category",
    "schools_declined",
    "schools_stuck_below_good",
)
CATEGORIES_OF_CONCERN = ("SWK", "SM")
#: Which schools each card counts (the measure's definition, shown as the card's help).
KPI_DEFINITIONS = {
    "schools": "Every open school, with or without a grade.",
    "schools_with_grade": (
        "Open schools with a headline grade on the 1-4 scale (their own latest graded inspection's, "
        "inherited "
        "or derived): the schools every share is taken over."
    ),
    "pct_schools_good_or_outstanding": (
        "Open schools whose headline grade is Outstanding or Good, as a share of the schools with a grade. "
        "The headline grade is the latest graded inspection's (a predecessor's, 'inherited', until the "
        "school is inspected in its current form; 2024/25 grades 'derived' from the key judgements). "
        "Uninspected schools are excluded."
    ),
    "pupils_in_good_or_outstanding": (
        "Pupils on roll (Ofsted's latest count) in schools whose headline grade is Outstanding or Good."
    ),
    "pct_pupils_good_or_outstanding": (
        "Pupils in Outstanding or Good schools as a share of the pupils in schools with a grade."
    ),
    "schools_requires_improvement": (
        "Schools whose headline grade is Requires improvement (derived 2024/25 grades included)."
    ),
    "schools_inadequate": (
        "Schools whose headline grade is Inadequate, including the schools in serious weaknesses or special "
        "measures."
    ),
    "schools_serious_weaknesses": (
        "Inadequate schools placed in the serious weaknesses category (counted within Inadequate)."
    ),
    "schools_special_measures": "Inadequate schools placed in special measures (counted within Inadequate).",
    "pct_schools_in_category": (
        "Schools in an adverse Ofsted category (serious weaknesses or special measures) as a share of the "
        "schools with a grade."
    ),
    "schools_stuck_below_good": (
        "Schools graded Requires improvement or Inadequate now and at their previous graded inspection: "
        "adverse and not making progress."
    ),
    "schools_declined": "Schools whose headline grade is worse than at their previous graded inspection.",
    "schools_uninspected": (
        "Open schools with no graded inspection of their own or of a predecessor: excluded from the other "
        "figures and counted here. A school whose latest inspection is a report card (no single grade) is "
        "inspected: see the report-card figures."
    ),
}


#: The counts a list of schools can be opened for (District page), in words, each with its `kpi_mask` key.
COUNT_LABELS = {
    "All schools": "schools",
    "Schools with a grade": "schools_with_grade",
    "Good or outstanding": "pct_schools_good_or_outstanding",
    "Requires improvement": "schools_requires_improvement",
    "Inadequate": "schools_inadequate",
    "Serious weaknesses": "schools_serious_weaknesses",
    "Special measures": "schools_special_measures",
    "In an adverse category (SWK or SM)": "pct_schools_in_category",
    "Declined": "schools_declined",
    "Stuck below good": "schools_stuck_below_good",
    "Uninspected": "schools_uninspected",
}


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


def kpi_mask(headlines: pd.DataFrame, key: str) -> pd.Series:
    """The schools a KPI counts (for a share: its numerator), as a boolean mask over `headlines`."""
    grade = pd.to_numeric(headlines["grade"], errors="coerce").astype("float64")
    category = headlines["category_of_concern"].astype(object)
    graded = grade.notna()
    masks = {
        "schools": lambda: pd.Series(True, index=headlines.index),
        "schools_with_grade": lambda: graded,
        "pct_schools_good_or_outstanding": lambda: good_or_better(grade),
        "pupils_in_good_or_outstanding": lambda: good_or_better(grade),
        "pct_pupils_good_or_outstanding": lambda: good_or_better(grade),
        "schools_requires_improvement": lambda: grade == 3,
        "schools_inadequate": lambda: grade == 4,
        "schools_special_measures": lambda: graded & (category == "SM"),
        "schools_serious_weaknesses": lambda: graded & (category == "SWK"),
        "pct_schools_in_category": lambda: graded & category.isin(CATEGORIES_OF_CONCERN),
        "schools_declined": lambda: movement(grade, headlines["previous_grade"].astype("float64"))
        == "declined",
        "schools_stuck_below_good": lambda: stuck_below_good(grade, headlines["previous_grade"]),
        "schools_uninspected": lambda: ~graded & (headlines["grade_source"] != REPORT_CARD),
        "schools_adverse": lambda: adverse(grade),
    }
    if key not in masks:
        raise KeyError(f"unknown KPI {key!r}")
    return masks[key]().fillna(False).astype(bool)


def county_kpis(headlines: pd.DataFrame) -> dict[str, Any]:
    """KPIs over open schools whose latest graded inspection has a 1-4 headline grade (`schools_with_grade`
    says how many that covers). Report-card schools have no such grade: see `report_card_kpis`; uninspected
    schools are counted separately (`uninspected_count`)."""
    graded = headlines[kpi_mask(headlines, "schools_with_grade")]
    good = kpi_mask(graded, "pct_schools_good_or_outstanding")
    pupils = pd.to_numeric(graded["pupils"], errors="coerce").fillna(0)

    def count(key: str) -> int:
        return int(kpi_mask(graded, key).sum())

    return {
        "schools_with_grade": int(len(graded)),
        "pct_schools_good_or_outstanding": _pct(int(good.sum()), len(graded)),
        "pupils_in_good_or_outstanding": int(pupils[good].sum()),
        "pct_pupils_good_or_outstanding": _pct(float(pupils[good].sum()), float(pupils.sum())),
        "schools_requires_improvement": count("schools_requires_improvement"),
        "schools_inadequate": count("schools_inadequate"),
        "schools_special_measures": count("schools_special_measures"),
        "schools_serious_weaknesses": count("schools_serious_weaknesses"),
        "pct_schools_in_category": _pct(count("pct_schools_in_category"), len(graded)),
        "schools_declined": count("schools_declined"),
        "schools_stuck_below_good": count("schools_stuck_below_good"),
    }


def uninspected_count(headlines: pd.DataFrame) -> int:
    """Schools with no graded inspection at all (a report card is an inspection, though it has no grade)."""
    return int(kpi_mask(headlines, "schools_uninspected").sum())


REPORT_CARD_KPI_KEYS = (
    "schools_with_report_card",
    "pct_report_cards_expected_or_above",
    "schools_any_needs_attention",
    "schools_any_urgent_improvement",
    "schools_safeguarding_not_met",
    "schools_in_category_of_concern",
    "schools_in_category_derived",
)


#: What each report-card figure counts (the card's help on the Overview).
REPORT_CARD_DEFINITIONS = {
    "schools_with_report_card": (
        "Open schools whose latest graded inspection is a report card (from 10 November 2025): no single "
        "grade, six to eight areas on a five-point scale plus safeguarding met / not met."
    ),
    "pct_report_cards_expected_or_above": (
        "Report-card schools with every graded area at expected standard, strong standard or exceptional, "
        "as a share of the schools with a report card ('not applicable' areas left out)."
    ),
    "schools_any_needs_attention": "Report-card schools with at least one area graded 'needs attention'.",
    "schools_any_urgent_improvement": (
        "Report-card schools with at least one area graded 'urgent improvement'."
    ),
    "schools_safeguarding_not_met": "Report-card schools whose safeguarding standards are not met.",
    "schools_in_category_of_concern": (
        "Report-card schools placed in a category of concern (special measures or requires significant "
        "improvement): Ofsted's published category, else derived from the area grades (labelled derived)."
    ),
    "schools_in_category_derived": (
        "Of the schools in a category of concern, those whose category is derived from the area grades "
        "because the file publishes none."
    ),
}


def report_card_mask(headlines: pd.DataFrame, key: str) -> pd.Series:
    """The report-card schools a report-card KPI counts (for the share: its numerator), over `headlines`."""
    card = headlines["grade_source"] == REPORT_CARD
    grades = headlines[list(REPORT_CARD_AREAS)].astype(object)
    graded = grades.notna() & (grades != "not applicable")
    good = grades.isin(AT_OR_ABOVE_EXPECTED)
    category = headlines["category_of_concern"].map(lambda v: isinstance(v, str) and v != "")
    masks = {
        "schools_with_report_card": lambda: card,
        "pct_report_cards_expected_or_above": lambda: (good | ~graded).all(axis=1) & graded.any(axis=1),
        "schools_any_needs_attention": lambda: (grades == "needs attention").any(axis=1),
        "schools_any_urgent_improvement": lambda: (grades == "urgent improvement").any(axis=1),
        "schools_safeguarding_not_met": lambda: headlines["rc_safeguarding_met"].map(
            lambda v: v is False or v == 0
        ),
        "schools_in_category_of_concern": lambda: category,
        "schools_in_category_derived": lambda: category
        & headlines["category_derived"].map(lambda v: v is True or v == 1),
    }
    if key not in masks:
        raise KeyError(f"unknown report-card KPI {key!r}")
    return (card & masks[key]().fillna(False).astype(bool)).astype(bool)


def report_card_kpis(headlines: pd.DataFrame) -> dict[str, Any]:
    """Headline figures over schools whose latest graded inspection is a report card (DESIGN.md section 2).

    Areas graded 'not applicable' (early years, post-16) are left out; "expected or above" needs every
    graded area at expected standard, strong standard or exceptional. The category of concern is Ofsted's
    where published; `schools_in_category_derived` counts those derived from the area grades instead.
    """
    counts: dict[str, Any] = {
        key: int(report_card_mask(headlines, key).sum()) for key in REPORT_CARD_KPI_KEYS
    }
    cards = counts["schools_with_report_card"]
    counts["pct_report_cards_expected_or_above"] = _pct(counts["pct_report_cards_expected_or_above"], cards)
    return counts
