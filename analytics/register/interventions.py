"""Interventions (time-limited, costed in officer days) and notes of visit.

Terms are those of `analytics.movement`: autumn Sep-Dec, spring Jan-Mar, summer Apr-Aug. TERM_RULE says
exactly when an intervention reaches its two-term review and its three-term escalation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, select

from analytics.queries import SCHOOLS, Scope
from analytics.register import audit, settings
from analytics.register.base import (
    INTERVENTIONS,
    NOTES,
    Conflict,
    InvalidInput,
    as_date,
    check_amount,
    check_by,
    check_past,
    check_text,
    insert_row,
    now,
    read,
    school_row,
    scoped,
    write_transaction,
)
from analytics.register.schemes import CLOSED_STATUSES, FUNDERS, STATUSES
from analytics.school_calendar import end_of_term_count

TERM_RULE = (
    "Terms: autumn Sep-Dec, spring Jan-Mar, summer Apr-Aug. An intervention's first term is the term it "
    "starts in if it starts on or before that term's midpoint, otherwise the next term. The two-term review "
    "is due at the end of its second term and the three-term escalation at the end of its third; both are "
    "flagged from those dates while the intervention is planned or active."
)
REVIEW_DUE = "two-term review due"
ESCALATION_DUE = "three-term escalation due"


def review_dates(start: date) -> tuple[date, date]:
    """(two-term review due, three-term escalation due) for an intervention starting on `start`."""
    return end_of_term_count(start, 2), end_of_term_count(start, 3)


def flag(status: str, start: date, today: date) -> str:
    if status in CLOSED_STATUSES:
        return ""
    review, escalation = review_dates(start)
    if today >= escalation:
        return ESCALATION_DUE
    return REVIEW_DUE if today >= review else ""


# ---------------------------------------------------------------------------------------------------- writes

FIELDS = (
    "type",
    "lead_officer",
    "start_date",
    "planned_days",
    "used_days",
    "day_rate",
    "other_cost",
    "funded_by",
    "status",
    "end_date",
    "outcome",
)


def _check_type(connection: Connection, la_name: str | None, value: str) -> str:
    types = settings.intervention_types(connection, la_name)
    match = next((t for t in types if t.casefold() == (value or "").strip().casefold()), None)
    if match is None:
        raise InvalidInput("type", f"'{value}' is not an intervention type (one of {'; '.join(types)})")
    return match


def _check_funder(value: str) -> str:
    match = next((f for f in FUNDERS if f.casefold() == (value or "").strip().casefold()), None)
    if match is None:
        raise InvalidInput("funded by", f"'{value}' is not one of {', '.join(FUNDERS)}")
    return match


def add_intervention(
    engine: Engine,
    urn: int,
    *,
    type: str,
    start: date,
    planned_days: float,
    by: str,
    lead_officer: str | None = None,
    day_rate: float | None = None,
    other_cost: float = 0.0,
    funded_by: str = FUNDERS[0],
    today: date | None = None,
) -> int:
    """Start (or plan, when `start` is in the future) an intervention; returns its id. Audited."""
    today = today or date.today()
    by = check_by(by)
    with write_transaction(engine) as connection:
        school = school_row(connection, urn)
        la = school["la_name"]
        row = {
            "urn": int(urn),
            "type": _check_type(connection, la, type),
            "lead_officer": check_text(lead_officer or by, "lead officer"),
            "start_date": start,
            "planned_days": check_amount(planned_days, "days"),
            "used_days": 0.0,
            "day_rate": check_amount(
                settings.day_rate(connection, la) if day_rate is None else day_rate, "day rate"
            ),
            "other_cost": check_amount(other_cost, "other cost"),
            "funded_by": _check_funder(funded_by),
            "status": "planned" if start > today else "active",
            "end_date": None,
            "outcome": None,
            "version": 1,
            "created_by": by,
            "created_at": now(),
        }
        new_id = insert_row(connection, INTERVENTIONS, row)
        shown = {k: row[k] for k in FIELDS}
        audit.write(
            connection,
            by=by,
            entity="intervention",
            entity_id=new_id,
            urn=int(urn),
            la_name=la,
            action="create",
            what=f"intervention #{new_id} {row['type']} started",
            new=shown,
            reason=f"{row['type']} from {start:%d/%m/%Y}, {row['planned_days']:g} officer days planned",
        )
    return new_id


def update_intervention(
    engine: Engine,
    intervention_id: int,
    *,
    expected_version: int,
    by: str,
    reason: str,
    today: date | None = None,
    **changes: Any,
) -> int:
    """Change an intervention's fields (e.g. used days, status, outcome); returns its new version.

    Closing it (completed or withdrawn) needs an end date (default today) and, when completed, an outcome.
    Conflict when someone changed it since `expected_version` was read.
    """
    day = today or date.today()
    return audit.audited_update(
        engine,
        INTERVENTIONS,
        intervention_id,
        entity="intervention",
        noun="intervention",
        allowed=FIELDS,
        changes=changes,
        expected_version=expected_version,
        by=by,
        reason=reason,
        clean=lambda connection, school, row: _clean_changes(
            connection, school["la_name"], dict(row), changes, day
        ),
        stale=lambda row: _stale(intervention_id, row, expected_version),
        label=lambda row: f"intervention #{intervention_id} {row['type']}",
    )


def _stale(intervention_id: int, row: Any, expected_version: int) -> Conflict:
    return Conflict(
        f"Intervention #{intervention_id} at URN {row['urn']} was changed by someone else after you opened "
        f"it (version {row['version']} or later, you read {expected_version}). Nothing was saved: reload it "
        "and make your change again."
    )


def _clean_changes(
    connection: Connection, la_name: str | None, row: dict[str, Any], changes: dict[str, Any], today: date
) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in ("planned_days", "used_days", "day_rate", "other_cost"):
            clean[key] = check_amount(value, key.replace("_", " "))
        elif key == "type":
            clean[key] = _check_type(connection, la_name, value)
        elif key == "funded_by":
            clean[key] = _check_funder(value)
        elif key == "status":
            if value not in STATUSES:
                raise InvalidInput("status", f"'{value}' is not one of {', '.join(STATUSES)}")
            clean[key] = value
        elif key in ("start_date", "end_date"):
            clean[key] = as_date(value)
        elif key == "lead_officer":
            clean[key] = check_text(value, "lead officer")
        else:
            clean[key] = check_text(value, key.replace("_", " "), required=False)
    merged = {**row, **clean}
    if merged["status"] in CLOSED_STATUSES:
        merged["end_date"] = clean["end_date"] = merged["end_date"] or today
        if merged["status"] == "completed" and not merged["outcome"]:
            raise InvalidInput("outcome", "say what the intervention achieved before recording it completed")
    if merged["end_date"] is not None:
        check_past(merged["end_date"], "end date", today)
        if merged["end_date"] < merged["start_date"]:
            raise InvalidInput("end date", "is before the start date")
    if merged["status"] == "active" and merged["start_date"] > today:
        raise InvalidInput("status", "an intervention starting in the future is planned, not active")
    return clean


def add_note(
    engine: Engine,
    urn: int,
    *,
    visit_date: date,
    text: str,
    by: str,
    intervention_id: int | None = None,
    today: date | None = None,
) -> int:
    """A note of visit (append-only); returns its id. Audited."""
    today = today or date.today()
    by = check_by(by)
    body = check_text(text, "note")
    check_past(visit_date, "visit date", today)
    with write_transaction(engine) as connection:
        school = school_row(connection, urn, open_only=False)
        if intervention_id is not None:
            owner = connection.execute(
                select(INTERVENTIONS.c.urn).where(INTERVENTIONS.c.id == int(intervention_id))
            ).scalar_one_or_none()
            if owner != int(urn):
                raise InvalidInput("intervention", f"#{intervention_id} is not an intervention at URN {urn}")
        row = {
            "urn": int(urn),
            "intervention_id": intervention_id,
            "visit_date": visit_date,
            "author": by,
            "text": body,
            "recorded_at": now(),
        }
        new_id = insert_row(connection, NOTES, row)
        audit.write(
            connection,
            by=by,
            entity="note",
            entity_id=new_id,
            urn=int(urn),
            la_name=school["la_name"],
            action="create",
            what=f"note of visit {visit_date:%d/%m/%Y}",
            new={"visit_date": visit_date, "intervention_id": intervention_id, "text": body},
            reason="note of visit",
        )
    return new_id


# ---------------------------------------------------------------------------------------------------- reads

SCHOOL_INFO = ("name", "la_name", "constituency", "phase")


def interventions(engine: Engine, scope: Scope | None = None, today: date | None = None) -> pd.DataFrame:
    """Interventions of schools in scope with their costs and term flags (see TERM_RULE)."""
    today = today or date.today()
    query = select(INTERVENTIONS, *[SCHOOLS.c[c] for c in SCHOOL_INFO]).select_from(
        INTERVENTIONS.join(SCHOOLS, SCHOOLS.c.urn == INTERVENTIONS.c.urn)
    )
    frame = read(engine, scoped(query, scope).order_by(INTERVENTIONS.c.start_date, INTERVENTIONS.c.id))
    columns = [
        *[c.name for c in INTERVENTIONS.columns],
        *SCHOOL_INFO,
        "cost_to_date",
        "planned_cost",
        "review_due",
        "escalation_due",
        "flag",
    ]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["cost_to_date"] = frame["used_days"] * frame["day_rate"] + frame["other_cost"]
    frame["planned_cost"] = frame["planned_days"] * frame["day_rate"] + frame["other_cost"]
    dates = [review_dates(as_date(s) or today) for s in frame["start_date"]]
    frame["review_due"] = [r for r, _ in dates]
    frame["escalation_due"] = [e for _, e in dates]
    frame["flag"] = [
        flag(s, as_date(d) or today, today) for s, d in zip(frame["status"], frame["start_date"], strict=True)
    ]
    return frame[columns]


def notes(engine: Engine, scope: Scope | None = None) -> pd.DataFrame:
    """Notes of visit of schools in scope, newest first."""
    query = select(NOTES, *[SCHOOLS.c[c] for c in SCHOOL_INFO]).select_from(
        NOTES.join(SCHOOLS, SCHOOLS.c.urn == NOTES.c.urn)
    )
    frame = read(engine, scoped(query, scope).order_by(NOTES.c.visit_date.desc(), NOTES.c.id.desc()))
    return (
        frame if not frame.empty else pd.DataFrame(columns=[*[c.name for c in NOTES.columns], *SCHOOL_INFO])
    )
