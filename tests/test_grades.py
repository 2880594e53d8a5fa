"""Every headline-grade rule of DESIGN.md section 2, on hand-built inspection rows.

The expected grades are written out by hand from the rules, not computed by the code under test.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analytics.grades import (
    DERIVED,
    PUBLISHED,
    REPORT_CARD,
    derive_not_judged_grade,
    framework_for,
    frameworks_for,
    grade_label,
    headline_grades,
    report_card_adverse,
)
from analytics.queries import add_headline

NOT_JUDGED_DAY = date(2025, 1, 15)  # inside the 2024/25 "Not judged" window
REPORT_CARD_DAY = date(2025, 11, 20)
KJ = ("quality_of_education", "behaviour_and_attitudes", "personal_development", "leadership_and_management")


def inspection(
    start: date = NOT_JUDGED_DAY,
    overall: int | None = None,
    qoe: int | None = None,
    ba: int | None = None,
    pd_: int | None = None,
    lm: int | None = None,
    category: str | None = None,
    safe: bool | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "start_date": start,
        "overall_effectiveness": overall,
        "category_of_concern": category,
        "quality_of_education": qoe,
        "behaviour_and_attitudes": ba,
        "personal_development": pd_,
        "leadership_and_management": lm,
        "safeguarding_effective": safe,
        "is_graded": True,
        **extra,
    }


def one(row: dict[str, Any]) -> tuple[float | None, str | None]:
    out = headline_grades(pd.DataFrame([row]))
    grade = out["grade"].iloc[0]
    return (None if pd.isna(grade) else float(grade)), out["grade_source"].iloc[0]


# -------------------------------------------------------------------------------------------- published grade


@pytest.mark.parametrize("grade", [1, 2, 3, 4])
@pytest.mark.parametrize("start", [date(2008, 3, 1), date(2016, 6, 1), date(2023, 5, 9), date(2024, 9, 1)])
def test_published_overall_grade_is_the_headline(grade: int, start: date) -> None:
    # Key judgements that would derive something else must not override a published grade.
    assert one(inspection(start, overall=grade, qoe=4, ba=4, pd_=4, lm=4, safe=False)) == (grade, PUBLISHED)


def test_missing_overall_before_september_2024_is_not_derived() -> None:
    assert one(inspection(date(2024, 9, 1), qoe=2, ba=2, pd_=2, lm=2)) == (None, None)


# ---------------------------------------------------------------------------- 2024/25 "Not judged" derivation

DERIVATION_CASES = [
    # (description, judgements qoe/ba/pd/lm, category, safeguarding, expected)
    ("quality of education 4", (4, 2, 2, 2), None, True, 4),
    ("behaviour and attitudes 4", (2, 4, 2, 2), None, True, 4),
    ("personal development 4", (1, 1, 4, 1), None, True, 4),
    ("leadership and management 4", (2, 2, 2, 4), None, True, 4),
    ("special measures, no judgement 4", (3, 2, 2, 3), "SM", True, 4),
    ("serious weaknesses, otherwise good", (2, 2, 2, 2), "SWK", True, 4),
    ("safeguarding not effective, otherwise outstanding", (1, 1, 1, 1), None, False, 4),
    ("quality of education 3", (3, 2, 2, 2), None, True, 3),
    ("leadership and management 3", (2, 1, 1, 3), None, True, 3),
    ("both 3", (3, 2, 2, 3), None, True, 3),
    ("behaviour 3 only is not RI-equivalent", (2, 3, 2, 2), None, True, 2),
    ("personal development 3 only is not RI-equivalent", (1, 1, 3, 1), None, True, 2),
    ("all four 1", (1, 1, 1, 1), None, True, 1),
    ("all four 1, safeguarding not recorded", (1, 1, 1, 1), None, None, 1),
    ("three 1 and one 2", (1, 1, 1, 2), None, True, 2),
    ("all 2", (2, 2, 2, 2), None, True, 2),
    ("mixed 1 and 2", (2, 1, 2, 1), None, True, 2),
    ("one judgement missing, rest 1", (1, 1, None, 1), None, True, 2),
]


@pytest.mark.parametrize(
    ("label", "kj", "category", "safe", "expected"), DERIVATION_CASES, ids=[c[0] for c in DERIVATION_CASES]
)
def test_not_judged_derivation(
    label: str, kj: tuple[int | None, ...], category: str | None, safe: bool | None, expected: int
) -> None:
    row = inspection(NOT_JUDGED_DAY, None, *kj, category=category, safe=safe)
    assert one(row) == (expected, DERIVED)
    assert derive_not_judged_grade(*kj, category_of_concern=category, safeguarding_effective=safe) == expected


def test_no_judgements_at_all_gives_no_grade() -> None:
    assert one(inspection(NOT_JUDGED_DAY)) == (None, None)
    assert derive_not_judged_grade(None, None, None, None, None, None) is None


def test_category_without_judgements_is_still_inadequate() -> None:
    assert one(inspection(NOT_JUDGED_DAY, category="SM")) == (4, DERIVED)


@pytest.mark.parametrize(
    ("start", "derived"),
    [
        (date(2024, 9, 1), False),
        (date(2024, 9, 2), True),
        (date(2025, 11, 9), True),
        (date(2025, 11, 10), False),
    ],
)
def test_derivation_window_boundaries(start: date, derived: bool) -> None:
    grade, source = one(inspection(start, None, 3, 2, 2, 2))
    if derived:
        assert (grade, source) == (3, DERIVED)
    else:
        assert grade is None and source != DERIVED


def test_derivation_is_vectorised_row_by_row() -> None:
    """One frame with every branch: each row gets its own answer (no leakage between rows)."""
    rows = [
        inspection(NOT_JUDGED_DAY, None, *kj, category=cat, safe=safe)
        for _, kj, cat, safe, _ in DERIVATION_CASES
    ]
    rows.append(inspection(date(2019, 1, 1), overall=3))
    out = headline_grades(pd.DataFrame(rows))
    expected = [c[4] for c in DERIVATION_CASES] + [3]
    assert out["grade"].astype(float).tolist() == expected
    assert out["grade_source"].tolist() == [DERIVED] * len(DERIVATION_CASES) + [PUBLISHED]


def test_nullable_and_database_dtypes_give_the_same_answers() -> None:
    """Frames from the importer (Int64, pd.NA) or a DB (float NaN, numpy bools) derive alike."""
    rows = [
        inspection(NOT_JUDGED_DAY, None, *kj, category=cat, safe=safe)
        for _, kj, cat, safe, _ in DERIVATION_CASES
    ]
    frame = pd.DataFrame(rows)
    expected = [float(c[4]) for c in DERIVATION_CASES]
    nullable = frame.copy()
    for column in (*KJ, "overall_effectiveness"):
        nullable[column] = nullable[column].astype("Int64")
    nullable["safeguarding_effective"] = nullable["safeguarding_effective"].astype("boolean")
    floats = frame.copy()
    for column in (*KJ, "overall_effectiveness"):
        floats[column] = floats[column].astype(float)
    floats["category_of_concern"] = floats["category_of_concern"].replace({None: np.nan})
    floats["start_date"] = pd.to_datetime(floats["start_date"])
    for variant in (nullable, floats):
        assert headline_grades(variant)["grade"].astype(float).tolist() == expected


# ----------------------------------------------------------------------------------------------- report cards

RC_AREAS = {
    "rc_inclusion": "expected standard",
    "rc_curriculum_and_teaching": "expected standard",
    "rc_achievement": "expected standard",
    "rc_attendance_and_behaviour": "strong standard",
    "rc_personal_development": "strong standard",
    "rc_leadership_and_governance": "expected standard",
}


def report_card(**changes: Any) -> dict[str, Any]:
    areas = {**RC_AREAS, "rc_safeguarding_met": True, **changes}
    return inspection(REPORT_CARD_DAY, None, None, None, None, None, **areas)


def test_report_cards_are_never_mapped_onto_1_to_4() -> None:
    for row in (
        report_card(),
        report_card(rc_achievement="urgent improvement"),
        report_card(rc_inclusion="exceptional"),
    ):
        assert one(row) == (None, REPORT_CARD)


def test_report_card_with_stray_key_judgements_is_still_not_graded() -> None:
    row = report_card()
    row.update(quality_of_education=4, behaviour_and_attitudes=4)
    assert one(row) == (None, REPORT_CARD)


@pytest.mark.parametrize(
    ("changes", "adverse"),
    [
        ({}, False),
        ({"rc_inclusion": "exceptional"}, False),
        ({"rc_achievement": "needs attention"}, False),  # needs attention outside leadership is not adverse
        ({"rc_leadership_and_governance": "needs attention"}, True),
        ({"rc_leadership_and_governance": "urgent improvement"}, True),
        ({"rc_attendance_and_behaviour": "urgent improvement"}, True),
        ({"rc_safeguarding_met": False}, True),
    ],
)
def test_report_card_adverse_flag(changes: dict[str, Any], adverse: bool) -> None:
    assert report_card_adverse(pd.Series(report_card(**changes))) is adverse


def test_report_card_adverse_with_database_values() -> None:
    """Values read back from a database: numpy bools, NaN for missing areas."""
    row = pd.Series(report_card(rc_safeguarding_met=np.False_, rc_early_years=np.nan))
    assert report_card_adverse(row) is True
    row = pd.Series(report_card(rc_safeguarding_met=np.True_, rc_sixth_form=np.nan))
    assert report_card_adverse(row) is False


def test_report_card_adverse_is_unknown_without_a_report_card() -> None:
    assert report_card_adverse(pd.Series(inspection(date(2019, 1, 1), overall=2))) is None
    nan_row = pd.Series({**inspection(date(2019, 1, 1), overall=2), "rc_safeguarding_met": np.nan})
    assert report_card_adverse(nan_row) is None


# ----------------------------------------------------------------------------------------- labels, frameworks


@pytest.mark.parametrize(
    ("grade", "start", "label"),
    [
        (3, date(2012, 8, 31), "Satisfactory"),
        (3, date(2006, 1, 10), "Satisfactory"),
        (3, date(2012, 9, 1), "Requires improvement"),
        (3, None, "Requires improvement"),
        (1, date(2010, 1, 1), "Outstanding"),
        (2, date(2010, 1, 1), "Good"),
        (4, date(2010, 1, 1), "Inadequate"),
        (4.0, date(2020, 1, 1), "Inadequate"),
        (None, date(2020, 1, 1), "Not inspected"),
        (float("nan"), None, "Not inspected"),
    ],
)
def test_grade_label(grade: float | None, start: date | None, label: str) -> None:
    assert grade_label(grade, start) == label


@pytest.mark.parametrize(
    ("start", "framework"),
    [
        (None, "unknown"),
        (date(2005, 9, 1), "2005-2012 (Satisfactory)"),
        (date(2012, 8, 31), "2005-2012 (Satisfactory)"),
        (date(2012, 9, 1), "2012 framework"),
        (date(2015, 8, 31), "2012 framework"),
        (date(2015, 9, 1), "Common inspection framework 2015"),
        (date(2019, 8, 31), "Common inspection framework 2015"),
        (date(2019, 9, 1), "Education inspection framework 2019"),
        (date(2024, 9, 1), "Education inspection framework 2019"),
        (date(2024, 9, 2), "EIF 2024/25 (no overall grade)"),
        (date(2025, 11, 9), "EIF 2024/25 (no overall grade)"),
        (date(2025, 11, 10), "Report cards 2025"),
    ],
)
def test_framework_boundaries(start: date | None, framework: str) -> None:
    assert framework_for(start) == framework


# --------------------------------------------------------------------------------------------- add_headline


def test_add_headline_leaves_ungraded_inspections_without_a_grade() -> None:
    frame = pd.DataFrame(
        [
            inspection(date(2019, 5, 1), overall=2),
            inspection(
                date(2022, 5, 1), overall=None, is_graded=False, ungraded_outcome="School remains Good"
            ),
            inspection(NOT_JUDGED_DAY, None, 3, 2, 2, 2),
        ]
    )
    out = add_headline(frame)
    assert out["grade"].iloc[0] == 2 and out["grade_source"].iloc[0] == PUBLISHED
    assert pd.isna(out["grade"].iloc[1]) and pd.isna(out["grade_source"].iloc[1])
    assert out["grade"].iloc[2] == 3 and out["grade_source"].iloc[2] == DERIVED


def test_vectorised_frameworks_agree_with_framework_for() -> None:
    days = [None, date(2005, 9, 1), date(2012, 8, 31), date(2012, 9, 1), date(2015, 9, 1), date(2019, 8, 31),
            date(2019, 9, 1), date(2024, 9, 1), date(2024, 9, 2), date(2025, 11, 9), date(2025, 11, 10)]
    series = pd.Series(days, index=range(10, 10 + len(days)), dtype=object)
    out = frameworks_for(series)
    assert out.tolist() == [framework_for(d) for d in days]
    assert list(out.index) == list(series.index)
