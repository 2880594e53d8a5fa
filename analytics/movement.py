"""Termly movement tables (DESIGN.md section 2): schools inspected in a period, previous grade -> new grade.

Pure pandas over `trends.lineage_inspections` (every stored graded inspection, history and official files,
tagged with today's URN), so past periods work as well as the latest release. One row per school: its last
graded inspection in the period against the graded inspection before it (under a predecessor URN =
inherited).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics.grades import (
    GRADE_LABELS,
    REPORT_CARD,
    adverse,
    category_name,
    grade_label,
    report_card_adverse,
)
from analytics.headline import report_card_text
from analytics.metrics import movement
from analytics.trends import GAP_START

NO_PREVIOUS = "No previous graded inspection"
MATRIX_ORDER = [*GRADE_LABELS.values(), NO_PREVIOUS]


def period_movement(
    lineage: pd.DataFrame, schools: pd.DataFrame, start: date, end: date, exact: pd.Series | None = None
) -> pd.DataFrame:
    """One row per school in `schools` with a graded inspection starting in [start, end].

    `lineage`: `trends.lineage_inspections` output; `exact`: `trends.exact_from` (urn -> date), used to say
    whether the previous grade is certainly the one immediately before (see the 2020-2021 gap in DESIGN.md).
    """
    window = lineage[(lineage["start"] >= pd.Timestamp(start)) & (lineage["start"] <= pd.Timestamp(end))]
    window = window[window["current_urn"].isin(schools["urn"])]
    last = window.sort_values(["current_urn", "start"]).drop_duplicates("current_urn", keep="last")
    info = schools[
        ["urn", "name", *[c for c in ("la_name", "phase", "sector", "constituency") if c in schools]]
    ]
    out = last.rename(columns={"urn": "inspection_urn"}).merge(info, left_on="current_urn", right_on="urn")
    out["movement"] = movement(out["grade"], out["previous_grade"]).fillna("first graded inspection")
    out["previous_inherited"] = out["previous_urn"].notna() & (out["previous_urn"] != out["urn"])
    out["inspected_as_predecessor"] = out["inspection_urn"] != out["urn"]
    if exact is not None:
        since = pd.to_datetime(out["urn"].map(exact)).astype("datetime64[ns]")
        out["previous_known_exactly"] = (out["start"] < GAP_START) | (out["previous_start"] >= since)
    else:
        out["previous_known_exactly"] = out["start"] < GAP_START
    out["reprioritise"] = (out["movement"] == "declined") | (
        (out["movement"] == "static") & adverse(out["grade"])
    )
    out["new_grade"] = [grade_label(g, s.date()) for g, s in zip(out["grade"], out["start"], strict=True)]
    out["previous"] = [
        grade_label(g, s.date()) if pd.notna(g) else NO_PREVIOUS
        for g, s in zip(out["previous_grade"], out["previous_start"], strict=True)
    ]
    columns = [
        "urn",
        "name",
        *info.columns[2:],
        "start",
        "new_grade",
        "grade",
        "grade_source",
        "previous",
        "previous_grade",
        "previous_start",
        "movement",
        "reprioritise",
        "previous_inherited",
        "inspected_as_predecessor",
        "previous_known_exactly",
        "inspection_urn",
        "previous_urn",
    ]
    return out[columns].sort_values(["reprioritise", "movement", "name"], ascending=[False, True, True])


def transition_matrix(moves: pd.DataFrame) -> pd.DataFrame:
    """Counts of schools by previous grade (rows) and new grade (columns); 'Satisfactory' counted as RI."""
    prev = moves["previous_grade"].map(GRADE_LABELS).fillna(NO_PREVIOUS)
    new = moves["grade"].map(GRADE_LABELS)
    table = pd.crosstab(
        pd.Categorical(prev, MATRIX_ORDER), pd.Categorical(new, list(GRADE_LABELS.values())), dropna=False
    )
    table.index.name = "Previous grade"
    table.columns.name = "New grade"
    return table


def movement_summary(moves: pd.DataFrame) -> dict[str, int]:
    counts = moves["movement"].value_counts()
    return {
        "inspected": int(len(moves)),
        "improved": int(counts.get("improved", 0)),
        "static": int(counts.get("static", 0)),
        "declined": int(counts.get("declined", 0)),
        "first graded inspection": int(counts.get("first graded inspection", 0)),
        "reprioritise": int(moves["reprioritise"].sum()),
        "previous inherited": int(moves["previous_inherited"].sum()),
    }


#: The derived comparison of a report card with the previous 1-4 grade (DESIGN.md section 2), labelled.
DERIVED_IMPROVED = "no longer adverse (derived)"
DERIVED_DECLINED = "became adverse (derived)"
DERIVED_STILL_ADVERSE = "still adverse (derived)"
DERIVED_NOT_ADVERSE = "not adverse before or now (derived)"
NO_PREVIOUS_GRADE = "no previous graded inspection"


def derived_comparison(now_adverse: bool | None, previous_grade: object) -> str:
    """A report card against the previous 1-4 grade, through the derived adverse flag only (there is no
    single grade to compare): adverse = Requires improvement or Inadequate before, the flag now."""
    if previous_grade is None or pd.isna(previous_grade):  # type: ignore[call-overload]
        return NO_PREVIOUS_GRADE
    if now_adverse is None:
        return "not known"
    before = bool(adverse(float(previous_grade)))  # type: ignore[arg-type]
    if before:
        return DERIVED_STILL_ADVERSE if now_adverse else DERIVED_IMPROVED
    return DERIVED_DECLINED if now_adverse else DERIVED_NOT_ADVERSE


def _is_true(value: object) -> bool:
    return value is not None and not pd.isna(value) and bool(value)  # type: ignore[call-overload]


def report_cards_in_period(schools: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Open schools whose headline inspection is a report card starting in [start, end] ("new framework"):
    area grades, safeguarding, category (derived where Ofsted published none), the previous 1-4 grade and the
    derived comparison with it. `schools`: headline rows (`queries.school_headlines`)."""
    starts = pd.to_datetime(schools["inspection_start"])
    cards = schools.loc[
        (schools["grade_source"] == REPORT_CARD)
        & (starts >= pd.Timestamp(start))
        & (starts <= pd.Timestamp(end))
    ]
    flags = [report_card_adverse(row) for _, row in cards.iterrows()]
    previous_start = pd.to_datetime(cards["previous_start"])
    out = pd.DataFrame(
        {
            "urn": cards["urn"].astype("int64").to_numpy(),
            "name": cards["name"].astype(object).to_numpy(),
            "phase": cards["phase"].astype(object).to_numpy(),
            "inspection_date": pd.to_datetime(cards["inspection_start"]).dt.date.to_numpy(),
            "areas": [report_card_text(row) for _, row in cards.iterrows()],
            "safeguarding": [
                "not stated" if v is None or pd.isna(v) else ("met" if bool(v) else "not met")
                for v in cards["rc_safeguarding_met"]
            ],
            "category": [
                (category_name(c) or "") + (" (derived)" if c and _is_true(d) else "")
                for c, d in zip(cards["category_of_concern"], cards["category_derived"], strict=True)
            ],
            "previous": [
                grade_label(g, s.date()) if pd.notna(g) else NO_PREVIOUS
                for g, s in zip(cards["previous_grade"], previous_start, strict=True)
            ],
            "previous_date": previous_start.dt.date.to_numpy(),
            "adverse_derived": ["not known" if f is None else ("yes" if f else "no") for f in flags],
            "comparison_derived": [
                derived_comparison(f, g) for f, g in zip(flags, cards["previous_grade"], strict=True)
            ],
        }
    )
    return out.sort_values(["inspection_date", "name"], ascending=[False, True]).reset_index(drop=True)
