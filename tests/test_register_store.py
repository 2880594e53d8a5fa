"""The register's writes on both backends: one audit row per change in the same transaction, none for a failed
change, no lost update under concurrent writers, a clear conflict for a stale form, survival of data imports.

Stores hold the real Ofsted slice (four whole LAs); schools are chosen from the raw slice with the csv module.
"""

from __future__ import annotations

import csv
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from store_checks import HISTORY_SLICE, OFSTED_SLICE, snapshot

from analytics.ingest import ofsted_history, ofsted_outcomes
from analytics.register import audit, entries, interventions, reviews, settings
from analytics.register.base import AUDIT, ENTRIES, INTERVENTIONS, Conflict, InvalidInput, write_transaction
from analytics.store.engine import make_engine, migrate

REGISTER_TABLES = (
    "register_entry",
    "register_intervention",
    "register_note",
    "register_review",
    "register_meeting",
    "register_setting",
    "register_audit",
)
BY = "director@la.gov.uk"


def slice_rows() -> list[dict[str, str]]:
    with open(OFSTED_SLICE, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def urns_where(condition: Callable[[dict[str, str]], bool]) -> list[int]:
    return [int(r["URN"]) for r in slice_rows() if condition(r)]


GOOD = urns_where(lambda r: r["Overall effectiveness"] == "2")
IN_CATEGORY = urns_where(lambda r: r["Category of concern"] in ("SM", "SWK"))


@pytest.fixture
def store(empty_store: Engine) -> Engine:
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    return empty_store


def register_snapshot(engine: Engine) -> dict[str, tuple[int, str]]:
    every = snapshot(engine)
    return {name: every[name] for name in REGISTER_TABLES}


def audit_count(engine: Engine) -> int:
    return audit.count(engine)


def test_each_change_writes_exactly_one_audit_row(store: Engine) -> None:
    urn, other = GOOD[0], GOOD[1]
    changes: list[tuple[str, Callable[[], Any]]] = [
        (
            "entry",
            lambda: entries.record_level(
                store,
                urn,
                scheme="support-levels",
                level="Targeted",
                reason="attendance falling",
                by=BY,
                strands=["behaviour"],
            ),
        ),
        (
            "entry",
            lambda: entries.record_level(
                store,
                urn,
                scheme="support-levels",
                level="Intensive",
                reason="safeguarding concern",
                by=BY,
                expected_version=1,
            ),
        ),
        (
            "intervention",
            lambda: interventions.add_intervention(
                store, urn, type="Task group", start=date(2025, 9, 15), planned_days=6, by=BY
            ),
        ),
        (
            "intervention",
            lambda: interventions.update_intervention(
                store, 1, expected_version=1, by=BY, reason="visits done", used_days=2.5
            ),
        ),
        (
            "note",
            lambda: interventions.add_note(
                store, urn, visit_date=date(2025, 10, 1), text="Visit", by=BY, intervention_id=1
            ),
        ),
        (
            "review",
            lambda: reviews.record_review(
                store,
                urn,
                meeting_date=date(2025, 10, 20),
                attendees="HT",
                decisions="continue",
                by=BY,
                agenda={"Finance": "deficit"},
            ),
        ),
        (
            "review",
            lambda: reviews.update_review(
                store, 1, expected_version=1, by=BY, reason="typo", decisions="continue the plan"
            ),
        ),
        ("meeting", lambda: reviews.record_meeting(store, "Rutland", date(2025, 10, 28), by=BY)),
        ("setting", lambda: settings.put(store, "Rutland", settings.DAY_RATE, 500, by=BY, reason="new rate")),
        (
            "entry",
            lambda: entries.record_level(
                store, other, scheme="categories", level="2", reason="two strands", by=BY
            ),
        ),
    ]
    for number, (entity, change) in enumerate(changes, start=1):
        change()
        log = audit.audit_log(store)
        assert len(log) == number, f"change {number} ({entity})"
        assert log.iloc[0]["entity"] == entity and log.iloc[0]["by"] == BY
    log = audit.audit_log(store).sort_values("id")
    assert list(log["entity"]) == [entity for entity, _ in changes]
    first_level = log.iloc[1]
    assert (
        '"level": "Targeted"' in first_level["old_value"]
        and '"level": "Intensive"' in first_level["new_value"]
    )
    assert first_level["reason"] == "safeguarding concern"
    used = log.iloc[3]
    assert '"used_days": 0.0' in used["old_value"] and '"used_days": 2.5' in used["new_value"]


@pytest.mark.parametrize(
    ("field", "change"),
    [
        (
            "urn",
            lambda e: entries.record_level(
                e, 999_999_999, scheme="support-levels", level="Targeted", reason="r", by=BY
            ),
        ),
        (
            "scheme",
            lambda e: entries.record_level(
                e, GOOD[0], scheme="traffic lights", level="Targeted", reason="r", by=BY
            ),
        ),
        (
            "level",
            lambda e: entries.record_level(
                e, GOOD[0], scheme="support-levels", level="Amber-ish", reason="r", by=BY
            ),
        ),
        (
            "reason",
            lambda e: entries.record_level(
                e, GOOD[0], scheme="support-levels", level="Targeted", reason="   ", by=BY
            ),
        ),
        (
            "by",
            lambda e: entries.record_level(
                e, GOOD[0], scheme="support-levels", level="Targeted", reason="r", by="director"
            ),
        ),
        (
            "strand",
            lambda e: entries.record_level(
                e, GOOD[0], scheme="support-levels", level="Targeted", reason="r", by=BY, strands=["weather"]
            ),
        ),
        (
            "effective date",
            lambda e: entries.record_level(
                e,
                GOOD[0],
                scheme="support-levels",
                level="Targeted",
                reason="r",
                by=BY,
                effective=date.today() + timedelta(days=1),
            ),
        ),
        (
            "review-by",
            lambda e: entries.record_level(
                e,
                GOOD[0],
                scheme="support-levels",
                level="Targeted",
                reason="r",
                by=BY,
                effective=date(2025, 1, 10),
                next_review=date(2025, 1, 1),
            ),
        ),
        (
            "level",
            lambda e: entries.record_level(e, GOOD[0], scheme="categories", level="4b", reason="r", by=BY),
        ),
        (
            "stage",
            lambda e: entries.record_level(
                e, GOOD[0], scheme="support-levels", level="Targeted", reason="r", by=BY, stage="2"
            ),
        ),
        (
            "days",
            lambda e: interventions.add_intervention(
                e, GOOD[0], type="Task group", start=date(2025, 9, 1), planned_days=-1, by=BY
            ),
        ),
        (
            "type",
            lambda e: interventions.add_intervention(
                e, GOOD[0], type="Homework club", start=date(2025, 9, 1), planned_days=1, by=BY
            ),
        ),
        (
            "visit date",
            lambda e: interventions.add_note(
                e, GOOD[0], visit_date=date.today() + timedelta(days=3), text="x", by=BY
            ),
        ),
        ("note", lambda e: interventions.add_note(e, GOOD[0], visit_date=date(2025, 1, 1), text="", by=BY)),
        (
            "meeting date",
            lambda e: reviews.record_review(
                e, GOOD[0], meeting_date=date.today() + timedelta(1), attendees="a", decisions="d", by=BY
            ),
        ),
        (
            "decisions",
            lambda e: reviews.record_review(
                e, GOOD[0], meeting_date=date(2025, 1, 1), attendees="a", decisions=" ", by=BY
            ),
        ),
        ("day rate", lambda e: settings.put(e, "Rutland", settings.DAY_RATE, -5, by=BY, reason="r")),
    ],
)
def test_a_refused_change_writes_nothing(store: Engine, field: str, change: Callable[[Engine], Any]) -> None:
    before = register_snapshot(store)
    with pytest.raises(InvalidInput) as refused:
        change(store)
    assert refused.value.field == field, str(refused.value)
    assert str(refused.value).startswith(f"{field}: ")
    assert register_snapshot(store) == before


def test_a_rolled_back_change_leaves_no_audit_row(store: Engine) -> None:
    """The audit row is written on the change's own connection: rolling back after it removes both."""
    with pytest.raises(RuntimeError, match="after the audit row"), write_transaction(store) as connection:
        entries.record_level_in(
            connection, GOOD[0], scheme="support-levels", level="Targeted", reason="r", by=BY
        )
        assert connection.execute(select(func.count()).select_from(AUDIT)).scalar_one() == 1
        raise RuntimeError("failure after the audit row")
    assert audit_count(store) == 0
    assert entries.school_version(store, GOOD[0]) == 0


def test_a_stale_form_gets_a_clear_conflict(store: Engine) -> None:
    urn = GOOD[0]
    read_by_a = read_by_b = entries.school_version(store, urn)  # two editors open the same school
    entries.record_level(
        store,
        urn,
        scheme="support-levels",
        level="Intensive",
        reason="A's decision",
        by="a@la.gov.uk",
        expected_version=read_by_a,
    )
    before = register_snapshot(store)
    with pytest.raises(Conflict) as conflict:
        entries.record_level(
            store,
            urn,
            scheme="support-levels",
            level="Universal",
            reason="B's decision",
            by="b@la.gov.uk",
            expected_version=read_by_b,
        )
    message = str(conflict.value)
    assert "a@la.gov.uk" in message and "Nothing was saved" in message and str(urn) in message
    assert register_snapshot(store) == before
    assert entries.current(store).set_index("urn").loc[urn, "level"] == "Intensive"

    new_id = interventions.add_intervention(
        store, urn, type="Task group", start=date(2025, 9, 1), planned_days=4, by=BY
    )
    interventions.update_intervention(
        store, new_id, expected_version=1, by="a@la.gov.uk", reason="r", used_days=1
    )
    with pytest.raises(Conflict, match="changed by someone else"):
        interventions.update_intervention(
            store, new_id, expected_version=1, by="b@la.gov.uk", reason="r", status="withdrawn"
        )


def test_interventions_and_review_meetings_are_corrected_alike(store: Engine) -> None:
    """Both go through one audited, versioned update: the same refusals (naming the field, writing nothing),
    the same conflict for a stale form, and one audit row naming the record and the fields changed."""
    urn = GOOD[0]
    intervention = interventions.add_intervention(
        store, urn, type="Task group", start=date(2025, 9, 1), planned_days=4, by=BY
    )
    review = reviews.record_review(
        store, urn, meeting_date=date(2025, 10, 20), attendees="HT", decisions="continue", by=BY
    )

    def update(kind: str, record: int, version: int, **changes: Any) -> int:
        if kind == "intervention":
            return interventions.update_intervention(
                store, record, expected_version=version, by=BY, reason="correction", **changes
            )
        return reviews.update_review(
            store, record, expected_version=version, by=BY, reason="correction", **changes
        )

    missing_i, missing_r, same = intervention + 99, review + 99, "nothing differs from the"
    refusals: list[tuple[str, int, dict[str, Any], str, str]] = [
        ("intervention", intervention, {"urn": 1}, "urn", "cannot be changed on an intervention"),
        ("intervention", intervention, {"planned_days": 4}, "changes", f"{same} intervention as recorded"),
        ("intervention", missing_i, {"used_days": 1}, "intervention", f"no intervention #{missing_i}"),
        ("review", review, {"urn": 1}, "urn", "cannot be changed on a review meeting"),
        ("review", review, {"decisions": "continue"}, "changes", f"{same} review meeting as recorded"),
        ("review", missing_r, {"decisions": "x"}, "review", f"no review meeting #{missing_r}"),
    ]
    before = register_snapshot(store), audit_count(store)
    for kind, record, changes, field, text in refusals:
        with pytest.raises(InvalidInput) as refused:
            update(kind, record, 1, **changes)
        assert refused.value.field == field and text in str(refused.value), str(refused.value)
    assert (register_snapshot(store), audit_count(store)) == before
    assert update("intervention", intervention, 1, used_days=1.5, outcome="visits begun") == 2
    assert update("review", review, 1, decisions="continue the plan") == 2
    stale: list[tuple[str, int, dict[str, Any]]] = [
        ("intervention", intervention, {"used_days": 3}),
        ("review", review, {"decisions": "stop"}),
    ]
    for kind, record, changes in stale:  # version 1 was read before the update above
        with pytest.raises(Conflict, match="changed by someone else"):
            update(kind, record, 1, **changes)
    log = audit.audit_log(store).sort_values("id")
    changed = log.loc[log["action"] == "update"]
    assert list(changed["what"]) == [
        f"intervention #{intervention} Task group: used_days, outcome",
        "review meeting 20/10/2025: decisions",
    ]
    assert list(changed["entity_id"]) == [intervention, review] and set(changed["urn"]) == {urn}
    assert audit_count(store) == before[1] + 2

def test_twenty_writers_at_once_lose_nothing(store: Engine) -> None:
    """20 threads, 5 changes each, half of them on one shared school: every change that succeeds has exactly
    one audit row, the shared school's versions run 1..N without a gap, and no increment is lost."""
    shared, own = GOOD[0], GOOD[1:21]
    counter = interventions.add_intervention(
        store, shared, type="Task group", start=date(2025, 9, 1), planned_days=500, by=BY
    )
    start_audit = audit_count(store)
    conflicts = []
    lock = threading.Lock()

    def retry(change: Callable[[], Any]) -> None:
        while True:
            try:
                change()
                return
            except Conflict:
                with lock:
                    conflicts.append(1)

    def writer(number: int) -> None:
        for step in range(5):
            if step % 2 == 0:

                def level(step: int = step) -> Any:
                    version = entries.school_version(store, shared)
                    return entries.record_level(
                        store,
                        shared,
                        scheme="support-levels",
                        level=("Universal", "Targeted", "Intensive")[step % 3],
                        reason=f"writer {number} step {step}",
                        by=f"w{number}@la.gov.uk",
                        expected_version=version,
                    )

                retry(level)
            elif step == 1:

                def add_day() -> Any:
                    frame = interventions.interventions(store).set_index("id")
                    row = frame.loc[counter]
                    return interventions.update_intervention(
                        store,
                        counter,
                        expected_version=int(row["version"]),
                        by=f"w{number}@la.gov.uk",
                        reason="one more day",
                        used_days=float(row["used_days"]) + 1,
                    )

                retry(add_day)
            else:
                entries.record_level(
                    store,
                    own[number],
                    scheme="support-levels",
                    level="Targeted",
                    reason=f"writer {number}",
                    by=f"w{number}@la.gov.uk",
                )

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(writer, range(20)))

    assert audit_count(store) - start_audit == 20 * 5
    with store.connect() as connection:
        versions = sorted(
            connection.execute(select(ENTRIES.c.version).where(ENTRIES.c.urn == shared)).scalars()
        )
        used = connection.execute(
            select(INTERVENTIONS.c.used_days).where(INTERVENTIONS.c.id == counter)
        ).scalar()
        audited = set(
            connection.execute(select(AUDIT.c.entity_id).where(AUDIT.c.entity == "entry")).scalars()
        )
        entry_ids = set(connection.execute(select(ENTRIES.c.id)).scalars())
    assert versions == list(range(1, 61))  # 20 writers x 3 shared changes, none lost or duplicated
    assert used == 20.0  # 20 read-modify-write increments, none lost
    assert audited == entry_ids
    print(f"{len(conflicts)} conflicts retried")


