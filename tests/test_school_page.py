"""The school drilldown page renders real schools chosen from the raw Ofsted CSV (read with the csv module).

Each case asserts facts taken from the raw file: the school's name and its latest graded outcome label.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from contextlib import closing
from functools import cache
from pathlib import Path

import pytest
from signin import signed_in_app
from streamlit.testing.v1 import AppTest

from analytics.ingest.registry import GIAS_LINKS_FILE, OFSTED_FILE, OFSTED_MI_FILE

APP = Path(__file__).resolve().parents[1] / "app.py"
LABELS = {"1": "Outstanding", "2": "Good", "3": "Requires improvement", "4": "Inadequate"}
RELATES = "Does the latest graded inspection relate to the URN of the current school?"


@cache
def ofsted_rows() -> tuple[dict[str, str], ...]:
    with open(OFSTED_FILE, encoding="utf-8-sig", newline="") as handle:
        return tuple(csv.DictReader(handle))


@cache
def predecessor_links() -> frozenset[tuple[int, int]]:
    """(URN, predecessor URN) pairs from the raw GIAS links file."""
    with open(GIAS_LINKS_FILE, encoding="utf-8-sig", newline="") as handle:
        return frozenset(
            (int(r["URN"]), int(r["LinkURN"]))
            for r in csv.DictReader(handle)
            if r["LinkType"].startswith("Predecessor")
        )


@cache
def restated_later() -> frozenset[str]:
    """URNs the bundled monthly MI sample restates: the demo imports it after the official file, so their
    facts (phase, newer inspections) are the newer file's."""
    with open(OFSTED_MI_FILE, encoding="utf-8", newline="") as handle:
        return frozenset(r["URN"] for r in csv.DictReader(handle))


def first_row(condition) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return next(r for r in ofsted_rows() if r["URN"] not in restated_later() and condition(r))


def stored_risk(database: Path, urn: int) -> tuple[float, str] | None:
    """The newest model's stored risk and band for a school, read with sqlite3 (not the app's code)."""
    with closing(sqlite3.connect(database)) as connection:
        row = connection.execute(
            "SELECT risk, band FROM risk_score WHERE urn = ? AND model_id = (SELECT max(id) FROM risk_model)",
            (urn,),
        ).fetchone()
    return None if row is None else (float(row[0]), str(row[1]))


def render(urn: str) -> AppTest:
    at = signed_in_app(timeout=90)
    at.switch_page("views/school.py")
    at.query_params["urn"] = urn
    at.run()
    assert not at.exception, at.exception
    return at


def headers(at: AppTest) -> list[str]:
    """Headers as the reader sees them (the page escapes Markdown in names from the data)."""
    return [re.sub(r"\\(.)", r"\1", h.value) for h in at.header]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def outcome(at: AppTest) -> str:
    """The header's outcome line (a subheader: 'Latest graded outcome: ...'), unescaped."""
    prefix = "Latest graded outcome: "
    line = next(h.value for h in at.subheader if h.value.startswith(prefix))
    return line.removeprefix(prefix).replace("\\", "")


def timeline_table(at: AppTest):  # type: ignore[no-untyped-def]
    """The timeline as the page's accessible table (switched on with the chart's table toggle)."""
    at.toggle(key="school-timeline-table").set_value(True).run()
    assert not at.exception, at.exception
    return next(d.value for d in at.dataframe if "Headline grade" in d.value.columns)


@pytest.mark.parametrize("phase", ["Primary", "Secondary", "Special", "Nursery", "PRU"])
def test_each_phase(app_env: Path, phase: str) -> None:
    row = first_row(
        lambda r: r["Ofsted phase"] == phase and r["Overall effectiveness"] in LABELS and r[RELATES] == "Yes"
    )
    at = render(row["URN"])
    assert headers(at) == [row["School name"]]
    assert metric(at, "URN") == row["URN"]
    assert metric(at, "Phase") == phase
    assert outcome(at) == LABELS[row["Overall effectiveness"]]
    assert "Early-warning risk" in [h.value for h in at.subheader], "the risk section is always there"
    stored = stored_risk(app_env, int(row["URN"]))
    cards = [d.value for d in at.dataframe if "Band" in d.value.columns]
    if stored is None:
        assert not cards
    else:
        assert cards[0].iloc[0]["Risk of RI or Inadequate at next graded inspection"] == f"{stored[0]:.0%}"
        assert cards[0].iloc[0]["Band"] == stored[1]
    starts = {d.strftime("%d/%m/%Y") for d in timeline_table(at)["Start date"]}
    assert row["Inspection start date"] in starts


