"""analytics.school_profile on the real national store (SQLite and PostgreSQL), checked against the raw files.

Expected values come from the raw Ofsted CSV and DfE census/finance files read here with the csv module.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from analytics import queries
from analytics import school_profile as sp
from analytics.due_dates import InspectionDue, last_inspections, school_due
from analytics.ingest import dfe_census, dfe_finance, ofsted_outcomes
from analytics.ingest.registry import OFSTED_FILE
from analytics.schools import roll_change, roll_changes
from analytics.store.models import School  # noqa: F401  (tables registered)

DATA = Path(__file__).resolve().parents[1] / "data"
CENSUS = DATA / "dfe-performance-tables-2019-england-ksp" / "england_census.csv"
FINANCE_2018 = DATA / "dfe-performance-tables-2016-2018-waiky8" / "financials_2018.csv"
LABELS = {"1": "Outstanding", "2": "Good", "3": "Requires improvement", "4": "Inadequate"}
RELATES = "Does the latest graded inspection relate to the URN of the current school?"


@cache
def ofsted_rows() -> tuple[dict[str, str], ...]:
    with open(OFSTED_FILE, encoding="utf-8-sig", newline="") as handle:
        return tuple(csv.DictReader(handle))


def first_row(condition) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return next(r for r in ofsted_rows() if condition(r))


def day(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


def profile_inputs(engine: Engine, urn: int) -> tuple[pd.Series, pd.DataFrame]:
    """The school's headline row and every inspection of its record (own URN and the URNs its pointers
    name)."""
    school = queries.school_headlines(engine, queries.Scope(urns=(urn,))).iloc[0]
    numbers = [str(n) for n in school[["latest_graded_number", "previous_graded_number"]].dropna()]
    pointed = queries.inspections_by_number(engine, numbers)
    urns = sorted({urn, *(int(u) for u in pointed["urn"])})
    return school, queries.inspections(engine, urns)


def due_of(school: pd.Series, inspections: pd.DataFrame) -> InspectionDue:
    """The due date through the one adapter the pages and the command line use."""
    urns = inspections["urn"].astype("int64").unique()
    members = pd.DataFrame({"school_urn": int(school["urn"]), "urn": urns})
    last = last_inspections(school.to_frame().T, members, inspections)
    return school_due(school, last.iloc[0])


def la_sums(context: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Reference implementation in pandas of `queries.context_sums_by_la` (which aggregates in the database):
    per LA, phase, year and measure, sums of value x weight and of weights, and the number of schools."""
    ctx = sp.with_in_year_balance(context.loc[context["value"].notna(), ["urn", "year", "measure", "value"]])
    ctx = ctx.astype({"urn": "int64", "year": "int64"})
    weights = ctx.loc[ctx["measure"].isin({w for w in sp.WEIGHTS.values() if w})]
    weights = weights.rename(columns={"measure": "weight_measure", "value": "weight"})
    ctx = ctx.loc[ctx["measure"].isin(sp.WEIGHTS)].copy()
    ctx["weight_measure"] = ctx["measure"].map(sp.WEIGHTS)
    ctx = ctx.merge(weights, on=["urn", "year", "weight_measure"], how="left")
    ctx["weight"] = ctx["weight"].where(ctx["weight_measure"].notna(), 1.0)
    ctx = ctx.loc[ctx["weight"].notna() & (ctx["weight"] > 0)]
    ctx["weighted"] = ctx["value"] * ctx["weight"]
    ctx = ctx.join(groups[["la", "phase"]], on="urn", how="inner")
    grouped = ctx.groupby(["la", "phase", "year", "measure"], sort=True)
    out = grouped.agg(weighted=("weighted", "sum"), weight=("weight", "sum"), schools=("urn", "nunique"))
    return out.reset_index()


