"""Ofsted's monthly management-information file: merged into the official August 2025 file, never erasing.

Real data: the bundled 59-row sample of the 2026 (report-card) edition and a slice of the official file
(`scripts/cut_slices.py`: the schools the sample names, all of Camden and the City of London). Expected
values come from the raw CSVs through the `csv` module, never from the importer. Store tests run on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, select, text
from store_checks import MI_OUTCOMES_SLICE, OFSTED_SLICE, fresh_database, snapshot

from analytics.grades import report_card_category
from analytics.ingest import ofsted_mi, ofsted_outcomes
from analytics.ingest.common import ImportRejected
from analytics.ingest.registry import OFSTED_FILE, OFSTED_MI_FILE
from analytics.metrics import county_kpis, report_card_kpis, uninspected_count
from analytics.queries import (
    INSPECTIONS,
    LINKS,
    SCHOOLS,
    Scope,
    inspections_added,
    ofsted_releases,
    read_frame,
    school_headlines,
)

NO_LOG = ("import_log",)
ORDER_FREE = ("id", "first_import_id")  # surrogate keys and which import came first differ by order
AREAS = {  # store column -> the sample's grade and date columns
    "rc_inclusion": ("Inclusion", "Inclusion - date of grade"),
    "rc_curriculum_and_teaching": ("Curriculum and teaching", "Curriculum and teaching - date of grade"),
    "rc_achievement": ("Achievement", "Achievement - date of grade"),
    "rc_attendance_and_behaviour": ("Attendance and behaviour", "Attendance and behaviour - date of grade"),
    "rc_personal_development": (
        "Personal development and wellbeing",
        "Personal development and wellbeing - date of grade",
    ),
    "rc_early_years": ("Early years (where applicable)", "Early years - date of grade"),
    "rc_sixth_form": ("Post-16 provision (where applicable)", "Post-16 provision - date of grade"),
    "rc_leadership_and_governance": (
        "Leadership and governance",
        "Leadership and governance - date of grade",
    ),
}


# ------------------------------------------------------------------------------------ raw files, csv module


def raw(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV with the management information's NULL read as empty."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: ("" if v == "NULL" else v) for k, v in row.items()} for row in csv.DictReader(handle)]


def day(value: str) -> date | None:
    return datetime.strptime(value, "%d/%m/%Y").date() if value else None


def mi_row(urn: int) -> dict[str, str]:
    return next(r for r in raw(OFSTED_MI_FILE) if r["URN"] == str(urn))


def aug_row(urn: int) -> dict[str, str]:
    return next(r for r in raw(MI_OUTCOMES_SLICE) if r["URN"] == str(urn))


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def both(engine: Engine, *, mi_first: bool = False, official: Path = MI_OUTCOMES_SLICE) -> None:
    if mi_first:
        ofsted_mi.import_file(engine, OFSTED_MI_FILE)
        ofsted_outcomes.import_file(engine, official)
    else:
        ofsted_outcomes.import_file(engine, official)
        ofsted_mi.import_file(engine, OFSTED_MI_FILE)


@pytest.fixture
def merged(empty_store: Engine) -> Engine:
    both(empty_store)
    return empty_store


@pytest.fixture
def twin(empty_store: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A second fresh database on the same backend as `empty_store`."""
    yield from fresh_database(
        "sqlite" if empty_store.dialect.name == "sqlite" else "postgresql", tmp_path / "twin"
    )


def headline(engine: Engine, urn: int) -> pd.Series:
    return school_headlines(engine, Scope(urns=(urn,))).set_index("urn").loc[urn]


def inspection(engine: Engine, number: str) -> pd.Series:
    frame = read_frame(engine, select(INSPECTIONS).where(INSPECTIONS.c.inspection_number == number))
    assert len(frame) == 1, number
    return frame.iloc[0]


# ------------------------------------------------------------------------------- the named schools


def test_pre_2019_grade_is_kept_when_the_new_file_has_null(merged: Engine) -> None:
    mi, aug = mi_row(100023), aug_row(100023)
    assert mi["Inspection number of latest OEIF graded inspection"] == "", "the sample states no graded one"
    school = headline(merged, 100023)
    assert school["latest_graded_number"] == aug["Inspection number of latest graded inspection"]
    assert school["inspection_start"] == day(aug["Inspection start date"]) == date(2018, 9, 18)
    assert school["grade"] == int(aug["Overall effectiveness"]) == 1
    assert school["latest_ungraded_number"] == mi["Latest ungraded inspection number"]


