"""Inspection frameworks and the headline-grade rules of DESIGN.md section 2.

Pure functions over plain values and DataFrames; no store access.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

GRADE_LABELS = {1: "Outstanding", 2: "Good", 3: "Requires improvement", 4: "Inadequate"}
SATISFACTORY_UNTIL = date(2012, 8, 31)
NO_OVERALL_FROM = date(2024, 9, 2)
REPORT_CARDS_FROM = date(2025, 11, 10)
REPORT_CARD_LEVELS = (
    "exceptional",
    "strong standard",
    "expected standard",
    "needs attention",
    "urgent improvement",
)
REPORT_CARD_AREAS = (
    "rc_inclusion",
    "rc_curriculum_and_teaching",
    "rc_achievement",
    "rc_attendance_and_behaviour",
    "rc_personal_development",
    "rc_leadership_and_governance",
    "rc_early_years",
    "rc_sixth_form",
)
#: Each report-card area's name in words ('rc_leadership_and_governance' -> 'Leadership and governance').
REPORT_CARD_TITLES = {a: a.removeprefix("rc_").replace("_", " ").capitalize() for a in REPORT_CARD_AREAS}
#: Report-card area grades at or above the expected standard ("not applicable" areas are not graded).
AT_OR_ABOVE_EXPECTED = ("exceptional", "strong standard", "expected standard")
NOT_APPLICABLE = "not applicable"
#: Categories of concern as Ofsted codes them: special measures (both frameworks), serious weaknesses
#: (to Nov 2025), requires significant improvement (report cards), notice to improve (before 2012).
CATEGORY_NAMES = {
    "SM": "Special measures",
    "SWK": "Serious weaknesses",
    "RSI": "Requires significant improvement",
    "NTI": "Notice to improve",
}
KEY_JUDGEMENTS = (
    "quality_of_education",
    "behaviour_and_attitudes",
    "personal_development",
    "leadership_and_management",
)

# Headline sources, shown next to every grade.
PUBLISHED = "published"
DERIVED = "derived from key judgements"
REPORT_CARD = "report card"


def framework_for(start: date | None) -> str:
    """Name of the inspection framework in force on the start date."""
    if start is None:
        return "unknown"
    if start < date(2012, 9, 1):
        return "2005-2012 (Satisfactory)"
    if start < date(2015, 9, 1):
        return "2012 framework"
    if start < date(2019, 9, 1):
        return "Common inspection framework 2015"
    if start < NO_OVERALL_FROM:
        return "Education inspection framework 2019"
    if start < REPORT_CARDS_FROM:
        return "EIF 2024/25 (no overall grade)"
    return REPORT_CARD_FRAMEWORK


REPORT_CARD_FRAMEWORK = "Report cards 2025"
FRAMEWORK_STARTS = (
    (date(2012, 9, 1), "2012 framework"),
    (date(2015, 9, 1), "Common inspection framework 2015"),
    (date(2019, 9, 1), "Education inspection framework 2019"),
    (NO_OVERALL_FROM, "EIF 2024/25 (no overall grade)"),
    (REPORT_CARDS_FROM, REPORT_CARD_FRAMEWORK),
)


def frameworks_for(starts: pd.Series) -> pd.Series:
    """`framework_for` over a column of start dates at once (same boundaries, 'unknown' for missing)."""
    days = pd.to_datetime(starts).to_numpy(dtype="datetime64[D]")
    bounds = np.array([d for d, _ in FRAMEWORK_STARTS], dtype="datetime64[D]")
    names = np.array(["2005-2012 (Satisfactory)", *(n for _, n in FRAMEWORK_STARTS)], dtype=object)
    out = names[np.searchsorted(bounds, days, side="right")]
    out[np.isnat(days)] = "unknown"
    return pd.Series(out, index=starts.index, dtype=object)


# ----------------------------------------------------------------------------------------- grade predicates
#: Categories of concern as Ofsted codes them, and their names.
CATEGORY_NAMES = {"SM": "Special measures", "SWK": "Serious weaknesses", "NTI": "Notice to improve"}
GradeValues = pd.Series | np.ndarray | float | int | None


def _grades(values: GradeValues) -> pd.Series | np.ndarray | float:
    """Grades as plain floats (missing -> NaN), so comparisons give plain booleans (missing -> False)."""
    if isinstance(values, pd.Series):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    if isinstance(values, np.ndarray):
        return values.astype("float64")
    return float("nan") if values is None or pd.isna(values) else float(values)


def good_or_better(grade: GradeValues) -> Any:
    """Outstanding or Good (grade 1-2). Missing grades (uninspected, report cards) are False."""
    return _grades(grade) <= 2


def adverse(grade: GradeValues) -> Any:
    """Requires improvement (or Satisfactory) or Inadequate (grade 3-4). Missing grades are False."""
    return _grades(grade) >= 3


def stuck_below_good(grade: GradeValues, previous: GradeValues) -> Any:
    """Adverse now and at the previous graded inspection: 'not making progress' (DESIGN.md section 2)."""
    return adverse(grade) & adverse(previous)


def category_name(code: object) -> str | None:
    """'Special measures' for 'SM', etc.; None for no category (blank or missing)."""
    return CATEGORY_NAMES.get(code.strip(), code.strip()) if isinstance(code, str) and code.strip() else None


def headline_text(
    grade: object, grade_source: object = None, start: date | None = None, *, inherited: bool = False
) -> str:
    """A headline grade in words with its labels: '(derived)' for 2024/25, '(inherited)' for a predecessor's,
    'Report card' for the November 2025 framework (no 1-4 grade)."""
    if grade_source == REPORT_CARD:
        text = "Report card (no single grade)"
    elif grade is None or pd.isna(grade):  # type: ignore[call-overload]
        return "Not inspected"
    else:
        text = grade_label(grade, start)  # type: ignore[arg-type]
        if grade_source == DERIVED:
            text += " (derived)"
    return text + (" (inherited)" if inherited else "")


def grade_label(grade: float | int | None, start: date | None = None) -> str:
    """'Requires improvement' is called 'Satisfactory' before September 2012."""
    if grade is None or pd.isna(grade):
        return "Not inspected"
    if int(grade) == 3 and start is not None and start <= SATISFACTORY_UNTIL:
        return "Satisfactory"
    return GRADE_LABELS[int(grade)]


def derive_not_judged_grade(
    quality_of_education: int | None,
    behaviour_and_attitudes: int | None,
    personal_development: int | None,
    leadership_and_management: int | None,
    category_of_concern: str | None,
    safeguarding_effective: bool | None,
) -> int | None:
    """Headline grade for a 2024/25 inspection with no overall effectiveness (DESIGN.md section 2)."""
    judgements = [
        quality_of_education,
        behaviour_and_attitudes,
        personal_development,
        leadership_and_management,
    ]
    if any(j is not None and not pd.isna(j) and int(j) == 4 for j in judgements):
        return 4
    if category_of_concern or safeguarding_effective is False:
        return 4
    if all(j is None or pd.isna(j) for j in judgements):
        return None
    if quality_of_education == 3 or leadership_and_management == 3:
        return 3
    if all(j == 1 for j in judgements):
        return 1
    return 2


def _is_false(value: object) -> bool:
    """True only for a recorded 'no' (False, numpy False, 0); missing (None, NaN, pd.NA) is not 'no'."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return False
    return bool(value == 0)


