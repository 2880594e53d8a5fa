"""Early warning: ungraded inspections and report cards are features only once a release has recorded them.

Real data: the official August 2025 slice, then the 2026 management-information sample. Expected values are
read from the raw CSVs with the csv module (outcome wording and area grades classified here, not by the
product code).
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine
from store_checks import MI_OUTCOMES_SLICE

from analytics.ingest import ofsted_mi, ofsted_outcomes
from analytics.ingest.registry import OFSTED_MI_FILE
from analytics.risk.data import current, examples, load_inputs
from analytics.risk.features import asof_columns

OFFICIAL_AS_AT = date(2025, 8, 31)  # the slice's file name: "..._as_at_31_August_2025.csv"
AREAS = ["Inclusion", "Curriculum and teaching", "Achievement", "Attendance and behaviour",
         "Personal development and wellbeing", "Early years (where applicable)",
         "Post-16 provision (where applicable)", "Leadership and governance"]


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: ("" if v == "NULL" else v) for k, v in r.items()} for r in csv.DictReader(handle)]


def day(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


def sample_as_at() -> date:
    found = rows(OFSTED_MI_FILE)
    columns = [c for c in found[0] if "publication date" in c.lower()]
    return max(day(r[c]) for r in found for c in columns if r[c])


def signal(outcome: str) -> float:
    text = outcome.lower()
    if "concerns" in text or "not as strong" in text:
        return 1.0
    if "improving" in text or "improved significantly" in text:
        return -1.0
    return 0.0


@pytest.fixture
def merged(empty_store: Engine) -> Engine:
    ofsted_outcomes.import_file(empty_store, MI_OUTCOMES_SLICE)
    ofsted_mi.import_file(empty_store, OFSTED_MI_FILE)
    return empty_store


def row_of(frame: pd.DataFrame, urn: int) -> pd.Series:
    found = frame.loc[frame["urn"] == urn]
    assert len(found) == 1, urn
    return found.iloc[0]


def test_report_card_is_a_feature_from_the_release_that_recorded_it(merged: Engine) -> None:
    cards = [r for r in rows(OFSTED_MI_FILE) if r["Inspection number of latest full inspection"]]
    released = sample_as_at()
    inputs = load_inputs(merged)
    after = current(inputs, released + timedelta(days=1))
    on_the_day = current(inputs, released)
    checked = 0
    for raw in cards:
        urn = int(raw["URN"])
        if not (after["urn"] == urn).any():
            continue  # no earlier graded inspection on the 1-4 scale: not scored
        grades = [raw[a].lower() for a in AREAS if raw[a] and raw[a] != "Not applicable"]
        below = sum(g in ("needs attention", "urgent improvement") for g in grades)
        adverse = (
            raw["Leadership and governance"].lower() in ("needs attention", "urgent improvement")
            or "urgent improvement" in grades
            or raw["Safeguarding standards"] == "Not met"
        )
        found = row_of(after, urn)
        assert found["rc_adverse"] == float(adverse), urn
        assert found["rc_areas_below_expected"] == float(below), urn
        assert found["_asof_report_card"] == pd.Timestamp(released)
        assert pd.isna(row_of(on_the_day, urn)["rc_adverse"]), "not known strictly before"
        checked += 1
    assert checked >= 1


def test_ungraded_outcome_is_a_feature_after_the_release_date_only(merged: Engine) -> None:
    official = [
        r for r in rows(MI_OUTCOMES_SLICE)
        if r["Date of latest ungraded inspection"] and r["Inspection start date"]
        and r["Does the ungraded inspection relate to the URN of the current school?"] == "Yes"
        and day(r["Date of latest ungraded inspection"]) > day(r["Inspection start date"])
    ]
    assert official, "the slice has schools with an ungraded inspection since their graded one"
    inputs = load_inputs(merged)
    after = current(inputs, OFFICIAL_AS_AT + timedelta(days=1))
    on_the_day = current(inputs, OFFICIAL_AS_AT)
    checked = 0
    for raw in official:
        urn = int(raw["URN"])
        if not (after["urn"] == urn).any():
            continue  # closed since (a new URN in the monthly file): not scored
        checked += 1
        found = row_of(after, urn)
        assert found["ungraded_signal"] == signal(raw["Ungraded inspection overall outcome"]), urn
        start = day(raw["Date of latest ungraded inspection"])
        age = (OFFICIAL_AS_AT + timedelta(days=1) - start).days / 365.25
        assert found["years_since_ungraded"] == pytest.approx(age)
        assert pd.isna(row_of(on_the_day, urn)["ungraded_signal"])
    assert checked >= 5
    # Examples (past graded inspections) never see an ungraded inspection the store learnt of later.
    frame = examples(inputs)
    before = frame.loc[frame["start_date"] <= pd.Timestamp(OFFICIAL_AS_AT)]
    assert before["ungraded_signal"].isna().all() and before["rc_adverse"].isna().all()
    for column in asof_columns(frame):
        known = frame[column].notna()
        assert (frame.loc[known, column] < frame.loc[known, "start_date"]).all(), column
