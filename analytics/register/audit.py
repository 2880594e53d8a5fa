"""The append-only audit trail: one row per change, written inside the change's own transaction."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, select

from analytics.queries import Scope
from analytics.register.base import AUDIT, insert_row, now, read, to_json

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
