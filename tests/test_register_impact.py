"""Impact of interventions: outcomes before and after a closed intervention, read from real inspection history
(expected grades from the raw history slice with the csv module), and the descriptive comparison."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from store_checks import HISTORY_SLICE, OFSTED_SLICE

from analytics.ingest import ofsted_history, ofsted_outcomes
from analytics.queries import Scope
from analytics.register import impact, interventions

BY = "director@la.gov.uk"
RATING = {"Outstanding": 1, "Good": 2, "Requires Improvement": 3, "Satisfactory": 3, "Inadequate": 4}


def improved_school() -> tuple[int, date, date, str, str]:
    """A school of the slice whose history shows a grade, then a better one later: (urn, first, second...)."""
    open_urns = set()
    with open(OFSTED_SLICE, encoding="utf-8-sig", newline="") as handle:
        open_urns = {int(r["URN"]) for r in csv.DictReader(handle)}
    history: dict[int, list[tuple[date, str]]] = defaultdict(list)
    with open(HISTORY_SLICE, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            history[int(row["URN"])].append(
                (datetime.strptime(row["Inspection Date"], "%Y%m%d").date(), row["Rating"])
            )
    for urn in sorted(history):
        rows = sorted(history[urn])
        for (first, a), (second, b) in zip(rows, rows[1:], strict=False):
            if (
                urn in open_urns
                and a in RATING
                and b in RATING
                and RATING[b] < RATING[a]
                and second.year < 2020
            ):
                return urn, first, second, a, b
    raise AssertionError("no improving school in the slice")


@pytest.fixture
def store(empty_store: Engine) -> Engine:
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    ofsted_history.import_file(empty_store, HISTORY_SLICE)
    return empty_store


def test_before_and_after_a_closed_intervention(store: Engine) -> None:
    urn, first, second, before, after = improved_school()
    start, end = first + timedelta(days=30), second - timedelta(days=30)
    new_id = interventions.add_intervention(
        store, urn, type="Raising achievement plan", start=start, planned_days=10, by=BY
    )
    la = Scope(urns=(urn,))
    assert impact.intervention_impact(store, la).empty, "open interventions have no impact row yet"
    interventions.update_intervention(
        store,
        new_id,
        expected_version=1,
        by=BY,
        reason="closed",
        used_days=9,
        status="completed",
        end_date=end,
        outcome="plan delivered",
    )
    row = impact.intervention_impact(store, la).iloc[0]
    expected_before = "Satisfactory" if before == "Satisfactory" else before.capitalize()
    assert row["grade_before"].lower() == expected_before.lower()
    assert row["inspected_before"] == first
    assert row["grade_after"].lower() == after.lower()
    assert row["inspected_after"] == second
    assert row["movement"] == "improved"

    comparison = impact.supported_vs_similar(store, la)
    assert (comparison.supported, comparison.supported_improved) == (1, 1)
    assert comparison.descriptive_only and "descriptive only" in comparison.text
    low, high = comparison.supported_interval or (0.0, 0.0)
    assert 0.2 < low < 0.21 and high == 1.0  # Wilson 95% interval for 1 of 1: 0.207 to 1


def test_wilson_interval() -> None:
    low, high = impact.wilson(8, 20) or (0.0, 0.0)
    assert round(low, 3) == 0.219 and round(high, 3) == 0.613  # published Wilson interval for 8/20
    assert impact.wilson(0, 0) is None