def _present(value: object) -> bool:
    return value is not None and value is not pd.NA and not (isinstance(value, float) and np.isnan(value))


def report_card_adverse(row: pd.Series) -> bool | None:
    """Derived adverse flag for report cards, for continuity only (labelled wherever shown)."""
    grades = [row.get(a) for a in REPORT_CARD_AREAS if isinstance(row.get(a), str)]
    safeguarding = row.get("rc_safeguarding_met")
    if not grades and not _present(safeguarding):
        return None
    leadership = row.get("rc_leadership_and_governance")
    return bool(
        leadership in ("needs attention", "urgent improvement")
        or "urgent improvement" in grades
        or _is_false(safeguarding)
    )


def report_card_category(grades: dict[str, str | None], safeguarding_met: bool | None) -> str | None:
    """Category of concern implied by a report card's area grades (DESIGN.md section 2): 'SM' when
    leadership and governance and another area are 'urgent improvement' (or leadership and governance is,
    with safeguarding not met), 'RSI' for any other 'urgent improvement' or safeguarding not met.

    Only for report cards whose category Ofsted did not publish; show the result labelled as derived.
    """
    urgent = {area for area, grade in grades.items() if grade == "urgent improvement"}
    unsafe = _is_false(safeguarding_met)
    if "rc_leadership_and_governance" in urgent and (len(urgent) > 1 or unsafe):
        return "SM"
    if urgent or unsafe:
        return "RSI"
    return None


