"""Shared plumbing of the register: table handles, errors, the write transaction, input checks.

Every change runs in `write_transaction`: validation, the change itself and its one audit row commit
together or not at all. On SQLite the transaction takes the write lock at BEGIN (IMMEDIATE), so concurrent
writers queue (busy timeout) instead of failing to upgrade a read lock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Select, Table, insert, select, update

from analytics.queries import SCHOOLS, Scope, rows_frame
from analytics.store.models import (
    RegisterAudit,
    RegisterEntry,
    RegisterIntervention,
    RegisterMeeting,
    RegisterNote,
    RegisterReview,
    RegisterSetting,
)

ENTRIES = RegisterEntry.__table__  # type: ignore[attr-defined]
INTERVENTIONS = RegisterIntervention.__table__  # type: ignore[attr-defined]
NOTES = RegisterNote.__table__  # type: ignore[attr-defined]
REVIEWS = RegisterReview.__table__  # type: ignore[attr-defined]
MEETINGS = RegisterMeeting.__table__  # type: ignore[attr-defined]
SETTINGS = RegisterSetting.__table__  # type: ignore[attr-defined]
AUDIT = RegisterAudit.__table__  # type: ignore[attr-defined]

MAX_TEXT = 5000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RegisterError(Exception):
    """A change that was refused; nothing was written."""


class InvalidInput(RegisterError):
    """Bad input for one field (the message names it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class Conflict(RegisterError):
    """Someone else changed the record since the form read it (optimistic version check)."""


def now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One unit of work: commits on success, rolls everything back (audit row included) on any error."""
    with engine.connect().execution_options(begin_immediate=True) as connection, connection.begin():
        yield connection


def insert_row(connection: Connection, table: Table, row: dict[str, Any]) -> int:
    """Insert one row and return its new id."""
    key = connection.execute(insert(table).values(**row)).inserted_primary_key
    assert key is not None
    return int(key[0])


def versioned_update(
    connection: Connection,
    table: Table,
    row_id: int,
    expected_version: int,
    changed: dict[str, Any],
    stale: Conflict,
) -> int:
    """Apply `changed` only if the row still has the version the editor read (bumping it); else raise `stale`.

    The version condition is in the UPDATE itself, so a concurrent writer that committed first wins and the
    second updates nothing (PostgreSQL re-checks the condition after waiting for the first)."""
    result = connection.execute(
        update(table)
        .where(table.c.id == int(row_id), table.c.version == int(expected_version))
        .values(**changed, version=table.c.version + 1)
    )
    if result.rowcount != 1:
        raise stale
    return int(expected_version) + 1


def read(engine: Engine, query: Select) -> pd.DataFrame:
    with engine.connect() as connection:
        result = connection.execute(query)
        return rows_frame(result.all(), list(result.keys()))


def scoped(query: Select, scope: Scope | None) -> Select:
    """Restrict a query that already joins `school` to the caller's scope."""
    return query if scope is None else scope.apply(query, SCHOOLS)


def school_row(
    connection: Connection, urn: int, *, field: str = "urn", open_only: bool = True
) -> dict[str, Any]:
    """The school's row (name, LA, constituency...), or InvalidInput naming the field."""
    row = connection.execute(select(SCHOOLS).where(SCHOOLS.c.urn == int(urn))).mappings().first()
    if row is None:
        raise InvalidInput(field, f"no school with URN {urn} is in the data")
    if open_only and not row["is_open"]:
        raise InvalidInput(field, f"URN {urn} ({row['name']}) is closed: only open schools can be changed")
    return dict(row)


def check_by(by: str | None) -> str:
    text = (by or "").strip()
    if not EMAIL.match(text):
        raise InvalidInput("by", f"'{text}' is not an email address: say who is making the change")
    return text.lower()


def check_text(value: str | None, field: str, *, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(field, "must not be empty")
        return None
    if len(text) > MAX_TEXT:
        raise InvalidInput(field, f"is {len(text):,} characters long; at most {MAX_TEXT:,} are kept")
    return text


def check_past(day: date | None, field: str, today: date) -> date | None:
    """A date that cannot be in the future (a decision taken, a visit made, a meeting held)."""
    if day is not None and day > today:
        raise InvalidInput(field, f"{day:%d/%m/%Y} is in the future (today is {today:%d/%m/%Y})")
    return day


def check_amount(value: float | None, field: str) -> float:
    if value is None or pd.isna(value):
        raise InvalidInput(field, "is required")
    number = float(value)
    if number < 0:
        raise InvalidInput(field, f"must not be negative (got {number:g})")
    return number


def as_date(value: Any) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def to_json(value: Any) -> str:
    return json.dumps(value, default=json_default, ensure_ascii=False, sort_keys=True)


def json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(type(value))
