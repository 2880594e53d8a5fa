"""Termly movement tables (DESIGN.md section 2): schools inspected in a period, previous grade -> new grade.

Pure pandas over `trends.lineage_inspections` (every stored graded inspection, history and official files,
tagged with today's URN), so past periods work as well as the latest release. One row per school: its last
graded inspection in the period against the graded inspection before it (under a predecessor URN =
inherited).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics.grades import GRADE_LABELS, adverse, grade_label
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
