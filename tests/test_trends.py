"""Grades "as at" past dates: a constructed inspection set worked by hand, and the real national store."""

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine

from analytics import queries, trends
from analytics.metrics import county_kpis
from analytics.schools import sector_of


def _schools() -> pd.DataFrame:
    """Three open schools: A (old, own inspections), B (academy from 2014, predecessor P), C (opened 2021)."""
    return pd.DataFrame(
        {
            "urn": [1, 2, 3],
            "la_name": ["X", "X", "X"],
            "phase": ["Primary", "Secondary", "Primary"],
            "type_group": ["Maintained school", "Academy converter", "Free school"],
            "school_type": ["Community School", "Academy Converter", "Free School"],
            "pupils": [100, 200, 50],
            "open_date": [None, date(2014, 9, 1), date(2021, 9, 1)],
            "latest_graded_number": ["A3", "B1", None],
            "previous_graded_number": ["A2", None, None],
            "latest_ungraded_number": [None, None, None],
        }
    )


def _inspections() -> pd.DataFrame:
    rows = [  # number, urn at the time, start, grade, category
        (None, 1, date(2008, 5, 1), 3, None),
        ("A2", 1, date(2022, 1, 10), 4, "SM"),
        ("A3", 1, date(2024, 3, 1), 2, None),
        (None, 9, date(2010, 6, 1), 2, None),  # P, the predecessor of B (history file, no number)
        (None, 9, date(2013, 6, 1), 3, None),
        ("B1", 2, date(2019, 2, 1), 1, None),
    ]
    frame = pd.DataFrame(
        rows, columns=["inspection_number", "urn", "start_date", "grade", "category_of_concern"]
    )
    frame["grade_source"] = "published"
    return frame


LINKS = pd.DataFrame({"urn": [9], "current_urn": [2]})
DATES = [pd.Timestamp(d) for d in ("2009-08-31", "2014-08-31", "2020-08-31", "2023-08-31", "2025-08-31")]


def test_grade_held_at_each_date_follows_predecessors_and_opening() -> None:
    panel = trends.grade_panel(_schools(), _inspections(), DATES, LINKS)
    held = panel.pivot(index="as_at", columns="urn", values="grade")
    # A: RI from 2008; inadequate (SM) from Jan 2022; good from Mar 2024
    assert list(held[1]) == [3, 3, 3, 4, 2]
    # B: in 2009 not open and P not yet inspected -> not counted; P's 3 in 2014; its own 1 later
    assert pd.isna(held.loc[DATES[0], 2]) and held.loc[DATES[1], 2] == 3 and held.loc[DATES[2], 2] == 1
    assert (panel.query("urn == 2 and as_at == @DATES[0]")).empty
    assert bool(panel.query("urn == 2 and as_at == @DATES[1]")["inherited"].iloc[0])
    # C: not open before Sept 2021, then open and uninspected
    assert set(panel.query("urn == 3")["as_at"]) == {DATES[3], DATES[4]}
    assert panel.query("urn == 3")["grade"].isna().all()


def test_known_exactly_only_outside_the_2020_gap() -> None:
    panel = trends.grade_panel(_schools(), _inspections(), DATES, LINKS).set_index(["as_at", "urn"])
    exact = panel["known_exactly"]
    # A's official previous graded inspection started 10 Jan 2022: unknown in Aug 2020, known after
    assert exact[(DATES[1], 1)] and not exact[(DATES[2], 1)] and exact[(DATES[3], 1)]
    # B's only official graded inspection was in 2019: known throughout; C has none: known
    assert exact[(DATES[2], 2)] and exact[(DATES[3], 3)]


def test_counts_and_kpis_by_sector() -> None:
    schools = _schools().assign(sector=lambda f: sector_of(f))
    panel = trends.grade_panel(schools, _inspections(), DATES, LINKS)
    series = trends.kpi_series(trends.panel_counts(panel, schools, ["sector"])).set_index("as_at")
    at_2023 = series.loc[DATES[3]]
    assert at_2023["schools"] == 3 and at_2023["schools_with_grade"] == 2
    assert at_2023["schools_good_or_outstanding"] == 1 and at_2023["pct_schools_good_or_outstanding"] == 50.0
    assert at_2023["schools_special_measures"] == 1 and at_2023["schools_inadequate"] == 1
    assert at_2023["schools_stuck_below_good"] == 1  # A: 4 now, 3 before
    assert at_2023["pupils_good_or_outstanding"] == 200 and at_2023["pct_pupils_good_or_outstanding"] == 66.7
    assert at_2023["schools_uninspected"] == 1 and at_2023["pct_known_exactly"] == 100.0
    assert series.loc[DATES[2], "pct_known_exactly"] == 50.0  # C not open yet; A unknown, B known
    by = trends.kpi_series(trends.panel_counts(panel, schools, ["sector"]), ["sector"])
    assert set(by["sector"]) == {"Maintained", "Academy"}


def test_reconstruction_at_the_file_date_equals_the_headline_grades(national_store: Engine) -> None:
    heads = queries.school_headlines(national_store, queries.Scope.england())
    insp = queries.inspections(national_store)
    as_at = pd.Timestamp(heads["as_at"].dropna().max())
    panel = trends.grade_panel(heads, insp, [as_at])
    mine = panel.set_index("urn")["grade"].reindex(heads["urn"]).astype(float).to_numpy()
    theirs = heads["grade"].astype(float).to_numpy()
    same = (mine == theirs) | (pd.isna(mine) & pd.isna(theirs))
    assert same.all(), f"{(~same).sum()} schools differ"
    herts = heads["la_name"] == "Hertfordshire"
    counts = trends.kpi_series(trends.panel_counts(panel, heads.assign(sector="x"), ["la_name"]), ["la_name"])
    row = counts.set_index("la_name").loc["Hertfordshire"]
    kpis = county_kpis(heads[herts])
    for key in (
        "schools_with_grade",
        "pct_schools_good_or_outstanding",
        "schools_requires_improvement",
        "schools_inadequate",
        "schools_special_measures",
        "schools_serious_weaknesses",
        "schools_stuck_below_good",
    ):
        assert row[key] == pytest.approx(kpis[key]), key