def test_converted_academy_shows_predecessor_chain(app_env: Path) -> None:
    links = predecessor_links()
    row = first_row(
        lambda r: (
            r[RELATES] == "No"
            and r["URN at time of latest graded inspection"] not in ("", r["URN"])
            and (int(r["URN"]), int(r["URN at time of latest graded inspection"])) in links
            and r["Overall effectiveness"] in LABELS
        )
    )
    predecessor = int(row["URN at time of latest graded inspection"])
    at = render(row["URN"])
    assert headers(at) == [row["School name"]]
    assert outcome(at) == LABELS[row["Overall effectiveness"]] + " (inherited)"
    table = timeline_table(at)
    inherited = table.loc[table["URN at the time"] == predecessor]
    assert not inherited.empty
    assert set(inherited["Inherited"]) == {"Inherited from predecessor"}
    assert row["Inspection start date"] in {d.strftime("%d/%m/%Y") for d in inherited["Start date"]}
    links_shown = [e for e in at.get("page_link") if f"URN {predecessor}" in e.proto.label]
    assert links_shown, "the predecessor is linked"
    assert links_shown[0].proto.page.endswith("school") or "urn" in links_shown[0].proto.query_string


def derived_grade(qoe: str, ba: str, pd_: str, lm: str, category: str, safeguarding: str) -> int:
    """DESIGN.md section 2, written out here independently of analytics.grades."""
    judgements = [int(qoe), int(ba), int(pd_), int(lm)]
    if 4 in judgements or category or safeguarding == "No":
        return 4
    if int(qoe) == 3 or int(lm) == 3:
        return 3
    if all(j == 1 for j in judgements):
        return 1
    return 2


def test_not_judged_2024_25_shows_derived_grade(app_env: Path) -> None:
    row = first_row(
        lambda r: (
            r["Overall effectiveness"] == "Not judged"
            and r[RELATES] == "Yes"
            and r["Quality of education"] == "3"
            and r["Effectiveness of leadership and management"] == "2"
        )
    )
    expected = derived_grade(
        row["Quality of education"],
        row["Behaviour and attitudes"],
        row["Personal development"],
        row["Effectiveness of leadership and management"],
        row["Category of concern"],
        row["Safeguarding is effective?"],
    )
    at = render(row["URN"])
    assert outcome(at) == f"{LABELS[str(expected)]} (derived)"
    latest = timeline_table(at).iloc[0]
    assert latest["Grade source"] == "derived from key judgements"
    assert any("derived" in c.value for c in at.caption)


def test_school_with_no_inspection(app_env: Path) -> None:
    row = first_row(lambda r: r["Overall effectiveness"] == "" and r["Inspection start date"] == "")
    at = render(row["URN"])
    assert headers(at) == [row["School name"]]
    assert outcome(at) == "Not inspected"
    assert any("no inspection recorded" in i.value for i in at.info)
    assert metric(at, "Days since last graded inspection") == "none recorded"


def test_unknown_urn_is_a_clear_message(app_env: Path) -> None:
    known = {int(r["URN"]) for r in ofsted_rows()} | {u for pair in predecessor_links() for u in pair}
    unknown = max(known) + 1
    at = render(str(unknown))
    assert any(f"No school with URN {unknown}" in e.value for e in at.error)
    assert not at.header


def test_not_a_number_is_a_clear_message(app_env: Path) -> None:
    at = render("abc")
    assert any("is not a URN" in e.value for e in at.error)


def test_search_then_choose_writes_the_deep_link(app_env: Path) -> None:
    row = first_row(lambda r: r["Postcode"] != "" and r["Overall effectiveness"] in LABELS)
    at = signed_in_app(timeout=90)
    at.switch_page("views/school.py")
    at.run()
    assert not at.exception
    at.text_input(key="school-search").input(row["Postcode"].lower()).run()
    choice = at.selectbox(key="school-choice")
    assert any(f"URN {row['URN']}" in str(option) for option in choice.options)
    choice.select(int(row["URN"])).run()
    assert not at.exception, at.exception
    assert at.query_params["urn"] in (row["URN"], [row["URN"]])
    assert headers(at) == [row["School name"]]


def test_header_names_the_category_of_concern(app_env: Path) -> None:
    """Issue 15 point 1: the header names the category, not only 'Inadequate (inherited)'."""
    row = first_row(lambda r: r["Category of concern"] == "SWK" and r[RELATES] == "No")
    at = render(row["URN"])
    assert outcome(at) == "Inadequate (inherited), in serious weaknesses"
