"""The register's command line: the documented commands and JSON/CSV output; bad input exits 2 naming the
field and writes nothing; a rejected import file exits 3. Runs `python -m analytics` on a SQLite store."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from app_under_test import analytics_cli as run
from sqlalchemy import Engine
from store_checks import OFSTED_SLICE, fresh_database

from analytics.ingest import ofsted_outcomes
from analytics.register import audit

BY = "director@la.gov.uk"


def slice_rows() -> list[dict[str, str]]:
    with open(OFSTED_SLICE, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


GOOD = next(
    int(r["URN"])
    for r in slice_rows()
    if r["Overall effectiveness"] == "2" and r["Local authority"] == "Rutland"
)
SPECIAL_MEASURES = next(
    int(r["URN"])
    for r in slice_rows()
    if r["Category of concern"] == "SM" and r["Local authority"] == "Blackpool"
)
HARTLEPOOL_GOOD = next(
    int(r["URN"])
    for r in slice_rows()
    if r["Overall effectiveness"] == "2" and r["Local authority"] == "Hartlepool"
)


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("register-cli")
    for engine in fresh_database("sqlite", folder):
        ofsted_outcomes.import_file(engine, OFSTED_SLICE)
        env = {**os.environ, "DATABASE_URL": str(engine.url)}  # a fresh store: no early-warning model
        yield engine, env


def test_schemes_json(cli_store: tuple[Engine, dict[str, str]]) -> None:
    done = run(cli_store[1], "register", "schemes", "--format", "json")
    assert done.returncode == 0, done.stderr
    schemes = {s["name"]: s["levels"] for s in json.loads(done.stdout)}
    assert schemes == {
        "support-levels": ["Universal", "Targeted", "Intensive"],
        "categories": ["1", "2", "3", "4a", "4b"],
        "stages-of-concern": ["1", "2", "3", "4"],
    }


def test_set_show_intervention_audit(cli_store: tuple[Engine, dict[str, str]]) -> None:
    engine, env = cli_store
    before = audit.count(engine)
    done = run(
        env,
        "register",
        "set",
        str(GOOD),
        "--scheme",
        "support-levels",
        "--level",
        "targeted",
        "--reason",
        "Attendance falling; new head",
        "--strand",
        "behaviour",
        "--strand",
        "Organisational change and temporary situations",
        "--review-by",
        str(date.today() + timedelta(days=60)),
        "--by",
        BY,
    )
    assert done.returncode == 0, done.stderr
    done = run(
        env,
        "intervention",
        "add",
        str(GOOD),
        "--type",
        "Adviser / SIL visits",
        "--start",
        str(date.today()),
        "--days",
        "6",
        "--by",
        BY,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(run(env, "register", "show", "--la", "rutland", "--format", "json").stdout)
    assert [(r["urn"], r["level"], r["version"]) for r in shown] == [(GOOD, "Targeted", 1)]
    assert shown[0]["strands"] == "Behaviour and safety; Organisational change and temporary situations"
    as_csv = list(csv.DictReader(io.StringIO(run(env, "register", "show", "--la", "Rutland").stdout)))
    assert as_csv[0]["reason"] == "Attendance falling; new head"
    earlier = run(
        env,
        "register",
        "show",
        "--la",
        "Rutland",
        "--as-at",
        str(date.today() - timedelta(days=1)),
        "--format",
        "json",
    )
    assert json.loads(earlier.stdout) == []
    rows = json.loads(run(env, "audit", "--la", "Rutland", "--format", "json").stdout)
    assert len(rows) == audit.count(engine) - before == 2
    assert [r["entity"] for r in rows] == ["intervention", "entry"]
    assert rows[1]["new_value"]["level"] == "Targeted" and rows[1]["by"] == BY
    assert rows[0]["new_value"]["day_rate"] == 480.0 and rows[0]["urn"] == GOOD
    by_school = json.loads(run(env, "audit", "--urn", str(GOOD), "--format", "json").stdout)
    assert {r["id"] for r in by_school} == {r["id"] for r in rows}


def test_suggest(cli_store: tuple[Engine, dict[str, str]]) -> None:
    done = run(cli_store[1], "register", "suggest", "--la", "Blackpool", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {r["urn"]: r for r in json.loads(done.stdout)}
    blackpool = {int(r["URN"]) for r in slice_rows() if r["Local authority"] == "Blackpool"}
    assert set(rows) == blackpool
    assert rows[SPECIAL_MEASURES]["suggested_level"] == "Intensive"
    assert "special measures" in rows[SPECIAL_MEASURES]["evidence"]


FUTURE = str(date.today() + timedelta(days=5))


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (
            [
                "register",
                "set",
                "999999999",
                "--scheme",
                "support-levels",
                "--level",
                "Targeted",
                "--reason",
                "r",
            ],
            "urn",
        ),
        (
            ["register", "set", str(GOOD), "--scheme", "colours", "--level", "Targeted", "--reason", "r"],
            "scheme",
        ),
        (["register", "set", str(GOOD), "--scheme", "categories", "--level", "5", "--reason", "r"], "level"),
        (["register", "set", str(GOOD), "--scheme", "categories", "--level", "2", "--reason", " "], "reason"),
        (["register", "set", str(GOOD), "--scheme", "categories", "--level", "4b", "--reason", "r"], "level"),
        (
            [
                "register",
                "set",
                str(GOOD),
                "--scheme",
                "categories",
                "--level",
                "2",
                "--reason",
                "r",
                "--effective",
                FUTURE,
            ],
            "--effective",
        ),
        (
            [
                "register",
                "set",
                str(GOOD),
                "--scheme",
                "categories",
                "--level",
                "2",
                "--reason",
                "r",
                "--review-by",
                "next week",
            ],
            "--review-by",
        ),
        (
            [
                "register",
                "set",
                str(GOOD),
                "--scheme",
                "categories",
                "--level",
                "2",
                "--reason",
                "r",
                "--strand",
                "luck",
            ],
            "strand",
        ),
        (
            [
                "intervention",
                "add",
                str(GOOD),
                "--type",
                "Task group",
                "--start",
                "2025-09-01",
                "--days",
                "-2",
            ],
            "days",
        ),
        (
            [
                "intervention",
                "add",
                str(GOOD),
                "--type",
                "Task group",
                "--start",
                "2025-09-01",
                "--days",
                "2",
                "--day-rate",
                "-480",
            ],
            "day rate",
        ),
        (
            ["intervention", "add", str(GOOD), "--type", "Pizza", "--start", "2025-09-01", "--days", "2"],
            "type",
        ),
        (
            [
                "intervention",
                "add",
                "999999999",
                "--type",
                "Task group",
                "--start",
                "2025-09-01",
                "--days",
                "2",
            ],
            "urn",
        ),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    cli_store: tuple[Engine, dict[str, str]], args: list[str], field: str
) -> None:
    engine, env = cli_store
    before = audit.count(engine)
    done = run(env, *args, "--by", BY)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert field in done.stderr.splitlines()[0], done.stderr
    assert "Traceback" not in done.stderr
    assert audit.count(engine) == before


def test_unknown_la_and_format(cli_store: tuple[Engine, dict[str, str]]) -> None:
    env = cli_store[1]
    done = run(env, "register", "show", "--la", "Blackpol", "--format", "json")
    assert done.returncode == 2 and "Blackpool" in done.stderr
    done = run(env, "register", "show", "--la", "Blackpool", "--format", "xml")
    assert done.returncode == 2 and "format" in done.stderr


def test_export_and_rejected_import(cli_store: tuple[Engine, dict[str, str]], tmp_path: Path) -> None:
    """Sets up its own record, in an LA no other test of the module records in (Hartlepool): it passes alone
    and in any order, and the other tests' records do not change what it exports."""
    engine, env = cli_store
    done = run(
        env,
        "register",
        "set",
        str(HARTLEPOOL_GOOD),
        "--scheme",
        "support-levels",
        "--level",
        "Intensive",
        "--reason",
        "Export check",
        "--by",
        BY,
    )
    assert done.returncode == 0, done.stderr
    path = tmp_path / "register.json"
    done = run(env, "register", "export", str(path), "--la", "Hartlepool")
    assert done.returncode == 0, done.stderr
    exported = json.loads(path.read_text(encoding="utf-8"))
    assert [(r["urn"], r["reason"], r["set_by"]) for r in exported["entries"]] == [
        (HARTLEPOOL_GOOD, "Export check", BY)
    ]
    before = audit.count(engine)
    done = run(env, "register", "import", str(path), "--by", BY)  # the same school already has records
    assert done.returncode == 3 and "already has register records" in done.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    done = run(env, "register", "import", str(broken), "--by", BY)
    assert done.returncode == 3 and "not JSON" in done.stderr
    assert audit.count(engine) == before
