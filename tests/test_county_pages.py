"""AppTest of the county pages (overview, movement, districts) on the real demo data.

Expected figures come from the CLI (`python -m analytics kpis`) and the raw Ofsted CSV (csv module).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from app_under_test import serve
from signin import signed_in_app
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
OFSTED_CSV = next((ROOT / "data" / "ofsted-state-funded-inspections-outcomes-2025-08").glob("*.csv"))
LA = "Hertfordshire"
LABELS = {"1": "Outstanding", "2": "Good", "3": "Requires improvement", "4": "Inadequate"}


def _page(page: str, **params: str) -> AppTest:
    at = signed_in_app(query_params=params)  # signed in through the form, on the home page
    assert not at.exception, at.exception
    if page != "views/overview.py":
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", ["views/overview.py", "views/movement.py", "views/districts.py"])
def test_page_renders_and_keeps_filters_in_url(app_env: Path, page: str) -> None:
    at = _page(page, la="Kent", phase="Primary")
    assert at.title and "Kent" in at.title[0].value
    assert at.session_state["la"] == "Kent" and at.session_state["phase"] == "Primary"
    assert at.query_params["la"] in ("Kent", ["Kent"])
    at.run()  # a rerun keeps the choices
    assert not at.exception and at.session_state["la"] == "Kent"


def test_overview_headlines_equal_cli_kpis(app_env: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{app_env}"}
    out = subprocess.run(
        [sys.executable, "-m", "analytics", "kpis", "--la", LA, "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    cli = json.loads(out.stdout)
    at = _page("views/overview.py", la=LA)
    shown = {m.label: m.value for m in at.metric}
    assert shown["% schools good or outstanding"] == f"{cli['pct_schools_good_or_outstanding']:.1f}%"
    assert shown["% pupils in good or outstanding schools"] == f"{cli['pct_pupils_good_or_outstanding']:.1f}%"
    assert shown["Pupils in good or outstanding schools"] == f"{cli['pupils_in_good_or_outstanding']:,}"
    assert shown["Requires improvement"] == f"{cli['schools_requires_improvement']:,}"
    assert shown["Inadequate"] == f"{cli['schools_inadequate']:,}"
    assert shown["Serious weaknesses"] == f"{cli['schools_serious_weaknesses']:,}"
    assert shown["Special measures"] == f"{cli['schools_special_measures']:,}"
    assert shown["Stuck below good"] == f"{cli['schools_stuck_below_good']:,}"
    england = subprocess.run(
        [sys.executable, "-m", "analytics", "kpis", "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    table = next(d.value for d in at.dataframe if "Local authority" in d.value.columns)
    neighbours = table.set_index("Local authority")
    assert len(neighbours) == 12  # the LA, its ten statistical neighbours (LAIT) and England
    assert neighbours.loc[LA, "% good or outstanding"] == cli["pct_schools_good_or_outstanding"]
    assert (
        neighbours.loc["England", "% good or outstanding"]
        == json.loads(england.stdout)["pct_schools_good_or_outstanding"]
    )
    assert shown["% in an adverse category (SWK or SM)"] == f"{cli['pct_schools_in_category']:.1f}%"
    charts = [json.loads(chart.proto.spec)["layout"] for chart in at.get("plotly_chart")]
    trend = next(layout for layout in charts if "at each term end" in layout["title"]["text"])
    marked = {note["text"]: str(note["x"])[:10] for note in trend["annotations"]}
    assert marked["Report cards"] == "2025-11-10", "report cards began on 10 November 2025 (DESIGN.md)"
    assert sorted(str(shape["x0"])[:10] for shape in trend["shapes"]) == sorted(marked.values())


def _day(text: str) -> date | None:
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def test_movement_table_matches_raw_ofsted_csv_2023_24(app_env: Path) -> None:
    start, end = date(2023, 9, 1), date(2024, 8, 31)
    latest: dict[int, tuple[str, str]] = {}  # latest graded in the year: (new, previous)
    earlier: dict[int, str] = {}  # previous graded in the year (latest came later): new grade
    with OFSTED_CSV.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Local authority"] != LA:
                continue
            urn = int(row["URN"])
            when, before = _day(row["Inspection start date"]), _day(row["Previous inspection start date"])
            if when and start <= when <= end and row["Overall effectiveness"] in LABELS:
                latest[urn] = (
                    row["Overall effectiveness"],
                    row["Previous graded inspection overall effectiveness"],
                )
            elif before and start <= before <= end:
                earlier[urn] = row["Previous graded inspection overall effectiveness"]
    assert len(latest) > 50  # a real test: Hertfordshire had many graded inspections that year

    at = _page("views/movement.py", la=LA, pkind="academic year", period="2023/24")
    table = at.dataframe[0].value.set_index("URN")
    assert set(table.index) == set(latest) | set(earlier)
    assert table["School page"].str.fullmatch(r"/school\?urn=\d+").all()
    for urn, (new, previous) in latest.items():
        assert table.loc[urn, "New grade"] == LABELS[new], urn
        if previous in LABELS:
            expected = "improved" if new < previous else ("declined" if new > previous else "static")
            assert table.loc[urn, "Movement"] == expected, urn
            assert bool(table.loc[urn, "Previous certain"]), urn
        reprioritise = table.loc[urn, "Movement"] == "declined" or (
            table.loc[urn, "Movement"] == "static" and new in ("3", "4")
        )
        assert (table.loc[urn, "Flag"] == "Reprioritise") == reprioritise, urn
    for urn, new in earlier.items():
        assert table.loc[urn, "New grade"] == LABELS[new], urn


def test_districts_lists_a_districts_schools_with_drilldown_links(app_env: Path) -> None:
    at = _page("views/districts.py", la=LA)
    kpis = at.dataframe[0].value
    assert kpis["Schools"].sum() == at.dataframe[1].value.shape[0] + kpis["Schools"].iloc[1:].sum()
    listing = at.dataframe[1].value
    assert listing["School page"].str.fullmatch(r"/school\?urn=\d+").all()
    assert (listing["School page"] == "/school?urn=" + listing["URN"].astype(str)).all()
    other = kpis["District"].iloc[-1]
    at.selectbox(key="_w_district").set_value(other).run()
    assert not at.exception
    assert at.dataframe[1].value.shape[0] == int(kpis.set_index("District").loc[other, "Schools"])
    assert at.query_params["district"] in (other, [other])


@pytest.fixture
def mapped_env(demo_sqlite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of the demo database with a Kent 'postcode areas' mapping imported by the CLI."""
    import shutil

    copy = tmp_path / "mapped.db"
    shutil.copy(demo_sqlite, copy)
    mapping = tmp_path / "kent-areas.csv"
    with OFSTED_CSV.open(encoding="utf-8-sig", newline="") as handle, mapping.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["URN", "District"])
        for row in csv.DictReader(handle):
            if row["Local authority"] == "Kent" and row["Postcode"]:
                writer.writerow([row["URN"], row["Postcode"][:2]])  # postcode area: CT, ME, TN, DA, BR...
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{copy}"}
    subprocess.run(
        [sys.executable, "-m", "analytics", "import", "districts", str(mapping), "--scheme", "areas"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    for _ in serve(f"sqlite:///{copy}", monkeypatch):
        yield mapping


def test_districts_from_an_imported_mapping(mapped_env: Path) -> None:
    expected: Counter[str] = Counter()  # postcode area -> open schools, from the raw CSV
    with OFSTED_CSV.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Local authority"] == "Kent" and row["Postcode"]:
                expected[row["Postcode"][:2]] += 1
    at = _page("views/districts.py", la="Kent", scheme="areas")
    table = at.dataframe[0].value.set_index("District")
    assert {d: int(n) for d, n in table["Schools"].items()} == dict(expected)
    assert "areas" in at.selectbox(key="_w_scheme").options


def test_district_count_lists_the_schools_it_counts(app_env: Path) -> None:
    """Issue 15 point 1: a district's count opens its schools (here RI, from the raw file)."""
    with OFSTED_CSV.open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Local authority"] == LA]
    district = Counter(r["Parliamentary constituency"] for r in rows).most_common(1)[0][0]
    expected = {
        int(r["URN"])
        for r in rows
        if r["Parliamentary constituency"] == district and r["Overall effectiveness"] == "3"
    }
    at = _page("views/districts.py", la=LA, district=district, count="Requires improvement")
    listing = at.dataframe[-1].value
    assert set(listing["URN"]) >= expected
    assert set(listing["Headline grade"].str.split(" (", regex=False).str[0]) == {"Requires improvement"}
    assert listing["School page"].str.fullmatch(r"/school\?urn=\d+").all()
