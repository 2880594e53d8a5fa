"""The one read model: caches follow every import, every page reads through the viewer's scope, and a
school has one due date everywhere (issue 9). Real demo database, real Streamlit (AppTest), the real
command line.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from app_under_test import analytics_cli, environment_for
from signin import signed_in_app
from sqlalchemy import Engine, delete, insert
from streamlit.testing.v1 import AppTest

from analytics import derived, lineage, queries
from analytics import school_profile as sp
from analytics.due_dates import last_inspections, school_due
from analytics.risk.listing import risk_listing
from analytics.store.engine import make_engine

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
OFSTED_CSV = next((ROOT / "data" / "ofsted-state-funded-inspections-outcomes-2025-08").glob("*.csv"))
PAGES = [
    "views/overview.py",
    "views/movement.py",
    "views/districts.py",
    "views/school.py",
    "views/risk_register.py",
    "views/data_status.py",
]


def cli(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return analytics_cli(environment_for(f"sqlite:///{database}"), *args)


@pytest.fixture
def own_database(demo_sqlite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo database the app is pointed at. Streamlit's caches are NOT cleared: a stale
    cache must show up here as a failure."""
    from analytics.config import get_settings

    copy = tmp_path / "own.db"
    shutil.copy(demo_sqlite, copy)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{copy}")
    get_settings.cache_clear()
    yield copy
    get_settings.cache_clear()


def kent_mapping(folder: Path) -> Path:
    """A real-looking district mapping: Kent's schools by postcode area, from the raw Ofsted file."""
    mapping = folder / "kent-areas.csv"
    with OFSTED_CSV.open(encoding="utf-8-sig", newline="") as handle, mapping.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["URN", "District"])
        for row in csv.DictReader(handle):
            if row["Local authority"] == "Kent" and row["Postcode"]:
                writer.writerow([row["URN"], row["Postcode"][:2]])
    return mapping


def test_a_cli_import_shows_in_the_next_rerun_without_clearing_caches(
    own_database: Path, tmp_path: Path
) -> None:
    at = signed_in_app(query_params={"la": "Kent"})
    at.switch_page("views/districts.py")
    at.run()
    assert not at.exception, at.exception
    assert "postcode-areas" not in at.selectbox(key="_w_scheme").options

    done = cli(own_database, "import", "districts", str(kent_mapping(tmp_path)), "--scheme", "postcode-areas")
    assert done.returncode == 0, done.stderr

    at.run()  # the same session, the same process, caches untouched
    assert not at.exception, at.exception
    assert "postcode-areas" in at.selectbox(key="_w_scheme").options
    fresh = signed_in_app(query_params={"la": "Kent", "scheme": "postcode-areas"})  # and a new session
    fresh.switch_page("views/districts.py")
    fresh.run()
    assert not fresh.exception, fresh.exception
    districts = next(d.value for d in fresh.dataframe if "District" in d.value.columns)
    assert {"CT", "ME", "TN"} <= set(districts["District"])


def urns_shown(at: AppTest) -> set[int]:
    """Every URN in every table on the page (tables name it 'URN' or 'urn')."""
    found: set[int] = set()
    for frame in at.dataframe:
        for column in ("URN", "urn"):
            if column in frame.value.columns:
                found |= {int(u) for u in frame.value[column].dropna()}
    return found


@pytest.mark.parametrize("page", PAGES)
def test_a_one_la_scope_never_shows_another_las_school(app_env: Path, page: str) -> None:
    with OFSTED_CSV.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rutland = {int(r["URN"]) for r in rows if r["Local authority"] == "Rutland"}
    kent_school = next(r["URN"] for r in rows if r["Local authority"] == "Kent")
    # a director of Rutland whose link asks for another LA and a Kent school: refused, never shown
    at = signed_in_app(la="Rutland", query_params={"la": "Kent", "urn": kent_school})
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    assert urns_shown(at) <= rutland
    for box in at.selectbox:
        if box.label == "Local authority":
            assert list(box.options) == ["Rutland"]
    shown = " ".join(str(e.value) for e in [*at.title, *at.header, *at.subheader, *at.text, *at.caption])
    assert "Kent" not in shown.replace("'Kent' was not found", "")
    if page == "views/school.py":
        assert any("No school with URN" in e.value for e in at.error)
        at.text_input(key="school-search").input("Kent").run()  # search finds no school outside the scope
        choice = [s for s in at.selectbox if s.key == "school-choice"]
        assert not choice or all(int(o) in rutland for o in choice[0].options)


