"""The single writer path: every import runs in one transaction that holds the store's write lock from its
first statement, and leaves one import-log row.

Two imports at once (two CLI runs, two dashboard replicas) never interleave and never fail with "database is
locked": the second waits for the first, then runs. SQLite: `BEGIN IMMEDIATE` takes the write lock before the
transaction reads anything (a deferred transaction that reads first cannot wait for it: SQLite refuses it at
once). PostgreSQL: a transaction-scoped advisory lock per schema. Either waits at most `LOCK_WAIT_SECONDS`.
A database error (disk full, lock wait exceeded, anything unforeseen) is reported in plain words as a rejected
import, never as a driver traceback with row values.
"""

from __future__ import annotations

import errno
import getpass
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, text, update
from sqlalchemy.exc import DBAPIError

from analytics.ingest.common import (
    ImportRejected,
    ImportResult,
    Problem,
    count_rows,
    now_utc,
    report_progress,
    sha256_of,
)
from analytics.store.models import ImportLog, Inspection

LOCK_WAIT_SECONDS = 600
#: Name of the PostgreSQL advisory lock (hashed with the schema: one lock per store).
LOCK_NAME = "school-oversight:import:"
SQLITE_BUSY_TIMEOUT_MS = 30_000  # what the engine sets on every connection (restored after an import)
WAITING = "waiting for any other import to finish"


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction holding the store's write lock from its start (see the module docstring)."""
    report_progress(WAITING)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_busy_timeout(connection, LOCK_WAIT_SECONDS * 1000)
            connection.execution_options(begin_immediate=True)  # read by the engine's "begin" hook
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_SECONDS}s'"))
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(hashtextextended(:name || current_schema(), 0))"),
                        {"name": LOCK_NAME},
                    )
                    connection.execute(text("SET LOCAL lock_timeout TO DEFAULT"))
                report_progress("writing", 0.55)
                yield connection
        finally:
            if sqlite and not connection.invalidated:
                _sqlite_busy_timeout(connection, SQLITE_BUSY_TIMEOUT_MS)


def _sqlite_busy_timeout(connection: Connection, milliseconds: int) -> None:
    """Set the wait on the DBAPI connection itself (outside any transaction; no BEGIN is emitted)."""
    connection.connection.driver_connection.execute(  # type: ignore[union-attr]
        f"PRAGMA busy_timeout = {int(milliseconds)}"
    )


def run_in_transaction(
    engine: Engine, *, kind: str, path: Path, rows_read: int, tables: Sequence[Table],
    write: Callable[[Connection], None], as_at: date | None = None,
) -> ImportResult:
    """Run `write` and log the import atomically under the write lock: any exception rolls everything back."""
    result = ImportResult(kind=kind, file_name=path.name, rows_read=rows_read, as_at=as_at)
    report_progress("checked: no problems found", 0.5)
    try:
        digest = sha256_of(path)
        with write_transaction(engine) as connection:
            before = sum(count_rows(connection, t) for t in tables)
            write(connection)
            after = sum(count_rows(connection, t) for t in tables)
            result.rows_inserted = after - before
            result.rows_updated = max(rows_read - result.rows_inserted, 0)
            logged = connection.execute(
                insert(ImportLog.__table__).values(  # type: ignore[attr-defined]
                    kind=kind, file_name=path.name, sha256=digest, rows_read=rows_read,
                    rows_inserted=result.rows_inserted, rows_updated=result.rows_updated, as_at=as_at,
                    imported_at=now_utc(), imported_by=_who(),
                )
            )
            import_id = int(logged.inserted_primary_key[0])  # type: ignore[index]
            _stamp_new_inspections(connection, import_id)
            from analytics.derived import mark_refresh_pending  # (imported late: the read model's modules)

            mark_refresh_pending(connection, import_id)
            report_progress("saving", 0.97)
    except DBAPIError as error:
        raise ImportRejected(path, [Problem(None, None, describe_database_error(error))]) from None
    except OSError as error:
        raise ImportRejected(path, [Problem(None, None, describe_os_error(error))]) from None
    report_progress("imported", 1.0)
    return result


def describe_database_error(error: DBAPIError) -> str:
    """A database failure in plain words (no statement, no row values), the same for SQLite and PostgreSQL."""
    original: Any = error.orig
    sqlstate = getattr(original, "sqlstate", None) or ""
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    message = str(original).splitlines()[0] if str(original) else type(original).__name__
    nothing = "nothing was imported"
    if sqlstate == "53100" or sqlite_code == 13 or "database or disk is full" in message:
        return f"the disk holding the database is full: {nothing}; free some space and import again"
    if sqlstate in ("55P03", "40P01") or sqlite_code == 5 or "database is locked" in message:
        return (
            f"another import kept the database locked (this one waits up to {LOCK_WAIT_SECONDS // 60} "
            f"minutes): {nothing}; import again when it has finished"
        )
    if sqlstate.startswith("08") or "could not connect" in message or "unable to open" in message:
        return f"the database cannot be reached ({message[:120]}): {nothing}"
    if sqlstate == "53200":
        return f"the database server ran out of memory: {nothing}"
    return f"the database refused the import ({message[:160]}): {nothing}"


def describe_os_error(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "the disk is full: nothing was imported; free some space and import again"
    reason = error.strerror or str(error)
    return f"the file or the database cannot be read or written ({reason}): nothing was imported"


def _stamp_new_inspections(connection: Connection, import_id: int) -> None:
    """Inspections this import added (no import recorded them before) remember it; rows already known keep
    the import that first recorded them. Done here, once, so every importer gets it (`inspections_added`)."""
    table = Inspection.__table__  # type: ignore[attr-defined]
    connection.execute(
        update(table).where(table.c.first_import_id.is_(None)).values(first_import_id=import_id)
    )


def _who() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return None