def test_report_card_becomes_latest_and_the_2016_grade_previous(merged: Engine) -> None:
    mi, aug = mi_row(100025), aug_row(100025)
    school = headline(merged, 100025)
    assert school["latest_graded_number"] == mi["Inspection number of latest full inspection"]
    assert school["inspection_start"] == day(mi["Inspection start date"]) == date(2026, 1, 13)
    assert school["grade_source"] == "report card" and pd.isna(school["grade"])
    assert school["framework"] == "Report cards 2025"
    assert school["previous_graded_number"] == aug["Inspection number of latest graded inspection"]
    assert school["previous_start"] == day(aug["Inspection start date"]) == date(2016, 1, 27)
    assert school["previous_grade"] == int(aug["Overall effectiveness"]) == 1
    for area, (grade_column, _) in AREAS.items():
        assert school[area] == mi[grade_column].lower()
    assert bool(school["rc_safeguarding_met"]) is (mi["Safeguarding standards"] == "Met")


def test_special_measures_inherited_from_the_predecessor(merged: Engine) -> None:
    mi = mi_row(149940)
    school = headline(merged, 149940)
    assert school["category_of_concern"] == mi["Latest OEIF category of concern"] == "SM"
    assert school["inspection_urn"] == int(mi["URN at time of latest OEIF graded inspection"]) == 107646
    assert bool(school["inherited"]) and school["grade"] == 4


def test_new_academy_is_created_with_its_predecessor_link(merged: Engine) -> None:
    mi, predecessor = mi_row(149951), aug_row(109830)
    assert mi["URN at time of the ungraded inspection"] == "109830"
    schools = read_frame(merged, select(SCHOOLS).where(SCHOOLS.c.urn.in_([149951, 109830]))).set_index("urn")
    assert bool(schools.loc[149951, "is_open"]) and schools.loc[149951, "name"] == mi["School name"]
    assert schools.loc[149951, "open_date"] == day(mi["School open date"])
    assert not bool(schools.loc[109830, "is_open"]), "Ofsted names it the predecessor: it is closed"
    links = read_frame(merged, select(LINKS).where(LINKS.c.urn.in_([149951, 109830])))
    pairs = set(zip(links["urn"], links["link_urn"], links["link_type"], strict=True))
    assert pairs == {(149951, 109830, "Predecessor (Ofsted)"), (109830, 149951, "Successor (Ofsted)")}
    school = headline(merged, 149951)
    assert school["latest_ungraded_number"] == mi["Latest ungraded inspection number"]
    assert school["latest_graded_number"] == predecessor["Inspection number of latest graded inspection"]
    assert bool(school["inherited"]) and school["grade"] == int(predecessor["Overall effectiveness"])


def test_reimport_changes_nothing_and_reverse_order_gives_the_same_store(
    merged: Engine, twin: Engine
) -> None:
    first = snapshot(merged, skip=NO_LOG)
    both(merged)
    both(merged, mi_first=True)
    assert snapshot(merged, skip=NO_LOG) == first
    both(twin, mi_first=True)
    assert snapshot(twin, skip=NO_LOG, exclude=ORDER_FREE) == snapshot(
        merged, skip=NO_LOG, exclude=ORDER_FREE
    )
    # The older file imported last left the newer facts in place.
    for engine in (merged, twin):
        schools = read_frame(engine, select(SCHOOLS).where(SCHOOLS.c.urn.in_([100006, 136873]))).set_index(
            "urn"
        )
        # The monthly file's "Alternative provision" is stored in the official files' vocabulary ("PRU").
        assert mi_row(100006)["Ofsted phase"] == "Alternative provision"
        assert schools.loc[100006, "phase"] == "PRU"
        assert schools.loc[136873, "trust_name"] == mi_row(136873)["Multi-academy trust name"]
        assert headline(engine, 100025)["grade_source"] == "report card"


# ------------------------------------------------------------------------------------ what rows are stored


