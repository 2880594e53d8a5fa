"""How old the data are: the data-age line on every page, the staleness warning, the Data page (sources,
releases, "inspected since last month", the browser import of the monthly file) and the report-card figures.

Real demo data (`init-demo`: the official August 2025 file, the history, then the 2026 management-information
sample). "Today" is fixed with ANALYTICS_TODAY. Expected values come from the raw CSVs (csv module).
Every page is opened through `open_page` so that a sign-in step can be added in one place.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from signin import signed_in_app
from streamlit.testing.v1 import AppTest

from analytics.freshness import age_text, describe, is_stale, whole_months
from analytics.ingest.registry import OFSTED_FILE, OFSTED_MI_FILE

APP = Path(__file__).resolve().parents[1] / "app.py"


# ------------------------------------------------------------------------------------------- raw files


def raw_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [{k: ("" if v == "NULL" else v) for k, v in r.items()} for r in csv.DictReader(handle)]


def day(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


def sample_as_at() -> date:
    """The sample's file name carries no 'as_at' date, so its release is dated by its newest publication."""
    rows = raw_rows(OFSTED_MI_FILE)
    columns = [c for c in rows[0] if "publication date" in c.lower()]
    return max(day(r[c]) for r in rows for c in columns if r[c])


def official_numbers() -> set[str]:
    """Every inspection number the official August 2025 file states."""
    rows = raw_rows(OFSTED_FILE)
    columns = [c for c in rows[0] if "inspection number" in c.lower()]
    return {r[c] for r in rows for c in columns if r[c]}


# ------------------------------------------------------------------------------------------- pure rules


@pytest.mark.parametrize(
    ("as_at", "today", "age", "stale"),
    [
        (date(2026, 5, 17), date(2026, 5, 17), "today", False),
        (date(2026, 5, 17), date(2026, 5, 18), "1 day old", False),
        (date(2026, 5, 17), date(2026, 6, 16), "30 days old", False),
        (date(2026, 5, 17), date(2026, 6, 17), "1 month old", False),
        (date(2026, 5, 17), date(2026, 7, 17), "2 months old", False),  # exactly two months: not yet
        (date(2026, 5, 17), date(2026, 7, 18), "2 months old", True),
        (date(2026, 5, 31), date(2026, 7, 31), "2 months old", False),  # month end to month end
        (date(2026, 5, 31), date(2026, 8, 1), "2 months old", True),
        (date(2026, 4, 30), date(2026, 6, 30), "2 months old", False),
        (date(2025, 8, 31), date(2026, 11, 30), "1 year 3 months old", True),
        (date(2025, 8, 31), date(2026, 8, 31), "1 year old", True),
    ],
)
def test_age_and_staleness(as_at: date, today: date, age: str, stale: bool) -> None:
    assert age_text(as_at, today) == age
    assert is_stale(as_at, today) is stale
    found = describe(as_at, today)
    assert found.line == f"Ofsted data as at {as_at:%d %B %Y} ({age})"
    assert found.stale is stale


def test_whole_months_counts_complete_months_only() -> None:
    assert whole_months(date(2026, 5, 15), date(2026, 6, 14)) == 0
    assert whole_months(date(2026, 5, 15), date(2026, 6, 15)) == 1
    assert whole_months(date(2026, 1, 31), date(2026, 2, 28)) == 1


# -------------------------------------------------------------------------------------------- AppTests


def open_page(page: str | None = None, **params: str) -> AppTest:
    """Run the app on `page` (None = home) with URL query parameters; the one way these tests open a page."""
    at = signed_in_app(timeout=120, query_params=dict(params))  # the first run declares the menu
    if page is not None:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def set_today(monkeypatch: pytest.MonkeyPatch, today: date) -> None:
    from analytics.config import get_settings

    monkeypatch.setenv("ANALYTICS_TODAY", today.isoformat())
    get_settings.cache_clear()


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


