"""Move a register between deployments as JSON: export, and import all-or-nothing.

An import is checked completely before anything is written (every problem listed with its section, row and
field); it is refused if any school in the file already has register records here (no merging). It keeps
the file's own history (entries, audit rows with their original authors and times), re-numbers ids, and
writes one audit row of its own. Schools are matched by URN, which must exist in this deployment's data.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select

from analytics.queries import SCHOOLS, Scope
from analytics.register import audit, settings
from analytics.register.base import (
    AUDIT,
    ENTRIES,
    INTERVENTIONS,
    MEETINGS,
    NOTES,
    REVIEWS,
    SETTINGS,
    RegisterError,
    check_by,
    insert_row,
    read,
    to_json,
    write_transaction,
)
from analytics.register.schemes import FUNDERS, SCHEMES, STANDING_AGENDA, STATUSES, find_strand

FORMAT = "schools-causing-concern-register"
FORMAT_VERSION = 1
SECTIONS = {
    "entries": ENTRIES,
    "interventions": INTERVENTIONS,
    "notes": NOTES,
    "reviews": REVIEWS,
    "meetings": MEETINGS,
    "settings": SETTINGS,
    "audit": AUDIT,
}
SCHOOL_SECTIONS = ("entries", "interventions", "notes", "reviews")


class TransferRejected(RegisterError):
    """The file was refused; nothing was written. `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:50]
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__("Register import rejected, nothing was written:\n" + "\n".join(shown) + more)
        self.problems = problems


def export(engine: Engine, scope: Scope | None = None) -> dict[str, Any]:
    """The register of schools in scope (default: every school) as plain JSON-ready data."""
    out: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    for name in SCHOOL_SECTIONS:
        table = SECTIONS[name]
        query = select(table).select_from(table.join(SCHOOLS, SCHOOLS.c.urn == table.c.urn))
        if scope is not None:
            query = scope.apply(query, SCHOOLS)
        out[name] = _records(read(engine, query.order_by(table.c.id)))
    las = None if scope is None or scope.la_names is None else list(scope.la_names)
    meetings = select(MEETINGS).order_by(MEETINGS.c.id)
    setting_rows = select(SETTINGS).order_by(SETTINGS.c.la_name, SETTINGS.c.key)
    if las is not None:
        meetings = meetings.where(MEETINGS.c.la_name.in_(las))
        setting_rows = setting_rows.where(SETTINGS.c.la_name.in_(las))
    out["meetings"] = _records(read(engine, meetings))
    out["settings"] = _records(read(engine, setting_rows))
    out["audit"] = _records(audit.audit_log(engine, scope).sort_values("id"))
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [json.loads(to_json({k: _plain(v) for k, v in row.items()})) for row in frame.to_dict("records")]


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1)


# ---------------------------------------------------------------------------------------------------- import


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, field: str, reason: str) -> None:
        self.problems.append(f"{where}.{field}: {reason}")

    def text(self, row: dict, where: str, field: str, required: bool = True) -> None:
        value = row.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(where, field, "missing or empty")
        elif not isinstance(value, str):
            self.fail(where, field, f"should be text, not {type(value).__name__}")

    def day(self, row: dict, where: str, field: str, required: bool = True) -> date | None:
        value = row.get(field)
        if value is None:
            if required:
                self.fail(where, field, "missing")
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(where, field, f"'{value}' is not a date YYYY-MM-DD")
            return None

    def moment(self, row: dict, where: str, field: str) -> datetime | None:
        try:
            parsed = datetime.fromisoformat(str(row.get(field)))
        except ValueError:
            self.fail(where, field, f"'{row.get(field)}' is not a date-time")
            return None
        if parsed.utcoffset() is None:
            self.fail(where, field, "needs a time zone")
            return None
        return parsed

    def number(self, row: dict, where: str, field: str) -> None:
        value = row.get(field)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(where, field, f"'{value}' is not a number")
        elif value < 0:
            self.fail(where, field, "must not be negative")

    def integer(self, row: dict, where: str, field: str, required: bool = True) -> None:
        value = row.get(field)
        if value is None and not required:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, field, f"'{value}' is not a whole number")


def parse(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise TransferRejected(
            [f"file: not JSON ({error.msg} at line {error.lineno}, column {error.colno})"]
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TransferRejected([f"file: not a register export (format should be '{FORMAT}')"])
    if data.get("format_version") != FORMAT_VERSION:
        raise TransferRejected(
            [f"file.format_version: {data.get('format_version')!r} (this version reads {FORMAT_VERSION})"]
        )
    for name in SECTIONS:
        if not isinstance(data.get(name), list) or not all(isinstance(r, dict) for r in data[name]):
            raise TransferRejected([f"{name}: missing, or not a list of objects"])
    return data


def validate(connection: Connection, data: dict[str, Any]) -> list[str]:
    """Every problem with the file against this deployment (empty list: it can be imported)."""
    check = _Checker()
    urns = {r.get("urn") for name in SCHOOL_SECTIONS for r in data[name]}
    known = set(
        connection.execute(
            select(SCHOOLS.c.urn).where(SCHOOLS.c.urn.in_([u for u in urns if isinstance(u, int)]))
        ).scalars()
    )
    las = set(connection.execute(select(SCHOOLS.c.la_name).distinct()).scalars())
    for name in SCHOOL_SECTIONS:
        for i, row in enumerate(data[name]):
            where = f"{name}[{i}]"
            check.integer(row, where, "id")
            if row.get("urn") not in known:
                check.fail(where, "urn", f"no school with URN {row.get('urn')} in this deployment's data")
    taken = set()
    for name in SCHOOL_SECTIONS:
        table = SECTIONS[name]
        taken |= set(connection.execute(select(table.c.urn).where(table.c.urn.in_(list(known)))).scalars())
    for urn in sorted(taken):
        check.fail(
            "file", "urn", f"URN {urn} already has register records here: import only into schools with none"
        )
    _check_entries(check, data["entries"])
    _check_interventions(check, data["interventions"])
    intervention_ids = {r.get("id") for r in data["interventions"]}
    for i, row in enumerate(data["notes"]):
        where = f"notes[{i}]"
        check.day(row, where, "visit_date")
        check.text(row, where, "author")
        check.text(row, where, "text")
        check.moment(row, where, "recorded_at")
        if row.get("intervention_id") is not None and row.get("intervention_id") not in intervention_ids:
            check.fail(where, "intervention_id", "refers to no intervention in the file")
    for i, row in enumerate(data["reviews"]):
        where = f"reviews[{i}]"
        check.day(row, where, "meeting_date")
        check.day(row, where, "next_date", required=False)
        for field in ("attendees", "decisions", "recorded_by"):
            check.text(row, where, field)
        check.moment(row, where, "recorded_at")
        try:
            agenda = json.loads(row.get("agenda") or "{}")
            if not isinstance(agenda, dict) or set(agenda) - set(STANDING_AGENDA):
                check.fail(where, "agenda", "items outside the standing agenda")
        except (TypeError, json.JSONDecodeError):
            check.fail(where, "agenda", "not a JSON object")
    existing_meetings = {
        tuple(r) for r in connection.execute(select(MEETINGS.c.la_name, MEETINGS.c.meeting_date))
    }
    for i, row in enumerate(data["meetings"]):
        where = f"meetings[{i}]"
        if row.get("la_name") not in las:
            check.fail(where, "la_name", f"unknown local authority '{row.get('la_name')}'")
        day = check.day(row, where, "meeting_date")
        check.moment(row, where, "recorded_at")
        if (row.get("la_name"), day) in existing_meetings:
            check.fail(where, "meeting_date", "this LA already has a meeting recorded on that date")
    existing_settings = {tuple(r) for r in connection.execute(select(SETTINGS.c.la_name, SETTINGS.c.key))}
    for i, row in enumerate(data["settings"]):
        where = f"settings[{i}]"
        if (row.get("la_name"), row.get("key")) in existing_settings:
            check.fail(where, "key", f"'{row.get('key')}' is already set here for '{row.get('la_name')}'")
        try:
            settings._validate(str(row.get("key")), json.loads(row.get("value") or "null"))
        except (TypeError, json.JSONDecodeError):
            check.fail(where, "value", "not JSON")
        except RegisterError as error:
            check.fail(where, "value", str(error))
    for i, row in enumerate(data["audit"]):
        where = f"audit[{i}]"
        for field in ("by", "entity", "action", "what"):
            check.text(row, where, field)
        check.moment(row, where, "at")
    return check.problems


def _check_entries(check: _Checker, rows: list[dict]) -> None:
    versions: dict[Any, list[int]] = {}
    for i, row in enumerate(rows):
        where = f"entries[{i}]"
        scheme = SCHEMES.get(str(row.get("scheme")))
        if scheme is None:
            check.fail(where, "scheme", f"unknown scheme '{row.get('scheme')}'")
        elif row.get("level") not in scheme.codes:
            check.fail(where, "level", f"'{row.get('level')}' is not a level code of {scheme.name}")
        elif row.get("stage") is not None and row.get("stage") not in scheme.stage_codes:
            check.fail(where, "stage", f"'{row.get('stage')}' is not a stage of {scheme.name}")
        check.text(row, where, "reason")
        check.text(row, where, "set_by")
        check.integer(row, where, "version")
        effective = check.day(row, where, "effective_date")
        review = check.day(row, where, "next_review", required=False)
        if effective and review and review <= effective:
            check.fail(where, "next_review", "is not after the effective date")
        check.moment(row, where, "recorded_at")
        try:
            strands = json.loads(row.get("strands") or "[]")
            bad = [s for s in strands if find_strand(str(s)) is None]
            if bad:
                check.fail(where, "strands", f"unknown strand(s) {', '.join(map(str, bad))}")
        except (TypeError, json.JSONDecodeError):
            check.fail(where, "strands", "not a JSON list")
        if isinstance(row.get("version"), int):
            versions.setdefault(row.get("urn"), []).append(row["version"])
    for urn, found in versions.items():
        if sorted(found) != list(range(1, len(found) + 1)):
            check.fail(
                "entries", "version", f"URN {urn}: versions {sorted(found)} are not 1, 2, ... without gaps"
            )


def _check_interventions(check: _Checker, rows: list[dict]) -> None:
    for i, row in enumerate(rows):
        where = f"interventions[{i}]"
        for field in ("type", "lead_officer", "created_by"):
            check.text(row, where, field)
        for field in ("planned_days", "used_days", "day_rate", "other_cost"):
            check.number(row, where, field)
        check.integer(row, where, "version")
        start = check.day(row, where, "start_date")
        end = check.day(row, where, "end_date", required=False)
        if start and end and end < start:
            check.fail(where, "end_date", "is before the start date")
        if row.get("funded_by") not in FUNDERS:
            check.fail(where, "funded_by", f"'{row.get('funded_by')}' is not one of {', '.join(FUNDERS)}")
        if row.get("status") not in STATUSES:
            check.fail(where, "status", f"'{row.get('status')}' is not one of {', '.join(STATUSES)}")
        check.moment(row, where, "created_at")


DATE_FIELDS = {
    "effective_date",
    "next_review",
    "start_date",
    "end_date",
    "visit_date",
    "meeting_date",
    "next_date",
}
TIME_FIELDS = {"recorded_at", "created_at", "updated_at", "at"}


def _row(record: dict[str, Any], drop: tuple[str, ...] = ("id",)) -> dict[str, Any]:
    out = {}
    for key, value in record.items():
        if key in drop:
            continue
        if key in DATE_FIELDS and value is not None:
            value = date.fromisoformat(str(value))
        elif key in TIME_FIELDS and value is not None:
            value = datetime.fromisoformat(str(value))
        out[key] = value
    return out


def import_register(
    engine: Engine, text: str, *, by: str, file_name: str = "register.json"
) -> dict[str, int]:
    """Import an export file: everything or nothing. Returns rows added per section."""
    by = check_by(by)
    data = parse(text)
    with write_transaction(engine) as connection:
        problems = validate(connection, data)
        if problems:
            raise TransferRejected(problems)
        new_ids: dict[str, dict[int, int]] = {name: {} for name in SECTIONS}
        for name in ("entries", "interventions", "reviews", "meetings"):
            for record in data[name]:
                new_ids[name][int(record["id"])] = insert_row(connection, SECTIONS[name], _row(record))
        intervention_ids = new_ids["interventions"]
        for record in data["notes"]:
            row = _row(record)
            if row.get("intervention_id") is not None:
                row["intervention_id"] = intervention_ids[int(row["intervention_id"])]
            new_ids["notes"][int(record["id"])] = insert_row(connection, NOTES, row)
        for record in data["settings"]:
            connection.execute(insert(SETTINGS).values(**_row(record, drop=())))
        remap = {
            "entry": new_ids["entries"],
            "intervention": intervention_ids,
            "note": new_ids["notes"],
            "review": new_ids["reviews"],
            "meeting": new_ids["meetings"],
        }
        for record in data["audit"]:
            row = _row(record)
            mapping = remap.get(str(row.get("entity")))
            if mapping is not None and row.get("entity_id") is not None:
                row["entity_id"] = mapping.get(int(row["entity_id"]), row["entity_id"])
            connection.execute(insert(AUDIT).values(**row))
        counts = {name: len(data[name]) for name in SECTIONS}
        urns = sorted({int(r["urn"]) for name in SCHOOL_SECTIONS for r in data[name]})
        las = sorted(
            set(connection.execute(select(SCHOOLS.c.la_name).where(SCHOOLS.c.urn.in_(urns))).scalars())
        )
        audit.write(
            connection,
            by=by,
            entity="import",
            action="create",
            what=f"register imported from {file_name}",
            la_name=las[0] if len(las) == 1 else None,
            new=counts,
            reason=f"import of {sum(counts.values())} rows exported {data.get('exported_at')}",
        )
    return counts