def test_report_cards_keep_their_own_scale_dates_and_not_applicable(merged: Engine) -> None:
    cards = [r for r in raw(OFSTED_MI_FILE) if r["Inspection number of latest full inspection"]]
    assert len(cards) == 4
    for row in cards:
        stored = inspection(merged, row["Inspection number of latest full inspection"])
        assert bool(stored["is_graded"]) and pd.isna(stored["overall_effectiveness"])
        assert stored["start_date"] == day(row["Inspection start date"])
        assert stored["publication_date"] == day(row["Publication date"])
        assert stored["framework"] == "Report cards 2025" and stored["source"] == "ofsted-mi"
        for area, (grade_column, date_column) in AREAS.items():
            assert stored[area] == row[grade_column].lower()
            assert stored[f"{area}_date"] == day(row[date_column])
        assert stored["rc_safeguarding_date"] == day(row["Safeguarding standards - date of grade"])
        assert stored["category_of_concern"] is None and stored["category_derived"] is not True
    not_applicable = inspection(merged, mi_row(149942)["Inspection number of latest full inspection"])
    assert not_applicable["rc_early_years"] == "not applicable"
    graded_only = inspection(merged, mi_row(136859)["Inspection number of latest OEIF graded inspection"])
    assert graded_only["rc_early_years"] is None, "missing stays distinct from not applicable"


def test_ungraded_inspections_are_dated_rows_in_both_wordings(merged: Engine) -> None:
    rows = [r for r in raw(OFSTED_MI_FILE) if r["Latest ungraded inspection number"]]
    wordings = {r["Ungraded inspection overall outcome"] for r in rows}
    assert {
        "School remains Good",
        "Standards maintained",
        "Some aspects not as strong",
        "Improved significantly",
    } <= wordings
    for row in rows:
        stored = inspection(merged, row["Latest ungraded inspection number"])
        assert not bool(stored["is_graded"])
        assert stored["start_date"] == day(row["Date of latest ungraded inspection"])
        assert stored["ungraded_outcome"] == row["Ungraded inspection overall outcome"]
        assert stored["urn"] == int(row["URN at time of the ungraded inspection"])


def test_releases_and_the_inspections_each_one_added(merged: Engine) -> None:
    releases = ofsted_releases(merged)
    mi_rows = raw(OFSTED_MI_FILE)
    newest_publication = max(
        day(r[c])
        for r in mi_rows
        for c in (
            "Publication date",
            "Publication date of latest OEIF graded inspection",
            "Ungraded inspection publication date",
        )
        if r[c]
    )
    assert list(releases["kind"]) == ["ofsted-mi", "ofsted-outcomes"]
    assert list(releases["as_at"]) == [newest_publication, date(2025, 8, 31)]
    assert list(releases["rows_read"]) == [len(mi_rows), len(raw(MI_OUTCOMES_SLICE))]
    in_official = {
        r[c]
        for r in raw(MI_OUTCOMES_SLICE)
        for c in (
            "Inspection number of latest graded inspection",
            "Previous inspection number",
            "Latest ungraded inspection number since last graded inspection",
        )
        if r[c]
    }
    in_sample = {
        r[c]
        for r in mi_rows
        for c in (
            "Inspection number of latest full inspection",
            "Inspection number of latest OEIF graded inspection",
            "Latest ungraded inspection number",
        )
        if r[c]
    }
    mi_import = int(releases.iloc[0]["import_id"])
    added = inspections_added(merged, mi_import)
    assert set(added["inspection_number"]) == in_sample - in_official
    assert int(releases.iloc[0]["inspections_added"]) == len(in_sample - in_official)
    card = added.set_index("inspection_number").loc[
        mi_row(100025)["Inspection number of latest full inspection"]
    ]
    assert card["school_urn"] == 100025 and card["previous_grade"] == 1
    assert card["previous_start"] == date(2016, 1, 27)
    assert card["outcome"] == "Report card: lowest area expected standard; safeguarding met"
    by_number = {r["Latest ungraded inspection number"]: r for r in mi_rows}
    ungraded = added.loc[~added["is_graded"].astype(bool)]
    assert len(ungraded) > 0
    for number, outcome in zip(ungraded["inspection_number"], ungraded["outcome"], strict=True):
        assert outcome == by_number[number]["Ungraded inspection overall outcome"]
    camden = inspections_added(merged, mi_import, Scope.la("Camden"))
    assert set(camden["la_name"]) == {"Camden"} and 0 < len(camden) < len(added)
    ofsted_mi.import_file(merged, OFSTED_MI_FILE)
    again = ofsted_releases(merged)
    assert (
        int(again.iloc[0]["inspections_added"]) == 0
        and inspections_added(merged, int(again.iloc[0]["import_id"])).empty
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "Management_information_-_state-funded_schools_-_latest_inspections_as_at_31_Jan_2026.csv",
            date(2026, 1, 31),
        ),
        (
            "Management_information_-_state-funded_schools_-_latest_inspections_as_at_31_July_2026.csv",
            date(2026, 7, 31),
        ),
        ("latest_inspections_as_at_30_Sept_2025.csv", date(2025, 9, 30)),
        ("latest_inspections_as_at_30_September_2025.csv", date(2025, 9, 30)),
        ("ofsted_mi_latest_inspections_2026-05_sample.csv", None),
        ("latest_inspections_as_at_31_Foo_2026.csv", None),
    ],
)
def test_as_at_from_the_file_name(name: str, expected: date | None) -> None:
    assert ofsted_mi.as_at_from_name(Path(name)) == expected


