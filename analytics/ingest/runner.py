"""The single writer path: every import runs in one transaction and leaves one import-log row."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, Engine, Table, insert, update

from analytics.ingest.common import ImportResult, count_rows, now_utc, sha256_of
from analytics.store.models import ImportLog, Inspection


def run_in_transaction(
    engine: Engine, *, kind: str, path: Path, rows_read: int, tables: Sequence[Table],
    write: Callable[[Connection], None], as_at: date | None = None,
) -> ImportResult:
    """Run `write` and log the import atomically: any exception rolls everything back."""
    result = ImportResult(kind=kind, file_name=path.name, rows_read=rows_read, as_at=as_at)
    with engine.begin() as connection:
        before = sum(count_rows(connection, t) for t in tables)
        write(connection)
        after = sum(count_rows(connection, t) for t in tables)
        result.rows_inserted = after - before
        result.rows_updated = max(rows_read - result.rows_inserted, 0)
        logged = connection.execute(
            insert(ImportLog.__table__).values(  # type: ignore[attr-defined]
                kind=kind, file_name=path.name, sha256=sha256_of(path), rows_read=rows_read,
                rows_inserted=result.rows_inserted, rows_updated=result.rows_updated, as_at=as_at,
                imported_at=now_utc(), imported_by=_who(),
            )
        )
        _stamp_new_inspections(connection, int(logged.inserted_primary_key[0]))  # type: ignore[index]
    return result


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
