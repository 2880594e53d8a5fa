"""Helpers for store tests: per-table row counts and order-independent checksums, slice paths."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import Engine, Table, select
from sqlmodel import SQLModel

import analytics.store.models  # noqa: F401  (registers the tables)

SLICES = Path(__file__).resolve().parent / "data"
OFSTED_SLICE = SLICES / "ofsted_outcomes_slice_as_at_31_August_2025.csv"
HISTORY_SLICE = SLICES / "ofsted_history_slice.csv"


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