# -------------------------------------------------------------------------------------------------- KPIs


def _judgement(value: str) -> int | None:
    return int(value) if value in {"1", "2", "3", "4"} else None


def _grade(overall: str, start: date, judgements: list[str], category: str, safe: str) -> int | None:
    """Headline grade, DESIGN.md section 2, written here without product code."""
    if overall in {"1", "2", "3", "4"}:
        return int(overall)
    if not (date(2024, 9, 2) <= start <= date(2025, 11, 9)):
        return None
    qoe, ba, pdev, lm = (_judgement(v) for v in judgements)
    if 4 in (qoe, ba, pdev, lm) or category or safe == "No":
        return 4
    if (qoe, ba, pdev, lm) == (None, None, None, None):
        return None
    if 3 in (qoe, lm):
        return 3
    return 1 if (qoe, ba, pdev, lm) == (1, 1, 1, 1) else 2


def _candidates(aug: dict[str, str] | None, mi: dict[str, str] | None) -> list[dict[str, Any]]:
    """Every graded inspection the two files state for one school: number, start, grade, card, category."""
    found: list[dict[str, Any]] = []
    if aug:
        for prefix, number, start, overall, kj, category, safe in (
            (
                "",
                "Inspection number of latest graded inspection",
                "Inspection start date",
                "Overall effectiveness",
                [
                    "Quality of education",
                    "Behaviour and attitudes",
                    "Personal development",
                    "Effectiveness of leadership and management",
                ],
                "Category of concern",
                "Safeguarding is effective?",
            ),
            (
                "Previous ",
                "Previous inspection number",
                "Previous inspection start date",
                "Previous graded inspection overall effectiveness",
                [
                    "Previous quality of education",
                    "Previous behaviour and attitudes",
                    "Previous personal development",
                    "Previous effectiveness of leadership and management",
                ],
                "Previous category of concern",
                "Previous safeguarding is effective?",
            ),
        ):
            if aug[number]:
                begun = day(aug[start])
                assert begun is not None, prefix
                found.append(
                    {
                        "number": aug[number],
                        "start": begun,
                        "card": None,
                        "category": aug[category],
                        "grade": _grade(aug[overall], begun, [aug[k] for k in kj], aug[category], aug[safe]),
                    }
                )
    if mi:
        if mi["Inspection number of latest full inspection"]:
            grades = [mi[g].lower() for g, _ in AREAS.values() if mi[g] and mi[g] != "Not applicable"]
            found.append(
                {
                    "number": mi["Inspection number of latest full inspection"],
                    "start": day(mi["Inspection start date"]),
                    "grade": None,
                    "category": mi["Category of concern"],
                    "card": (grades, mi["Safeguarding standards"]),
                }
            )
        if mi["Inspection number of latest OEIF graded inspection"]:
            begun = day(mi["Inspection start date of latest OEIF graded inspection"])
            assert begun is not None
            kj = [
                mi[f"Latest OEIF {k}"]
                for k in (
                    "quality of education",
                    "behaviour and attitudes",
                    "personal development",
                    "effectiveness of leadership and management",
                )
            ]
            found.append(
                {
                    "number": mi["Inspection number of latest OEIF graded inspection"],
                    "start": begun,
                    "card": None,
                    "category": mi["Latest OEIF category of concern"],
                    "grade": _grade(
                        mi["Latest OEIF overall effectiveness"],
                        begun,
                        kj,
                        mi["Latest OEIF category of concern"],
                        mi["Latest OEIF  safeguarding is effective?"],
                    ),
                }
            )
    unique = {c["number"]: c for c in found}
    return sorted(unique.values(), key=lambda c: (c["start"], c["number"]), reverse=True)


