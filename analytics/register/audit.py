"""The append-only audit trail: one row per change, written inside the change's own transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Table, func, select

from analytics.queries import Scope
from analytics.register.base import (
    AUDIT,
    Conflict,
    InvalidInput,
    check_by,
    check_text,
    insert_row,
    now,
    read,
    school_row,
    to_json,
    versioned_update,
    write_transaction,
)

COLUMNS = [
    "id",
    "at",
    "by",
    "entity",
    "entity_id",
    "urn",
    "la_name",
    "action",
    "what",
    "old_value",
    "new_value",
    "reason",
]


def write(
    connection: Connection,
    *,
    by: str,
    entity: str,
    action: str,
    what: str,
    entity_id: int | None = None,
    urn: int | None = None,
    la_name: str | None = None,
    old: Any = None,
    new: Any = None,
    reason: str | None = None,
) -> int:
    """Insert the audit row of one change on the change's connection (same transaction); returns its id."""
    row = {
        "at": now(),
        "by": by,
        "entity": entity,
        "entity_id": entity_id,
        "urn": urn,
        "la_name": la_name,
        "action": action,
        "what": what,
        "old_value": None if old is None else to_json(old),
        "new_value": None if new is None else to_json(new),
        "reason": reason,
    }
    return insert_row(connection, AUDIT, row)


Row = Mapping[str, Any]


def audited_update(
    engine: Engine,
    table: Table,
    record_id: int,
    *,
    entity: str,
    noun: str,
    allowed: Collection[str],
    changes: Mapping[str, Any],
    expected_version: int,
    by: str,
    reason: str,
    clean: Callable[[Connection, Row, Row], dict[str, Any]],
    stale: Callable[[Row], Conflict],
    label: Callable[[Row], str],
) -> int:
    """Change fields of one versioned register record (an intervention, a review meeting) and write its audit
    row, in one transaction; returns the record's new version. Nothing is written when anything is refused.

    `entity`: the audit entity, also the field named when no record has the id; `noun`: the record in
    messages ('intervention'); `allowed`: the fields that may change; `clean(connection, school, row)`: the
    checked values of `changes` given the record's school and stored row (raises InvalidInput); `stale(row)`:
    the Conflict when someone changed the record since `expected_version` was read; `label(row)`: how the
    audit names the record (the changed fields follow it).
    """
    by = check_by(by)
    reason_text = check_text(reason, "reason")
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        article = "an" if noun[0] in "aeiou" else "a"
        raise InvalidInput(unknown[0], f"cannot be changed on {article} {noun}")
    with write_transaction(engine) as connection:
        found = connection.execute(select(table).where(table.c.id == int(record_id))).mappings().first()
        if found is None:
            raise InvalidInput(entity, f"no {noun} #{record_id}")
        row: Row = dict(found)
        if int(row["version"]) != int(expected_version):
            raise stale(row)
        school = school_row(connection, row["urn"], open_only=False)
        changed = {k: v for k, v in clean(connection, school, row).items() if v != row[k]}
        if not changed:
            raise InvalidInput("changes", f"nothing differs from the {noun} as recorded")
        version = versioned_update(connection, table, record_id, expected_version, changed, stale(row))
        write(
            connection,
            by=by,
            entity=entity,
            entity_id=int(record_id),
            urn=int(row["urn"]),
            la_name=school["la_name"],
            action="update",
            what=f"{label(row)}: {', '.join(changed)}",
            old={k: row[k] for k in changed},
            new=changed,
            reason=reason_text,
        )
    return version


def audit_log(
    engine: Engine,
    scope: Scope | None = None,
    *,
    entity: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """Audit rows, newest first. Scope: rows of those LAs (the LA recorded with the change) and/or URNs."""
    query = select(AUDIT).order_by(AUDIT.c.id.desc())
    if scope is not None and scope.la_names is not None:
        query = query.where(AUDIT.c.la_name.in_(scope.la_names))
    if scope is not None and scope.urns is not None:
        query = query.where(AUDIT.c.urn.in_(scope.urns))
    if entity:
        query = query.where(AUDIT.c.entity == entity)
    if since is not None:  # dates are UTC days
        query = query.where(AUDIT.c.at >= datetime.combine(since, time.min, UTC))
    if until is not None:
        query = query.where(AUDIT.c.at < datetime.combine(until + timedelta(days=1), time.min, UTC))
    frame = read(engine, query)
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    return frame[COLUMNS].astype({"urn": "Int64", "entity_id": "Int64"})


def decoded(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Audit rows as plain objects with old and new values decoded from JSON (the CLI's output)."""
    rows = [
        {str(k): v for k, v in r.items()}
        for r in frame.astype(object).where(frame.notna(), None).to_dict("records")
    ]
    for row in rows:
        for key in ("old_value", "new_value"):
            row[key] = json.loads(row[key]) if row[key] else None
    return rows


def latest_id(engine: Engine) -> int:
    """Id of the newest audit row (0 when none): bumped by every register change, so caches key on it."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.coalesce(func.max(AUDIT.c.id), 0))).scalar_one())


def count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(AUDIT)).scalar_one())