def headline_grades(inspections: pd.DataFrame) -> pd.DataFrame:
    """Headline grade for each graded inspection row: (grade, grade_source).

    Published overall effectiveness where there is one; the 2024/25 derivation where it is 'Not judged';
    no 1-4 grade for report cards (grade_source says so and `report_card_adverse` may stand in).
    Vectorised; `inspections` needs the overall, category, safeguarding and key-judgement columns.
    """
    df = inspections
    published = pd.to_numeric(df["overall_effectiveness"], errors="coerce").astype("float64")
    starts = pd.to_datetime(df["start_date"])
    is_report_card = starts >= pd.Timestamp(REPORT_CARDS_FROM)
    if "rc_leadership_and_governance" in df:
        is_report_card &= published.isna()
    needs_derivation = published.isna() & ~is_report_card & (starts >= pd.Timestamp(NO_OVERALL_FROM))
    # Plain float64 so nullable (Int64, pd.NA) and database (float NaN) inputs compare alike.
    kj = {k: pd.to_numeric(df[k], errors="coerce").astype("float64") for k in KEY_JUDGEMENTS}
    any_judged = pd.concat(kj.values(), axis=1).notna().any(axis=1)
    any4 = pd.concat([kj[k] == 4 for k in KEY_JUDGEMENTS], axis=1).any(axis=1)
    category = df["category_of_concern"].map(lambda v: isinstance(v, str) and v.strip() != "").astype(bool)
    unsafe = df["safeguarding_effective"].astype(object).map(_is_false).astype(bool)
    ri = (kj["quality_of_education"] == 3) | (kj["leadership_and_management"] == 3)
    all1 = pd.concat([kj[k] == 1 for k in KEY_JUDGEMENTS], axis=1).all(axis=1)
    derived = np.select([any4 | category | unsafe, ~any_judged, ri, all1], [4, np.nan, 3, 1], default=2)
    grade = published.where(~needs_derivation, pd.Series(derived, index=df.index))
    derives, report_card, missing = (
        needs_derivation.to_numpy(),
        is_report_card.to_numpy(),
        grade.isna().to_numpy(),
    )
    source = np.where(derives & ~missing, DERIVED, np.where(report_card, REPORT_CARD, PUBLISHED)).astype(
        object
    )
    source[missing & ~report_card] = None
    return pd.DataFrame({"grade": grade.astype("Float64"), "grade_source": source}, index=df.index)


#: Ungraded outcomes in both wordings, as signals: concerns raised (1), improving (-1), else maintained (0).
UNGRADED_CONCERN = ("(concerns)", "some aspects not as strong")
UNGRADED_IMPROVING = ("(improving)", "improved significantly")


def ungraded_signal(outcome: object) -> float:
    """An ungraded inspection's outcome as 1 (concerns: 'School remains Good (Concerns) - S5 Next', 'Some
    aspects not as strong'), -1 (improving: '(Improving)', 'Improved significantly'), 0 (standards
    maintained, 'School remains Good'), NaN when not stated."""
    if not isinstance(outcome, str) or not outcome.strip():
        return float("nan")
    text = outcome.lower()
    if any(word in text for word in UNGRADED_CONCERN):
        return 1.0
    if any(word in text for word in UNGRADED_IMPROVING):
        return -1.0
    return 0.0