def test_ofsted_category_is_the_files_category_of_concern(store: Engine) -> None:
    """The category a register change checks against is the file's "Category of concern" for every school of
    the slice (read here with csv), and None for a URN the store does not have."""
    expected = {int(r["URN"]): r["Category of concern"] or None for r in slice_rows()}
    assert sum(value is not None for value in expected.values()) >= 4
    assert {urn: entries.ofsted_category(store, urn) for urn in expected} == expected
    assert entries.ofsted_category(store, 999_999) is None


def test_category_4b_follows_ofsted(store: Engine) -> None:
    """4b needs an Ofsted category; a 4b school stays there while Ofsted's category stands; changes at 3/4
    need a review meeting after the first entry."""
    urn = IN_CATEGORY[0]
    entries.record_level(
        store,
        urn,
        scheme="categories",
        level="4b",
        reason="special measures",
        by=BY,
        effective=date(2025, 3, 1),
    )
    with pytest.raises(InvalidInput, match="stays in Category 4b until Ofsted removes"):
        entries.record_level(store, urn, scheme="categories", level="3", reason="improving", by=BY)
    good = GOOD[0]
    entries.record_level(
        store, good, scheme="categories", level="3", reason="first entry", by=BY, effective=date(2025, 3, 1)
    )
    with pytest.raises(InvalidInput, match="only after a review meeting"):
        entries.record_level(
            store, good, scheme="categories", level="2", reason="better", by=BY, effective=date(2025, 6, 1)
        )
    reviews.record_review(
        store, good, meeting_date=date(2025, 5, 20), attendees="HT, SIA", decisions="to 2", by=BY
    )
    assert (
        entries.record_level(
            store, good, scheme="categories", level="2", reason="better", by=BY, effective=date(2025, 6, 1)
        )
        == 2
    )