def expected_camden() -> tuple[dict[str, Any], dict[str, Any], int]:
    """County KPIs, report-card KPIs and the uninspected count for Camden from the two raw files."""
    aug = {r["URN"]: r for r in raw(MI_OUTCOMES_SLICE) if r["Local authority"] == "Camden"}
    mi = {r["URN"]: r for r in raw(OFSTED_MI_FILE) if r["Local authority"] == "Camden"}
    graded, cards, uninspected = [], [], 0
    for urn in set(aug) | set(mi):
        pupils_text = (mi.get(urn) or {}).get("Total number of pupils") or aug.get(urn, {}).get(
            "Total number of pupils", ""
        )
        pupils = int(pupils_text) if pupils_text.isdigit() else 0
        found = _candidates(aug.get(urn), mi.get(urn))
        if not found:
            uninspected += 1
        elif found[0]["card"] is not None:
            cards.append(found[0])
        elif found[0]["grade"] is None:
            uninspected += 1
        else:
            previous = found[1]["grade"] if len(found) > 1 else None
            graded.append((found[0]["grade"], previous, pupils, found[0]["category"]))
    good = [g for g in graded if g[0] <= 2]
    all_pupils, good_pupils = sum(g[2] for g in graded), sum(g[2] for g in good)
    county = {
        "schools_with_grade": len(graded),
        "pct_schools_good_or_outstanding": round(100 * len(good) / len(graded), 1),
        "pupils_in_good_or_outstanding": good_pupils,
        "pct_pupils_good_or_outstanding": round(100 * good_pupils / all_pupils, 1),
        "schools_requires_improvement": sum(g[0] == 3 for g in graded),
        "schools_inadequate": sum(g[0] == 4 for g in graded),
        "schools_special_measures": sum(g[3] == "SM" for g in graded),
        "schools_serious_weaknesses": sum(g[3] == "SWK" for g in graded),
        "pct_schools_in_category": round(100 * sum(g[3] in ("SM", "SWK") for g in graded) / len(graded), 1),
        "schools_declined": sum(g[1] is not None and g[0] > g[1] for g in graded),
        "schools_stuck_below_good": sum(g[1] is not None and g[0] >= 3 and g[1] >= 3 for g in graded),
    }
    return county, expected_cards(cards), uninspected


def expected_cards(cards: list[dict[str, Any]]) -> dict[str, Any]:
    fine = ("exceptional", "strong standard", "expected standard")
    good = [c for c in cards if all(g in fine for g in c["card"][0])]
    # Without a published category, any urgent improvement or safeguarding not met implies one (DESIGN.md).
    derived = [
        c
        for c in cards
        if not c["category"] and ("urgent improvement" in c["card"][0] or c["card"][1] == "Not met")
    ]
    return {
        "schools_with_report_card": len(cards),
        "pct_report_cards_expected_or_above": round(100 * len(good) / len(cards), 1) if cards else None,
        "schools_any_needs_attention": sum("needs attention" in c["card"][0] for c in cards),
        "schools_any_urgent_improvement": sum("urgent improvement" in c["card"][0] for c in cards),
        "schools_safeguarding_not_met": sum(c["card"][1] == "Not met" for c in cards),
        "schools_in_category_of_concern": sum(bool(c["category"]) for c in cards) + len(derived),
        "schools_in_category_derived": len(derived),
    }


def test_camden_kpis_match_an_independent_computation_from_both_files(merged: Engine) -> None:
    county, cards, uninspected = expected_camden()
    assert cards["schools_with_report_card"] == 1 and county["schools_with_grade"] > 40  # guards the test
    headlines = school_headlines(merged, Scope.la("Camden"))
    assert county_kpis(headlines) == county
    assert report_card_kpis(headlines) == cards
    assert uninspected_count(headlines) == uninspected


def test_report_card_kpis_over_every_report_card(merged: Engine) -> None:
    cards = [c for r in raw(OFSTED_MI_FILE) for c in _candidates(None, r)[:1] if c["card"] is not None]
    expected = expected_cards(cards)
    assert expected["schools_any_needs_attention"] == 1 and expected["schools_with_report_card"] == 4
    assert report_card_kpis(school_headlines(merged, Scope.england())) == expected


# ---------------------------------------------------------------------------------------- hostile variants

SAMPLE = OFSTED_MI_FILE


