"""Imports are idempotent and order-independent; later releases never delete inspections (both backends)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from store_checks import HISTORY_SLICE, OFSTED_SLICE, fresh_database, snapshot, table_checksum

from analytics.ingest import ofsted_history, ofsted_outcomes
from analytics.ingest.registry import HISTORY_FILE, OFSTED_FILE
from analytics.queries import INSPECTIONS, SCHOOLS, read_frame
from analytics.store.models import Inspection

NO_LOG = ("import_log",)
#: Surrogate ids, and which import first recorded an inspection, depend on the order of the imports.
ORDER_FREE = ("id", "first_import_id")


def import_both(
    engine: Engine, *, history_first: bool = False, ofsted: Path = OFSTED_FILE, history: Path = HISTORY_FILE
) -> None:
    if history_first:
        ofsted_history.import_file(engine, history)
        ofsted_outcomes.import_file(engine, ofsted)
    else:
        ofsted_outcomes.import_file(engine, ofsted)
        ofsted_history.import_file(engine, history)


def inspection_set(engine: Engine) -> tuple[int, str]:
    return table_checksum(engine, Inspection.__table__, exclude=ORDER_FREE)  # type: ignore[attr-defined]


@pytest.fixture
def twin(national_store: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A fresh empty database on the same backend as this run of `national_store` (which stays read-only)."""
    yield from fresh_database(
        "sqlite" if national_store.dialect.name == "sqlite" else "postgresql", tmp_path
    )


@pytest.mark.slow
def test_national_import_twice_changes_nothing(twin: Engine, national_store: Engine) -> None:
    import_both(twin)
    first = snapshot(twin, skip=NO_LOG)
    assert first == snapshot(national_store, skip=NO_LOG), "same files, same store"
    import_both(twin)
    assert snapshot(twin, skip=NO_LOG) == first
    assert first["school"][0] > 21_990 and first["inspection"][0] > 80_000


@pytest.mark.slow
def test_history_before_or_after_official_gives_the_same_inspections(
    twin: Engine, national_store: Engine
) -> None:
    import_both(twin, history_first=True)
    assert inspection_set(twin) == inspection_set(national_store)
    assert snapshot(twin, skip=NO_LOG, exclude=ORDER_FREE) == snapshot(
        national_store, skip=NO_LOG, exclude=ORDER_FREE
    )


def test_slice_order_independence(empty_store: Engine, tmp_path: Path) -> None:
    """The same on the slices (a cheap check that also runs where the national fixtures are deselected)."""
    from analytics.store.engine import make_engine, migrate

    import_both(empty_store, history_first=True, ofsted=OFSTED_SLICE, history=HISTORY_SLICE)
    if empty_store.dialect.name == "sqlite":
        other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
        migrate(other)
        import_both(other, ofsted=OFSTED_SLICE, history=HISTORY_SLICE)
        assert inspection_set(empty_store) == inspection_set(other)
        other.dispose()
    first = snapshot(empty_store, skip=NO_LOG)
    import_both(empty_store, ofsted=OFSTED_SLICE, history=HISTORY_SLICE)
    import_both(empty_store, history_first=True, ofsted=OFSTED_SLICE, history=HISTORY_SLICE)
    assert snapshot(empty_store, skip=NO_LOG) == first


# -------------------------------------------------------------------------------------------- a later release


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


LATEST_TO_PREVIOUS = {
    "Inspection number of latest graded inspection": "Previous inspection number",
    "Inspection start date": "Previous inspection start date",
    "Publication date": "Previous publication date",
    "URN at time of latest graded inspection": "URN at time of previous graded inspection",
    "LAESTAB at time of latest graded inspection": "LAESTAB at time of previous graded inspection",
    "School name at time of latest graded inspection": "School name at time of previous graded inspection",
    "School type at time of latest graded inspection": "School type at time of previous graded inspection",
    "Overall effectiveness": "Previous graded inspection overall effectiveness",
    "Category of concern": "Previous category of concern",
    "Quality of education": "Previous quality of education",
    "Behaviour and attitudes": "Previous behaviour and attitudes",
    "Personal development": "Previous personal development",
    "Effectiveness of leadership and management": "Previous effectiveness of leadership and management",
    "Safeguarding is effective?": "Previous safeguarding is effective?",
}


def second_release(tmp: Path) -> tuple[Path, dict[str, str]]:
    """September 2025 release: one school gone, one newly inspected, one inspection corrected."""
    rows = _rows(OFSTED_SLICE)
    gone = rows.pop(3)
    inspected = next(r for r in rows if r["Overall effectiveness"] == "2" and r["Previous inspection number"])
    old_latest, old_previous = (
        inspected["Inspection number of latest graded inspection"],
        inspected["Previous inspection number"],
    )
    for latest, previous in LATEST_TO_PREVIOUS.items():
        inspected[previous] = inspected[latest]
    inspected.update(
        {
            "Inspection number of latest graded inspection": "99990001",
            "Inspection start date": "17/09/2025",
            "Publication date": "20/10/2025",
            "Overall effectiveness": "Not judged",
            "Category of concern": "",
            "Quality of education": "3",
            "Behaviour and attitudes": "2",
            "Personal development": "2",
            "Effectiveness of leadership and management": "2",
            "Safeguarding is effective?": "Yes",
            "URN at time of latest graded inspection": inspected["URN"],
        }
    )
    corrected = next(r for r in rows if r is not inspected and r["Publication date"])
    corrected["Publication date"] = "01/09/2025"
    path = _write(tmp / OFSTED_SLICE.name.replace("31_August_2025", "30_September_2025"), rows)
    facts = {
        "gone": gone["URN"],
        "inspected": inspected["URN"],
        "old_latest": old_latest,
        "old_previous": old_previous,
        "corrected": corrected["Inspection number of latest graded inspection"],
    }
    return path, facts


def test_second_release_closes_vanished_school_and_deletes_no_inspection(
    empty_store: Engine, tmp_path: Path
) -> None:
    import_both(empty_store, ofsted=OFSTED_SLICE, history=HISTORY_SLICE)
    before = read_frame(empty_store, select(INSPECTIONS))
    path, facts = second_release(tmp_path)
    ofsted_outcomes.import_file(empty_store, path)
    after = read_frame(empty_store, select(INSPECTIONS))
    schools = read_frame(empty_store, select(SCHOOLS)).set_index("urn")

    assert set(before["id"]) <= set(after["id"]), "no inspection row was deleted"
    assert len(after) == len(before) + 1
    assert not bool(schools.loc[int(facts["gone"]), "is_open"])
    assert schools["is_open"].sum() == len(_rows(OFSTED_SLICE)) - 1
    moved = schools.loc[int(facts["inspected"])]
    assert (moved["latest_graded_number"], moved["previous_graded_number"]) == (
        "99990001",
        facts["old_latest"],
    )
    assert facts["old_previous"] in set(after["inspection_number"]), "the dropped previous inspection is kept"
    new = after.set_index("inspection_number").loc["99990001"]
    assert (new["quality_of_education"], str(new["start_date"])) == (3, "2025-09-17")
    fixed = after.set_index("inspection_number").loc[facts["corrected"]]
    assert str(fixed["publication_date"]) == "2025-09-01"

    # The same release again changes nothing.
    state = snapshot(empty_store, skip=NO_LOG)
    ofsted_outcomes.import_file(empty_store, path)
    assert snapshot(empty_store, skip=NO_LOG) == state
