"""Moving a register between deployments: export -> import round trip (SQLite to each backend), and imports
refused as a whole, with every problem named by section, row and field."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from store_checks import OFSTED_SLICE, fresh_database, snapshot

from analytics.ingest import ofsted_outcomes
from analytics.queries import Scope
from analytics.register import audit, entries, interventions, reviews, settings, transfer
from analytics.register.transfer import TransferRejected

BY = "director@la.gov.uk"
REGISTER_TABLES = (
    "register_entry",
    "register_intervention",
    "register_note",
    "register_review",
    "register_meeting",
    "register_setting",
    "register_audit",
)
BLACKPOOL_SM, BLACKPOOL_GOOD, RUTLAND_GOOD = 151301, 119595, 141454


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite deployment with a register that uses every table."""
    for engine in fresh_database("sqlite", tmp_path / "source"):
        ofsted_outcomes.import_file(engine, OFSTED_SLICE)
        entries.record_level(
            engine,
            BLACKPOOL_SM,
            scheme="categories",
            level="4b",
            reason="special measures",
            by=BY,
            strands=["leadership"],
            effective=date(2025, 1, 6),
        )
        reviews.record_review(
            engine,
            BLACKPOOL_SM,
            meeting_date=date(2025, 2, 3),
            attendees="HT, chair, SIA",
            decisions="IEB considered",
            by=BY,
            agenda={"Finance": "deficit", "HR": "none"},
            next_date=date(2025, 3, 17),
        )
        entries.record_level(
            engine,
            BLACKPOOL_GOOD,
            scheme="categories",
            level="2",
            reason="two strands",
            by=BY,
            next_review=date(2025, 6, 1),
            effective=date(2025, 2, 1),
        )
        entries.record_level(
            engine,
            BLACKPOOL_GOOD,
            scheme="categories",
            level="1",
            reason="recovered",
            by=BY,
            expected_version=1,
            effective=date(2025, 5, 1),
        )
        first = interventions.add_intervention(
            engine,
            BLACKPOOL_SM,
            type="Interim executive board",
            start=date(2025, 2, 10),
            planned_days=12,
            by=BY,
            other_cost=2500,
        )
        interventions.update_intervention(
            engine, first, expected_version=1, by=BY, reason="visits", used_days=4.5
        )
        interventions.add_note(
            engine,
            BLACKPOOL_SM,
            visit_date=date(2025, 3, 3),
            text="Governors met. =1+1",
            by=BY,
            intervention_id=first,
        )
        reviews.record_meeting(engine, "Blackpool", date(2025, 3, 26), by=BY)
        settings.put(
            engine, "Blackpool", settings.SCHEME, "categories", by=BY, reason="Telford-style categories"
        )
        yield engine


def _meaning(data: dict[str, Any]) -> dict[str, Any]:
    """The export without ids, the export time and the import's own audit row; notes keep their link by
    the intervention's content."""
    interventions_by_id = {r["id"]: (r["type"], r["start_date"]) for r in data["interventions"]}
    out: dict[str, Any] = {}
    for name in transfer.SECTIONS:
        rows = []
        for record in data[name]:
            row = {k: v for k, v in record.items() if k not in ("id", "entity_id", "intervention_id")}
            if name == "notes":
                row["intervention"] = interventions_by_id.get(record["intervention_id"])
            if name == "audit" and record["entity"] == "import":
                continue
            rows.append(row)
        out[name] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
    return out


def test_round_trip(source: Engine, empty_store: Engine) -> None:
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    exported = transfer.export(source)
    text = transfer.dumps(exported)
    counts = transfer.import_register(empty_store, text, by="analyst@la.gov.uk", file_name="blackpool.json")
    assert counts == {name: len(exported[name]) for name in transfer.SECTIONS}
    again = transfer.export(empty_store)
    assert _meaning(again) == _meaning(json.loads(text))
    log = audit.audit_log(empty_store)
    assert len(log) == len(exported["audit"]) + 1
    assert log.iloc[0]["entity"] == "import" and log.iloc[0]["by"] == "analyst@la.gov.uk"
    columns = ["urn", "scheme", "level", "reason", "effective_date", "version", "set_by"]
    assert entries.current(empty_store)[columns].equals(entries.current(source)[columns])
    note = interventions.notes(empty_store).iloc[0]
    linked = interventions.interventions(empty_store).set_index("id").loc[int(note["intervention_id"])]
    assert linked["type"] == "Interim executive board" and linked["used_days"] == 4.5
    scope = Scope.la("Blackpool")
    assert settings.chosen_scheme(empty_store, "Blackpool") == "categories"
    assert len(transfer.export(empty_store, scope)["entries"]) == 3


def _register_snapshot(engine: Engine) -> dict[str, tuple[int, str]]:
    every = snapshot(engine)
    return {name: every[name] for name in REGISTER_TABLES}


def test_a_bad_file_is_refused_whole(source: Engine, empty_store: Engine) -> None:
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    good = transfer.export(source)
    bad = copy.deepcopy(good)
    bad["entries"][1]["level"] = "Purple"
    bad["interventions"][0]["used_days"] = -2
    bad["notes"][0]["intervention_id"] = 999
    bad["reviews"][0]["meeting_date"] = "31/02/2025"
    bad["entries"][2]["urn"] = 999_999_999
    before = _register_snapshot(empty_store)
    with pytest.raises(TransferRejected) as rejected:
        transfer.import_register(empty_store, transfer.dumps(bad), by=BY)
    problems = rejected.value.problems
    assert "entries[1].level: 'Purple' is not a level code of categories" in problems
    assert "interventions[0].used_days: must not be negative" in problems
    assert "notes[0].intervention_id: refers to no intervention in the file" in problems
    assert "reviews[0].meeting_date: '31/02/2025' is not a date YYYY-MM-DD" in problems
    assert "entries[2].urn: no school with URN 999999999 in this deployment's data" in problems
    assert _register_snapshot(empty_store) == before, "nothing written, not even the good rows"

    transfer.import_register(empty_store, transfer.dumps(good), by=BY)
    after_first = _register_snapshot(empty_store)
    with pytest.raises(TransferRejected, match="already has register records here"):
        transfer.import_register(empty_store, transfer.dumps(good), by=BY)
    assert _register_snapshot(empty_store) == after_first


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "file: not JSON"),
        ('{"format": "something else"}', "not a register export"),
        (json.dumps({"format": transfer.FORMAT, "format_version": 99}), "format_version"),
        (json.dumps({"format": transfer.FORMAT, "format_version": 1, "entries": {}}), "entries: missing"),
    ],
)
def test_not_an_export(empty_store: Engine, text: str, problem: str) -> None:
    with pytest.raises(TransferRejected, match=problem):
        transfer.import_register(empty_store, text, by=BY)
    assert audit.count(empty_store) == 0
