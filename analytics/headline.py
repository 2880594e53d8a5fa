"""A school's current headline grade and where it comes from: the one home for it (DESIGN.md section 2).

The headline of an open school is the outcome of the inspection Ofsted's own pointer names as its latest
graded inspection ("Inspection number of latest graded inspection"): Ofsted already carries a predecessor's
grade until the school is inspected in its current form, so such grades are `inherited`. The grade is
published (1-4), derived from the key judgements (2024/25, labelled), or absent for a report card (its own
scale). A closed school (no pointer) is described by its own latest graded inspection.

Source of a headline, as shown next to it: own, inherited, derived (2024/25 rule), report card.
"""

from __future__ import annotations

import pandas as pd

from analytics.grades import (
    DERIVED,
    REPORT_CARD,
    REPORT_CARD_AREAS,
    REPORT_CARD_TITLES,
    headline_grades,
    headline_text,
)

#: Inspection columns the headline needs (the headline rule's inputs plus dates and place).
INSPECTION_COLUMNS = (
    "inspection_number",
    "urn",
    "start_date",
    "publication_date",
    "is_graded",
    "framework",
    "overall_effectiveness",
    "category_of_concern",
    "quality_of_education",
    "behaviour_and_attitudes",
    "personal_development",
    "leadership_and_management",
    "safeguarding_effective",
    *REPORT_CARD_AREAS,
    "rc_safeguarding_met",
    "category_derived",
)
#: Columns added to each school row by `headlines`.
HEADLINE_COLUMNS = (
    "grade",
    "grade_source",
    "inspection_start",
    "inspection_published",
    "inspection_urn",
    "category_of_concern",
    "framework",
    "inherited",
    "previous_grade",
    "previous_start",
    "previous_category",
    *REPORT_CARD_AREAS,
    "rc_safeguarding_met",
    "category_derived",
)
OWN, INHERITED = "own", "inherited"


def headlines(schools: pd.DataFrame, latest: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """School rows plus their headline (`HEADLINE_COLUMNS`).

    `latest` and `previous` hold, row for row with `schools`, the inspections that the school's latest and
    previous graded pointers name (all columns missing where there is none), with `INSPECTION_COLUMNS`.
    """
    now = _graded(latest)
    before = _graded(previous)
    out = schools.copy()
    out["grade"] = now["grade"].to_numpy()
    out["grade_source"] = now["grade_source"].to_numpy()
    out["inspection_start"] = latest["start_date"].to_numpy()
    out["inspection_published"] = latest["publication_date"].to_numpy()
    out["inspection_urn"] = pd.to_numeric(latest["urn"], errors="coerce").astype("Int64").to_numpy()
    out["category_of_concern"] = latest["category_of_concern"].to_numpy()
    out["framework"] = latest["framework"].to_numpy()
    urn = pd.to_numeric(out["urn"]).astype("Int64")
    out["inherited"] = (out["inspection_urn"].notna() & (out["inspection_urn"] != urn)).astype(bool)
    out["previous_grade"] = before["grade"].to_numpy()
    out["previous_start"] = previous["start_date"].to_numpy()
    out["previous_category"] = previous["category_of_concern"].to_numpy()
    # Report cards (grade_source 'report card'): their own scale, for metrics.report_card_kpis.
    for column in (*REPORT_CARD_AREAS, "rc_safeguarding_met", "category_derived"):
        out[column] = latest[column].to_numpy()
    return out


def _graded(rows: pd.DataFrame) -> pd.DataFrame:
    """Headline grade of each (graded) inspection row; missing rows give a missing grade."""
    present = rows["start_date"].notna()
    heads = headline_grades(rows.loc[present]) if present.any() else None
    out = pd.DataFrame(
        {
            "grade": pd.Series(pd.NA, index=rows.index, dtype="Float64"),
            "grade_source": pd.Series(None, index=rows.index, dtype=object),
        }
    )
    if heads is not None:
        out.loc[present, "grade"] = heads["grade"]
        out.loc[present, "grade_source"] = heads["grade_source"]
    return out


def source_label(grade_source: object, inherited: bool) -> str:
    """How the headline was obtained, in words: own / inherited, derived, report card."""
    if grade_source is None or (not isinstance(grade_source, str) and pd.isna(grade_source)):  # type: ignore[call-overload]
        return "none"
    parts = [INHERITED if inherited else OWN]
    if grade_source == DERIVED:
        parts.append("derived from key judgements")
    elif grade_source == REPORT_CARD:
        parts.append("report card")
    return ", ".join(parts)


def headline_of(row: pd.Series) -> str:
    """The headline of one school row (from `headlines`) in words with its labels."""
    start = row.get("inspection_start")
    day = None if start is None or pd.isna(start) else pd.Timestamp(start).date()
    return headline_text(row.get("grade"), row.get("grade_source"), day, inherited=bool(row.get("inherited")))


def headline_texts(frame: pd.DataFrame) -> list[str]:
    return [headline_of(row) for _, row in frame.iterrows()]


def report_card_text(row: pd.Series) -> str:
    """A report card's graded areas in words ('Inclusion: expected standard; ...'), '' for other rows.

    'Not applicable' areas are left out; each area keeps its own five-level grade (never mapped onto 1-4).
    """
    if row.get("grade_source") != REPORT_CARD:
        return ""
    return "; ".join(
        f"{title}: {row[area]}"
        for area, title in REPORT_CARD_TITLES.items()
        if isinstance(row.get(area), str) and row[area] != "not applicable"
    )
