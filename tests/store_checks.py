"""Helpers for store tests: per-table row counts and order-independent checksums, slice paths."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, Table, create_engine, select, text
from sqlmodel import SQLModel

import analytics.store.models  # noqa: F401  (registers the tables)
from analytics.store.engine import make_engine, migrate

SLICES = Path(__file__).resolve().parent / "data"
OFSTED_SLICE = SLICES / "ofsted_outcomes_slice_as_at_31_August_2025.csv"
HISTORY_SLICE = SLICES / "ofsted_history_slice.csv"
#: The official file's rows for the schools the monthly MI sample names, and all of Camden / City of London.
MI_OUTCOMES_SLICE = SLICES / "ofsted_outcomes_mi_schools_slice_as_at_31_August_2025.csv"


def tables() -> list[Table]:
    return list(SQLModel.metadata.sorted_tables)


def _cell(value: object) -> str:
    """One canonical text form per value on both backends (bools and dates read back alike)."""
    if value is None:
        return "\N{EMPTY SET}"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def table_checksum(engine: Engine, table: Table, exclude: tuple[str, ...] = ()) -> tuple[int, str]:
    """(row count, sha256 of the sorted rows) of one table; `exclude` drops columns such as surrogate ids."""
    columns = [c for c in table.columns if c.name not in exclude]
    with engine.connect() as connection:
        rows = connection.execute(select(*columns)).all()
    lines = sorted("\x1f".join(_cell(v) for v in row) for row in rows)
    return len(rows), hashlib.sha256("\n".join(lines).encode()).hexdigest()


def snapshot(
    engine: Engine, *, skip: tuple[str, ...] = (), exclude: tuple[str, ...] = ()
) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every table of the store (except `skip`)."""
    return {t.name: table_checksum(engine, t, exclude) for t in tables() if t.name not in skip}


# ---------------------------------------------------------------- fresh databases on both backends

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


def _postgres_available() -> str | None:
    try:
        with create_engine(PG_URL).connect() as connection:
            connection.execute(text("select 1"))
        return None
    except Exception as error:  # any connection failure
        return str(error).splitlines()[0]


def require_postgres() -> None:
    """Fail (with CI=true) or skip the test when the PostgreSQL server does not answer."""
    problem = _postgres_available()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is required in CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")


def create_schema() -> str:
    """A new empty schema on the PostgreSQL server; its name."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema


def drop_schema(schema: str) -> None:
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def schema_engine(schema: str) -> Engine:
    """An engine on one schema of the PostgreSQL server (its search path)."""
    return make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")


def fresh_database(backend: str, tmp: Path) -> Iterator[Engine]:
    """A new empty, migrated database: a SQLite file, or a private schema on the PostgreSQL server."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp / 'store.db'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    require_postgres()
    schema = create_schema()
    engine = schema_engine(schema)
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        drop_schema(schema)