@pytest.fixture(scope="module")
def demo_engine(demo_sqlite: Path) -> Engine:
    return make_engine(f"sqlite:///{demo_sqlite}")


def test_register_listing_and_school_profile_give_every_open_school_the_same_due_date(
    demo_engine: Engine,
) -> None:
    """The listing (risk register, `score`) and the school page (`school URN`) show one due date per
    school."""
    from analytics.profiles import NationalFrames, load_profile

    frames = NationalFrames.load(demo_engine)
    listing = risk_listing(
        frames.headlines,
        pd.DataFrame(columns=["urn", "risk", "band", "national_share", "drivers"]),
        frames.due,
    ).set_index("URN")
    assert len(listing) == len(frames.headlines) == len(frames.due)
    table = frames.due.set_index("urn")
    # Every open school: the listing shows the due table's date, which is what the profile reads.
    assert listing.index.is_unique and set(listing.index) == set(table.index)
    assert (listing["Next inspection due by (approx.)"] == table["due_date"].reindex(listing.index)).all()
    assert ((listing["Overdue"] == "overdue") == table["overdue"].reindex(listing.index).astype(bool)).all()
    # The school page's own profile, for a sample (the example 105649, a split school, a new academy).
    sample = random.Random(9).sample(sorted(table.index), 150) + [105649, 145956, 149940]
    for urn in sample:
        profile = load_profile(demo_engine, urn, frames)
        assert profile is not None and profile.due is not None
        assert profile.due.due == listing.loc[urn, "Next inspection due by (approx.)"], urn
        assert profile.summary()["due_date"] == (str(profile.due.due) if profile.due.due else None)


def test_due_table_equals_a_per_school_computation(demo_engine: Engine) -> None:
    """The national due table (one vectorised pass) against each school worked out on its own: its lineage
    walked from the school page's GIAS chain, its inspections read for those URNs only."""
    version = derived.data_version(demo_engine)
    headlines = derived.load(demo_engine, "headlines", version).set_index("urn", drop=False)
    table = derived.load(demo_engine, "due", version).set_index("urn")
    links = queries.school_links(demo_engine)
    linked = set(links["urn"].astype(int)) | set(links["link_urn"].astype(int))
    with_links = sorted(u for u in headlines.index if u in linked)
    sample = random.Random(3).sample(with_links, 120) + random.Random(4).sample(sorted(headlines.index), 120)
    sample += [105649, 145956]
    for urn in sample:
        school = headlines.loc[urn]
        numbers = [str(n) for n in school[list(lineage.POINTER_COLUMNS)].dropna()]
        pointed = queries.inspections_by_number(demo_engine, numbers)
        urns = {urn, *sp.school_lineage(links, urn).predecessor_urns, *(int(u) for u in pointed["urn"])}
        inspections = queries.inspections(demo_engine, sorted(urns))
        members = pd.DataFrame({"school_urn": urn, "urn": sorted(urns)})
        due = school_due(school, last_inspections(school.to_frame().T, members, inspections).iloc[0])
        assert (due.due, due.rule) == (table.loc[urn, "due_date"], table.loc[urn, "due_rule"]), urn
    # URN 105649 (issue 9): Good 2016, ungraded 17/11/2021 -> next ungraded about four years later.
    assert str(table.loc[105649, "due_date"]) == "2025-11-17" and not table.loc[105649, "overdue"]


def test_school_command_prints_the_profile(demo_sqlite: Path) -> None:
    with OFSTED_CSV.open(encoding="utf-8-sig", newline="") as handle:
        row = next(
            r
            for r in csv.DictReader(handle)
            if r["Overall effectiveness"] == "2"
            and r["Does the latest graded inspection relate to the URN of the current school?"] == "Yes"
        )
    done = cli(demo_sqlite, "school", row["URN"], "--format", "json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert {
        "urn",
        "name",
        "la",
        "phase",
        "headline_grade",
        "grade_source",
        "latest_graded_date",
        "due_date",
        "due_rule",
        "overdue",
        "predecessor_urns",
    } <= set(printed)
    assert printed["urn"] == int(row["URN"]) and printed["name"] == row["School name"]
    assert printed["la"] == row["Local authority"] and printed["headline_grade"] == 2
    day, month, year = row["Inspection start date"].split("/")
    assert printed["latest_graded_date"] == f"{year}-{month}-{day}"
    assert printed["grade_source"] == "own"
    unknown = cli(demo_sqlite, "school", "999999", "--format", "json")
    assert unknown.returncode == 2 and "No school with URN 999999" in unknown.stderr
    assert cli(demo_sqlite, "school", "abc").returncode == 2