def _record(urn: int) -> int:
    """0-based index in read_rows (header = 0) of the sample's row for a URN; its file row is that + 1."""
    return next(i for i, row in enumerate(read_rows(SAMPLE)) if row[1] == str(urn))


def _edit(tmp: Path, urn: int, column: str, value: str) -> Path:
    rows = read_rows(SAMPLE)
    rows[_record(urn)][rows[0].index(column)] = value
    return write_rows(tmp / SAMPLE.name, rows)


def _renamed(tmp: Path) -> Path:
    rows = read_rows(SAMPLE)
    rows[0][rows[0].index("Achievement")] = "Achievements"
    return write_rows(tmp / SAMPLE.name, rows)


def _duplicate(tmp: Path) -> Path:
    rows = read_rows(SAMPLE)
    rows.insert(6, list(rows[2]))
    return write_rows(tmp / SAMPLE.name, rows)


def _truncated(tmp: Path) -> Path:
    rows = read_rows(SAMPLE)
    rows[_record(100025)] = rows[_record(100025)][:-3]
    return write_rows(tmp / SAMPLE.name, rows)


def _row(urn: int) -> int:
    return _record(urn) + 1


HOSTILE: dict[str, tuple[Callable[[Path], Path], int | None, str | None, str]] = {
    "renamed column (missing)": (_renamed, 1, "Achievement", "required column is missing"),
    "renamed column (unexpected)": (_renamed, 1, "Achievements", "unexpected column"),
    "unknown area grade": (
        lambda t: _edit(t, 100025, "Inclusion", "Very good"),
        _row(100025),
        "Inclusion",
        "unknown code 'Very good'",
    ),
    "area date before the inspection start": (
        lambda t: _edit(t, 100025, "Achievement - date of grade", "12/01/2026"),
        _row(100025),
        "Achievement - date of grade",
        "before the inspection start date",
    ),
    "duplicated URN": (_duplicate, 7, "URN", "duplicate URN"),
    "truncated row": (_truncated, _row(100025), None, "the row has 82 fields; the header has 85"),
    "URN out of range": (
        lambda t: _edit(t, 100007, "URN", "99999"),
        _row(100007),
        "URN",
        "implausible: below",
    ),
    "pupils out of range": (
        lambda t: _edit(t, 100007, "Total number of pupils", "25000"),
        _row(100007),
        "Total number of pupils",
        "implausible: above 10000",
    ),
    "inspection in the future": (
        lambda t: _edit(t, 100025, "Inspection start date", "13/01/2031"),
        _row(100025),
        "Inspection start date",
        "is in the future",
    ),
    "inspection before 2005": (
        lambda t: _edit(t, 100007, "Date of latest ungraded inspection", "27/09/2003"),
        _row(100007),
        "Date of latest ungraded inspection",
        "implausible: before 2005-01-01",
    ),
    "published before it started": (
        lambda t: _edit(t, 100007, "Ungraded inspection publication date", "26/09/2023"),
        _row(100007),
        "Ungraded inspection publication date",
        "before the start date",
    ),
    "report card before report cards": (
        lambda t: _edit(t, 149946, "Inspection start date", "03/11/2025"),
        _row(149946),
        "Inspection start date",
        "before report cards began",
    ),
    "unknown ungraded outcome": (
        lambda t: _edit(t, 100007, "Ungraded inspection overall outcome", "Good-ish"),
        _row(100007),
        "Ungraded inspection overall outcome",
        "unknown code 'Good-ish'",
    ),
    "report card without safeguarding": (
        lambda t: _edit(t, 100025, "Safeguarding standards", "NULL"),
        _row(100025),
        "Safeguarding standards",
        "no safeguarding judgement",
    ),
    "relates 'No' to its own URN": (
        lambda t: _edit(
            t, 100007, "Does the ungraded inspection relate to the URN of the current school?", "No"
        ),
        _row(100007),
        "Does the ungraded inspection relate to the URN of the current school?",
        "own URN",
    ),
    "unknown category": (
        lambda t: _edit(t, 149940, "Latest OEIF category of concern", "XX"),
        _row(149940),
        "Latest OEIF category of concern",
        "unknown code 'XX'",
    ),
    "statutory ages reversed": (
        lambda t: _edit(t, 100007, "Statutory lowest age", "12"),
        _row(100007),
        "Statutory lowest age",
        "lowest age is above the highest",
    ),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_variant_is_rejected_and_changes_nothing(kind: str, merged: Engine, tmp_path: Path) -> None:
    make, row, column, reason = HOSTILE[kind]
    path = make(tmp_path)
    before = snapshot(merged)
    with pytest.raises(ImportRejected) as caught:
        ofsted_mi.import_file(merged, path)
    message = str(caught.value)
    assert path.name in message and reason in message, message
    assert any(
        (row is None or p.row == row) and (column is None or p.column == column) and reason in p.reason
        for p in caught.value.problems
    ), caught.value.problems
    assert snapshot(merged) == before, "a rejected file changed the store"


def test_the_official_file_given_as_management_information_is_named(tmp_path: Path) -> None:
    with pytest.raises(ImportRejected) as caught:
        ofsted_mi.parse(OFSTED_SLICE)
    reasons = [p.reason for p in caught.value.problems]
    assert any("use `import ofsted-outcomes`" in r for r in reasons)
    assert ("Previous graded inspection number", "pre-report-card") in {
        (p.column, "pre-report-card" if "pre-report-card" in p.reason else "") for p in caught.value.problems
    }


# ------------------------------------------------------------------------- derived category, earlier edition


@pytest.mark.parametrize(
    ("grades", "safeguarding", "expected"),
    [
        (
            {"rc_leadership_and_governance": "urgent improvement", "rc_achievement": "urgent improvement"},
            True,
            "SM",
        ),
        ({"rc_leadership_and_governance": "urgent improvement"}, False, "SM"),
        ({"rc_leadership_and_governance": "urgent improvement"}, True, "RSI"),
        ({"rc_achievement": "urgent improvement"}, True, "RSI"),
        ({"rc_achievement": "needs attention"}, False, "RSI"),
        ({"rc_leadership_and_governance": "needs attention", "rc_inclusion": "needs attention"}, True, None),
        ({"rc_early_years": "not applicable"}, None, None),
    ],
)
def test_category_derived_from_area_grades(
    grades: dict[str, str], safeguarding: bool | None, expected: str | None
) -> None:
    assert report_card_category(dict(grades), safeguarding) == expected


def test_category_is_derived_only_where_ofsted_published_none(empty_store: Engine, tmp_path: Path) -> None:
    rows = read_rows(SAMPLE)
    header = rows[0]
    for urn, category in ((136873, ""), (149942, "RSI")):
        record = rows[_record(urn)]
        record[header.index("Leadership and governance")] = "Urgent improvement"
        record[header.index("Achievement")] = "Urgent improvement"
        record[header.index("Category of concern")] = category
    path = write_rows(tmp_path / SAMPLE.name, rows)
    ofsted_mi.import_file(empty_store, path)
    derived = inspection(empty_store, mi_row(136873)["Inspection number of latest full inspection"])
    assert (derived["category_of_concern"], bool(derived["category_derived"])) == ("SM", True)
    published = inspection(empty_store, mi_row(149942)["Inspection number of latest full inspection"])
    assert (published["category_of_concern"], bool(published["category_derived"])) == ("RSI", False)
    kpis = report_card_kpis(school_headlines(empty_store, Scope.england()))
    assert (kpis["schools_in_category_of_concern"], kpis["schools_in_category_derived"]) == (2, 1)
    assert kpis["schools_any_urgent_improvement"] == 2


def _earlier_edition(tmp: Path) -> Path:
    """The official slice under the column names the pre-report-card management information uses (the only
    attested difference in the columns read: 'Previous graded inspection number')."""
    rows = read_rows(MI_OUTCOMES_SLICE)
    rows[0][rows[0].index("Previous inspection number")] = "Previous graded inspection number"
    return write_rows(tmp / "latest_inspections_as_at_31_Aug_2025.csv", rows)


def test_earlier_edition_is_recognised_and_states_the_same_inspections(
    empty_store: Engine, twin: Engine, tmp_path: Path
) -> None:
    path = _earlier_edition(tmp_path)
    parsed = ofsted_mi.parse(path)
    assert parsed.edition is ofsted_mi.LEGACY_EDITION and parsed.as_at == date(2025, 8, 31)
    ofsted_mi.import_file(empty_store, path)
    ofsted_outcomes.import_file(twin, MI_OUTCOMES_SLICE)
    columns = [
        "inspection_number",
        "urn",
        "start_date",
        "publication_date",
        "is_graded",
        "overall_effectiveness",
        "category_of_concern",
        "quality_of_education",
        "ungraded_outcome",
    ]

    def stored(engine: Engine) -> pd.DataFrame:
        query = select(*[INSPECTIONS.c[c] for c in columns]).order_by(INSPECTIONS.c.inspection_number)
        return read_frame(engine, query)

    pd.testing.assert_frame_equal(stored(empty_store), stored(twin))
    pointers = ["urn", "latest_graded_number", "previous_graded_number", "latest_ungraded_number", "is_open"]
    listed = [int(r["URN"]) for r in raw(MI_OUTCOMES_SLICE)]
    query = select(*[SCHOOLS.c[c] for c in pointers]).where(SCHOOLS.c.urn.in_(listed)).order_by(SCHOOLS.c.urn)
    pd.testing.assert_frame_equal(read_frame(empty_store, query), read_frame(twin, query))


# --------------------------------------------------------------------------------------- CLI and migration


def test_cli_import_and_rejection_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from analytics.cli import app
    from analytics.config import get_settings
    from analytics.store import reset_engine_cache

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    reset_engine_cache()
    try:
        done = CliRunner().invoke(app, ["import", "ofsted-mi", str(SAMPLE)])
        assert done.exit_code == 0, done.output
        assert "ofsted-mi: ofsted_mi_latest_inspections_2026-05_sample.csv: 59 rows read" in done.output
        assert "report-card edition" in done.output
        refused = CliRunner().invoke(app, ["import", "ofsted-mi", str(_renamed(tmp_path))])
        assert refused.exit_code == 3 and "Achievements" in refused.output
        wrong = CliRunner().invoke(app, ["import", "ofsted-mi", str(SAMPLE), "--year", "2019"])
        assert wrong.exit_code == 2
    finally:
        get_settings.cache_clear()
        reset_engine_cache()


def test_migration_backfills_existing_rows(tmp_path: Path) -> None:
    """A store built before revision 0004 gets each inspection's first import and release date, and each
    school's status date, from its import log (SQLite; the schema itself is checked on both backends)."""
    from alembic import command
    from alembic.config import Config

    from analytics.store.engine import ALEMBIC_INI, PROJECT_ROOT, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(
            text(
                "INSERT INTO import_log (id, kind, file_name, sha256, rows_read, rows_inserted, "
                "rows_updated, as_at, imported_at) VALUES "
                "(1, 'ofsted-outcomes', 'a.csv', 'x', 1, 3, 0, '2025-08-31', '2025-09-01'), "
                "(2, 'ofsted-history', 'h.csv', 'y', 1, 1, 0, NULL, '2025-09-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO school (urn, name, is_open, as_at) VALUES (100001, 'Open', 1, '2025-08-31'), "
                "(100002, 'Stub', 0, NULL)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO inspection (id, inspection_number, urn, start_date, is_graded, framework, "
                "source) VALUES "
                "(1, '1', 100001, '2024-01-01', 1, 'f', 'ofsted-outcomes'), "
                "(2, NULL, 100001, '2010-01-01', 1, 'f', 'ofsted-history')"
            )
        )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    inspections = read_frame(
        engine,
        select(INSPECTIONS.c.id, INSPECTIONS.c.first_import_id, INSPECTIONS.c.release_as_at).order_by(
            INSPECTIONS.c.id
        ),
    )
    assert list(inspections["first_import_id"]) == [1, 2]
    assert list(inspections["release_as_at"]) == [date(2025, 8, 31), None]
    schools = read_frame(engine, select(SCHOOLS.c.urn, SCHOOLS.c.status_as_at).order_by(SCHOOLS.c.urn))
    assert list(schools["status_as_at"]) == [date(2025, 8, 31), date(2025, 8, 31)]
    engine.dispose()


# ----------------------------------------------------------------------------------------------- full file


@pytest.mark.slow
def test_full_official_file_both_orders(empty_store: Engine, twin: Engine) -> None:
    both(empty_store, official=OFSTED_FILE)
    both(twin, mi_first=True, official=OFSTED_FILE)
    assert snapshot(twin, skip=NO_LOG, exclude=ORDER_FREE) == snapshot(
        empty_store, skip=NO_LOG, exclude=ORDER_FREE
    )
    county, cards, uninspected = expected_camden()
    headlines = school_headlines(empty_store, Scope.la("Camden"))
    assert (county_kpis(headlines), report_card_kpis(headlines), uninspected_count(headlines)) == (
        county,
        cards,
        uninspected,
    )