def test_timeline_latest_and_previous_match_the_file(national_store: Engine) -> None:
    row = first_row(
        lambda r: (
            r[RELATES] == "Yes"
            and r["Overall effectiveness"] == "3"
            and r["Previous graded inspection overall effectiveness"] in LABELS
            and r["Does the previous graded inspection relate to the URN of the current school?"] == "Yes"
        )
    )
    urn = int(row["URN"])
    school, inspections = profile_inputs(national_store, urn)
    timeline = sp.timeline(inspections, urn)
    graded = timeline.loc[timeline["Kind"] == "Graded"]
    assert graded.iloc[0]["Start date"] == day(row["Inspection start date"])
    assert graded.iloc[0]["Headline grade"] == "Requires improvement"
    assert graded.iloc[0]["Grade source"] == "published"
    previous = graded.loc[graded["Start date"] == day(row["Previous inspection start date"])]
    assert len(previous) == 1
    expected = LABELS[row["Previous graded inspection overall effectiveness"]]
    if expected == "Requires improvement" and day(row["Previous inspection start date"]) < date(2012, 9, 1):
        expected = "Satisfactory"
    assert previous.iloc[0]["Headline grade"] == expected
    assert (timeline["Inherited"] == "").all()
    # RI: re-inspection within 30 months of publication, worked out by hand from the file's publication date.
    published = day(row["Publication date"])
    month = published.month - 1 + 30
    year, month = published.year + month // 12, month % 12 + 1
    last_day = [31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    due = due_of(school, inspections)
    assert due.due == date(year, month, min(published.day, last_day))
    assert due.as_of == date(2025, 8, 31)
    assert due.days_since_graded == (date(2025, 8, 31) - day(row["Inspection start date"])).days


def test_inherited_grade_is_marked(national_store: Engine) -> None:
    row = first_row(
        lambda r: (
            r[RELATES] == "No"
            and r["Overall effectiveness"] in LABELS
            and r["URN at time of latest graded inspection"] not in ("", r["URN"])
        )
    )
    urn = int(row["URN"])
    _school, inspections = profile_inputs(national_store, urn)
    timeline = sp.timeline(inspections, urn)
    latest = timeline.loc[timeline["Start date"] == day(row["Inspection start date"])].iloc[0]
    assert latest["Inherited"] == "Inherited from predecessor"
    assert latest["URN at the time"] == int(row["URN at time of latest graded inspection"])
    assert latest["School name at the time"] == row["School name at time of latest graded inspection"]


def test_not_judged_gets_a_labelled_derived_grade(national_store: Engine) -> None:
    row = first_row(
        lambda r: (
            r["Overall effectiveness"] == "Not judged"
            and r[RELATES] == "Yes"
            and {
                r["Quality of education"],
                r["Behaviour and attitudes"],
                r["Personal development"],
                r["Effectiveness of leadership and management"],
            }
            == {"1"}
        )
    )
    urn = int(row["URN"])
    _school, inspections = profile_inputs(national_store, urn)
    latest = sp.timeline(inspections, urn).iloc[0]
    assert latest["Headline grade"] == "Outstanding (derived)"
    assert latest["Grade source"] == "derived from key judgements"
    assert latest["Quality of education"] == "1 Outstanding"


def test_school_without_inspection(national_store: Engine) -> None:
    row = first_row(lambda r: r["Overall effectiveness"] == "" and r["Inspection start date"] == "")
    urn = int(row["URN"])
    school, inspections = profile_inputs(national_store, urn)
    assert sp.timeline(inspections, urn).empty
    due = due_of(school, inspections)
    assert due.days_since_graded is None
    if row["School open date"]:
        opened = day(row["School open date"])
        end = opened.year + (1 if opened.month > 8 else 0)
        assert due.due == date(end + 2, 8, 31)


def test_search_by_name_urn_and_postcode(national_store: Engine) -> None:
    index = sp.search_index(queries.schools(national_store, queries.Scope.england(), open_only=False))
    row = first_row(lambda r: r["Postcode"] != "")
    assert sp.search(index, row["URN"]).iloc[0]["urn"] == int(row["URN"])
    assert int(row["URN"]) in set(sp.search(index, row["Postcode"].lower())["urn"])
    assert int(row["URN"]) in set(sp.search(index, row["Postcode"].replace(" ", ""))["urn"])
    assert int(row["URN"]) in set(sp.search(index, row["School name"].upper(), limit=500)["urn"])
    assert sp.search(index, "zzzz-no-such-school").empty
    assert sp.search(index, "   ").empty


def test_la_and_england_averages_against_the_raw_files(empty_store: Engine) -> None:
    """Pupil-weighted FSM and mean in-year balance per LA, all phases and one phase: SQL and pandas agree with
    each other and with a hand computation from the raw files."""
    ofsted_outcomes.import_file(empty_store, OFSTED_FILE)
    dfe_census.import_file(empty_store, CENSUS, year=2019)
    dfe_finance.import_file(empty_store, FINANCE_2018)
    schools = queries.schools(empty_store, queries.Scope.england(), open_only=False)
    groups = sp.comparison_groups(schools, queries.school_links(empty_store))
    in_sql = queries.context_sums_by_la(empty_store, groups, sp.WEIGHTS, sp.DIFFERENCES)
    in_pandas = la_sums(queries.context_values(empty_store, measures=sp.BENCHMARK_INPUTS), groups)
    merged = in_sql.merge(in_pandas, on=["la", "phase", "year", "measure"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert np.allclose(merged["weighted_x"], merged["weighted_y"])
    assert (merged["schools_x"] == merged["schools_y"]).all()

    where = {r["URN"]: (r["Local authority"], r["Ofsted phase"]) for r in ofsted_rows()}
    fsm: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    in_census: set[int] = set()
    with open(CENSUS, encoding="utf-8-sig", newline="") as handle:
        for r in csv.DictReader(handle):
            try:
                pupils, pct = float(r["NOR"]), float(r["PNUMFSMEVER"])
            except ValueError:
                continue
            if r["URN"] in where and pupils > 0:
                for key in (where[r["URN"]], (where[r["URN"]][0], "all")):
                    fsm[key][0] += pct * pupils
                    fsm[key][1] += pupils
                in_census.add(int(r["URN"]))
    balance: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    with open(FINANCE_2018, encoding="utf-8-sig", newline="") as handle:
        for r in csv.DictReader(handle):
            try:
                diff = float(r["Income"]) - float(r["Expenditure"])
            except ValueError:
                continue
            if r["URN"] in where:
                balance[where[r["URN"]][0]][0] += diff
                balance[where[r["URN"]][0]][1] += 1
    every = sp.benchmarks(in_sql).set_index(["area", "year", "measure"])["value"]
    primary = sp.benchmarks(in_sql, "Primary").set_index(["area", "year", "measure"])["value"]
    for la in ("Hertfordshire", "Camden", "Cornwall"):
        assert every[(la, 2019, "pct_fsm_ever")] == pytest.approx(fsm[(la, "all")][0] / fsm[(la, "all")][1])
        assert primary[(la, 2019, "pct_fsm_ever")] == pytest.approx(
            fsm[(la, "Primary")][0] / fsm[(la, "Primary")][1]
        )
        assert every[(la, 2018, "in_year_balance")] == pytest.approx(balance[la][0] / balance[la][1])
    primaries = [v for (_la, phase), v in fsm.items() if phase == "Primary"]
    assert primary[("England", 2019, "pct_fsm_ever")] == pytest.approx(
        sum(v[0] for v in primaries) / sum(v[1] for v in primaries)
    )

    # The school's own trend rows carry its LA's figure for its phase, and the weighting is named.
    row = first_row(lambda r: r["Local authority"] == "Camden" and int(r["URN"]) in in_census)
    urn = int(row["URN"])
    own = sp.school_context(queries.context_values(empty_store, [urn], sp.BENCHMARK_INPUTS), urn, [])
    trend = sp.trends(own, sp.benchmarks(in_sql, row["Ofsted phase"]), "Camden")
    fsm_row = trend.loc[trend["measure"] == "pct_fsm_ever"].iloc[0]
    key = ("Camden", row["Ofsted phase"])
    assert fsm_row["la"] == pytest.approx(fsm[key][0] / fsm[key][1])
    with open(CENSUS, encoding="utf-8-sig", newline="") as handle:
        own_fsm = next(float(r["PNUMFSMEVER"]) for r in csv.DictReader(handle) if r["URN"] == row["URN"])
    assert fsm_row["school"] == pytest.approx(own_fsm)
    assert fsm_row["weighting"] == "pupil-weighted mean"


def test_falling_roll_rule() -> None:
    """Down more than 10% against the roll three years before the latest (or the latest figure before
    that)."""
    years = pd.Series([400.0, 390.0, 370.0, 359.0], index=[2016, 2017, 2018, 2019])
    assert roll_change(years).falling  # 359 / 400 = -10.25%
    assert not roll_change(years.replace(359.0, 360.0)).falling  # exactly -10% is not more than 10%
    sparse = roll_change(pd.Series([300.0, 200.0], index=[2019, 2024]))
    assert sparse.falling and sparse.from_year == 2019 and "over 5 years" in sparse.text
    assert not roll_change(pd.Series([300.0, 100.0], index=[2022, 2024])).falling  # two years: not measurable
    assert not roll_change(pd.Series(dtype=float)).falling


def test_roll_changes_for_many_schools_at_once() -> None:
    """The vectorised rule gives each school the change, years and sentence of `roll_change` (hand values)."""
    pupils = pd.DataFrame(
        [
            *[(1, y, v) for y, v in [(2016, 400.0), (2017, 390.0), (2018, 370.0), (2019, 359.0)]],
            *[(2, y, v) for y, v in [(2016, 400.0), (2017, 390.0), (2018, 370.0), (2019, 360.0)]],
            (3, 2019, 300.0),  # 2019 is the latest at least three years before 2024
            (3, 2024, 200.0),
            (3, 2020, None),  # missing, and a zero, are not figures
            (3, 2021, 0.0),
            (4, 2022, 300.0),  # two years apart: not measurable, left out
            (4, 2024, 100.0),
            (5, 2018, 1000.0),  # up 25%
            (5, 2021, 1250.0),
        ],
        columns=["urn", "year", "value"],
    )
    found = roll_changes(pupils.sample(frac=1, random_state=3)).set_index("urn")  # any row order
    assert list(found.index) == [1, 2, 3, 5]
    assert list(found["falling"]) == [True, False, True, False]
    assert list(found["from_year"]) == [2016, 2016, 2019, 2018]
    assert list(found["to_year"]) == [2019, 2019, 2024, 2021]
    assert found["change"].tolist() == pytest.approx([359 / 400 - 1, -0.1, 200 / 300 - 1, 0.25])
    assert found.loc[1, "text"] == (
        "Pupils on roll down 10.3% from 400 (2016) to 359 (2019) - falling roll: down more than 10% over 3 "
        "years."
    )
    assert found.loc[5, "text"] == "Pupils on roll up 25.0% from 1,000 (2018) to 1,250 (2021)."
    for urn in [1, 2, 3, 4, 5]:
        one = roll_change(pupils.loc[pupils["urn"] == urn].set_index("year")["value"])
        if urn in found.index:
            assert (one.falling, one.text, one.from_year, one.to_year) == tuple(
                found.loc[urn, ["falling", "text", "from_year", "to_year"]]
            )
            assert one.change == found.loc[urn, "change"]
        else:
            assert one.change is None
    assert roll_changes(pupils.iloc[:0]).empty