SLICES = ROOT / "tests" / "data"
OUTCOMES_SLICE = SLICES / "ofsted_outcomes_slice_as_at_31_August_2025.csv"
MI_SCHOOLS_SLICE = SLICES / "ofsted_outcomes_mi_schools_slice_as_at_31_August_2025.csv"


def test_pages_see_a_new_import_once_its_read_model_is_stored(empty_store: Engine) -> None:
    """While `refresh` stores a new import's frames, pages keep the previous complete version (their cached
    pages stay valid instead of each session building the frames the refresh is building); the new version
    shows once every frame is stored, and the previous one's frames stay for sessions still reading them."""
    from analytics.ingest import ofsted_outcomes
    from analytics.store import data_version

    ofsted_outcomes.import_file(empty_store, OUTCOMES_SLICE)
    first = derived.refresh(empty_store)
    assert derived.visible_version(empty_store) == first == data_version(empty_store)

    ofsted_outcomes.import_file(empty_store, MI_SCHOOLS_SLICE)
    second = data_version(empty_store)
    assert second > first
    seen: list[int] = []
    derived.refresh(empty_store, progress=lambda _: seen.append(derived.visible_version(empty_store)))
    assert len(seen) >= 5 and set(seen) == {first}  # every school-data frame was rebuilt meanwhile
    assert derived.visible_version(empty_store) == second
    assert derived.has(empty_store, "headlines", first)  # kept for sessions still on the previous version

    ofsted_outcomes.import_file(empty_store, OUTCOMES_SLICE, replace_later=True)
    third = data_version(empty_store)
    assert third > second
    derived.refresh(empty_store)
    assert derived.visible_version(empty_store) == third
    assert not derived.has(empty_store, "headlines", first) and derived.has(empty_store, "headlines", second)


def test_a_failed_or_abandoned_refresh_does_not_hide_the_new_version(empty_store: Engine) -> None:
    """A refresh that fails shows the new version at once (pages build what is missing); one killed midway
    (its marker left behind) hides it for REFRESH_HIDES_AT_MOST at most."""
    from analytics.ingest import ofsted_outcomes
    from analytics.store import data_version

    ofsted_outcomes.import_file(empty_store, OUTCOMES_SLICE)
    first = derived.refresh(empty_store)
    ofsted_outcomes.import_file(empty_store, MI_SCHOOLS_SLICE)
    second = data_version(empty_store)

    def fail(_: str) -> None:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        derived.refresh(empty_store, progress=fail)
    assert derived.visible_version(empty_store) == second

    def leave_marker(started: datetime) -> None:
        """What a refresh killed midway leaves behind: its marker."""
        table = derived.TABLE
        with empty_store.begin() as connection:
            connection.execute(delete(table).where(table.c.name == derived.REFRESHING))
            marker = {"name": derived.REFRESHING, "data_version": second, "created_at": started}
            connection.execute(insert(table).values(payload=b"", **marker))

    leave_marker(datetime.now(UTC) - timedelta(minutes=1))
    assert derived.visible_version(empty_store) == first
    leave_marker(datetime.now(UTC) - derived.REFRESH_HIDES_AT_MOST - timedelta(minutes=1))
    assert derived.visible_version(empty_store) == second


def test_an_import_refreshed_right_after_is_hidden_from_its_commit(empty_store: Engine) -> None:
    """The command line and page uploads refresh right after importing: their import's own transaction marks
    the refresh as pending, so no page sees the new version before its frames exist (a page seeing it in that
    moment would build them itself). An import nobody refreshes shows at once (pages build what it lacks)."""
    from analytics.ingest import ofsted_outcomes
    from analytics.store import data_version

    ofsted_outcomes.import_file(empty_store, OUTCOMES_SLICE)
    first = derived.refresh(empty_store)
    with derived.refresh_follows():
        ofsted_outcomes.import_file(empty_store, MI_SCHOOLS_SLICE)
    second = data_version(empty_store)
    assert second > first and derived.visible_version(empty_store) == first
    derived.refresh(empty_store)
    assert derived.visible_version(empty_store) == second

    ofsted_outcomes.import_file(empty_store, OUTCOMES_SLICE, replace_later=True)
    assert derived.visible_version(empty_store) == data_version(empty_store) > second