@pytest.mark.parametrize("page", [None, "views/data_status.py", "views/model_card.py"])
def test_the_data_age_line(app_env: Path, monkeypatch: pytest.MonkeyPatch, page: str | None) -> None:
    """The line is drawn by app.py around every page. AppTest drops app.py's own elements after a page
    switch on pages that also draw in the sidebar, so every page is checked in the browser
    (tests/browser/test_browser_data_age.py); here the home page and two pages without a sidebar."""
    as_at = sample_as_at()
    set_today(monkeypatch, as_at + timedelta(days=10))
    at = open_page(page)
    assert f"Ofsted data as at {as_at:%d %B %Y} (10 days old)" in captions(at)
    assert not [w for w in at.warning if "newest Ofsted release" in w.value]


def test_a_release_over_two_months_old_is_warned_about(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_at = sample_as_at()
    set_today(monkeypatch, date(as_at.year, as_at.month + 2, as_at.day + 1))
    at = open_page()
    assert f"Ofsted data as at {as_at:%d %B %Y} (2 months old)" in captions(at)
    warnings = [w.value for w in at.warning if "newest Ofsted release" in w.value]
    assert len(warnings) == 1 and f"as at {as_at:%d %B %Y}, more than 2 months ago" in warnings[0]
    set_today(monkeypatch, date(as_at.year, as_at.month + 2, as_at.day))  # exactly two months: no warning
    assert not [w for w in open_page().warning if "newest Ofsted release" in w.value]


def test_data_page_lists_the_inspections_the_monthly_file_added(
    app_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Report cards in the sample are new since August 2025: each is listed with its areas and the school's
    previous graded inspection; nothing the official file already stated is listed."""
    set_today(monkeypatch, sample_as_at())
    at = open_page("views/data_status.py")
    releases = at.dataframe[1].value
    assert list(releases["As at"].astype(str))[0] == sample_as_at().isoformat()
    assert "Inspected since last month" in [s.value for s in at.subheader]
    listed = at.dataframe[2].value
    known = official_numbers()
    cards = [r for r in raw_rows(OFSTED_MI_FILE) if r["Inspection number of latest full inspection"]]
    assert cards, "the sample has report cards"
    for row in cards:
        if row["Inspection number of latest full inspection"] in known:
            continue
        shown = listed.loc[listed["URN"] == int(row["URN"])]
        start = day(row["Inspection start date"])
        mine = shown.loc[shown["Inspection start"] == start]
        assert len(mine) == 1, row["URN"]
        assert mine["Outcome"].iloc[0].startswith("Report card")
        assert f"Leadership and governance: {row['Leadership and governance'].lower()}" in (
            mine["Report-card areas"].iloc[0]
        )
    # 100025: its 2016 Outstanding is the previous graded inspection (from the official file).
    official = next(r for r in raw_rows(OFSTED_FILE) if r["URN"] == "100025")
    previous = listed.loc[listed["URN"] == 100025, "Previous graded inspection"].iloc[0]
    assert previous == f"Outstanding, {day(official['Inspection start date']):%d/%m/%Y}"
    assert at.get("download_button"), "the list can be downloaded"


def test_data_page_imports_the_monthly_file_and_the_age_line_follows(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Upload a later release (the sample less its last row, named as Ofsted names it, as at 31 May 2026):
    imported in the background, then the data-age line shows the new date without clearing any cache."""
    set_today(monkeypatch, date(2026, 6, 10))
    lines = OFSTED_MI_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    data = "".join(lines[:-1]).encode()
    at = open_page("views/data_status.py")
    assert f"Ofsted data as at {sample_as_at():%d %B %Y} (24 days old)" in captions(at)
    at.file_uploader[0].set_value(("latest_inspections_as_at_31_May_2026.csv", data, "text/csv"))
    at.run()
    at.button(key="data-ofsted-mi-start").click()
    at.run()
    deadline = time.monotonic() + 120
    while not (at.success or at.error) and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.exception, at.exception
    assert at.success and f"{len(lines) - 2:,} rows read" in at.success[0].value, [e.value for e in at.error]
    assert "Ofsted data as at 31 May 2026 (10 days old)" in captions(at)


def test_data_page_reports_a_rejected_monthly_file(demo_copy: Path) -> None:
    rows = list(csv.reader(io.StringIO(OFSTED_MI_FILE.read_text(encoding="utf-8"))))
    rows[0] = ["Unique reference number" if c == "URN" else c for c in rows[0]]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    at = open_page("views/data_status.py")
    at.file_uploader[0].set_value(("renamed.csv", buffer.getvalue().encode(), "text/csv"))
    at.run()
    at.button(key="data-ofsted-mi-start").click()
    at.run()
    deadline = time.monotonic() + 60
    while not (at.success or at.error) and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.exception, at.exception
    assert at.error and "rejected" in at.error[0].value
    reports = [d.value for d in at.dataframe if list(d.value.columns) == ["file", "row", "column", "reason"]]
    assert len(reports) == 1
    report = reports[0]
    assert (report["column"] == "URN").any() and report["reason"].str.contains("missing").any()


# ------------------------------------------------------------------------------------ report cards in views


def shown(value: object, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{float(value):.1f}%" if unit == "%" else f"{int(value):,}"  # type: ignore[arg-type]


def test_camden_overview_figures_match_the_raw_files(app_env: Path) -> None:
    """After the official August 2025 file and the monthly sample: the 1-4 figures over schools graded on
    the four-point scale (and how many), and the report-card figures beside them."""
    from test_ofsted_mi import expected_camden

    county, cards, uninspected = expected_camden()
    at = open_page(None, la="Camden")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["% schools good or outstanding"] == shown(county["pct_schools_good_or_outstanding"], "%")
    pupils = county["pupils_in_good_or_outstanding"]
    assert metrics["Pupils in good or outstanding schools"] == shown(pupils, "")
    assert metrics["Requires improvement"] == shown(county["schools_requires_improvement"], "")
    assert metrics["Uninspected"] == shown(uninspected, "")
    assert metrics["Schools with a report card"] == shown(cards["schools_with_report_card"], "")
    assert metrics["% with every area at expected standard or above"] == shown(
        cards["pct_report_cards_expected_or_above"], "%"
    )
    assert metrics["Any area 'needs attention'"] == shown(cards["schools_any_needs_attention"], "")
    assert metrics["Placed in a category of concern"] == shown(cards["schools_in_category_of_concern"], "")
    school = "school" if county["schools_with_grade"] == 1 else "schools"
    assert any(
        c.startswith(f"Over {county['schools_with_grade']:,} {school} whose latest graded inspection is on "
                     "the four-point scale") for c in captions(at)
    )


def test_school_page_shows_the_report_card_with_area_dates(app_env: Path) -> None:
    raw = next(r for r in raw_rows(OFSTED_MI_FILE) if r["URN"] == "100025")
    at = open_page("views/school.py", urn="100025")
    assert "Report card" in [s.value for s in at.subheader]
    card = next(d.value for d in at.dataframe if list(d.value.columns) == ["Area", "Grade", "Date of grade"])
    by_area = card.set_index("Area")
    assert by_area.loc["Leadership and governance", "Grade"] == raw["Leadership and governance"].lower()
    assert by_area.loc["Leadership and governance", "Date of grade"] == day(
        raw["Leadership and governance - date of grade"]
    )
    assert by_area.loc["Safeguarding", "Grade"] == raw["Safeguarding standards"]
    graded = [c for c in ("Inclusion", "Curriculum and teaching", "Achievement", "Attendance and behaviour",
                          "Personal development and wellbeing", "Early years (where applicable)",
                          "Post-16 provision (where applicable)", "Leadership and governance")
              if raw[c] and raw[c] != "Not applicable"]
    assert len(card) == len(graded) + 2  # the graded areas, safeguarding and the derived adverse flag
    assert "Adverse flag (derived, for continuity)" in by_area.index