@pytest.fixture
def demo_copy(demo_sqlite: Path, tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the init-demo database (so writing to it disturbs no other test)."""
    path = tmp_path / "demo-copy.db"
    shutil.copyfile(demo_sqlite, path)
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    yield engine
    engine.dispose()


def _record_some(engine: Engine, urn: int) -> None:
    entries.record_level(engine, urn, scheme="support-levels", level="Targeted", reason="kept", by=BY)
    interventions.add_intervention(
        engine, urn, type="Task group", start=date(2025, 9, 1), planned_days=3, by=BY
    )


def test_register_survives_data_imports(store: Engine) -> None:
    _record_some(store, GOOD[0])
    before = register_snapshot(store)
    ofsted_outcomes.import_file(store, OFSTED_SLICE)
    ofsted_history.import_file(store, HISTORY_SLICE)
    assert register_snapshot(store) == before
    assert entries.current(store).set_index("urn").loc[GOOD[0], "reason"] == "kept"


def test_register_survives_init_demo_rerun(demo_copy: Engine) -> None:
    from analytics.demo import init_demo

    _record_some(demo_copy, GOOD[0])
    before = register_snapshot(demo_copy)
    init_demo(demo_copy, progress=lambda _m: None)
    assert register_snapshot(demo_copy) == before


def test_migration_downgrades_and_upgrades(store: Engine) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from analytics.store.engine import ALEMBIC_INI, PROJECT_ROOT

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    with store.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    assert not set(inspect(store).get_table_names()) & set(REGISTER_TABLES)
    migrate(store)
    assert set(REGISTER_TABLES) <= set(inspect(store).get_table_names())
