"""Review meetings about a school (standing agenda, decisions, next date) and the monthly SCC meetings."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from analytics.queries import SCHOOLS, Scope
from analytics.register import audit
from analytics.register.base import (
    MEETINGS,
    REVIEWS,
    Conflict,
    InvalidInput,
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
from analytics.register.schemes import STANDING_AGENDA


def _agenda(items: dict[str, str] | None) -> dict[str, str]:
    items = items or {}
    unknown = sorted(set(items) - set(STANDING_AGENDA))
    if unknown:
        raise InvalidInput(
            "agenda",
            f"unknown agenda item(s) {', '.join(unknown)} (standing agenda: {', '.join(STANDING_AGENDA)})",
        )
    return {k: str(v).strip() for k, v in items.items() if str(v or "").strip()}


def record_review(
    engine: Engine,
    urn: int,
    *,
    meeting_date: date,
    attendees: str,
    decisions: str,
    by: str,
    agenda: dict[str, str] | None = None,
    next_date: date | None = None,
    today: date | None = None,
) -> int:
    """Record a review meeting held about the school; returns its id. Audited."""
    today = today or date.today()
    by = check_by(by)
    check_past(meeting_date, "meeting date", today)
    agenda_items = _agenda(agenda)
    decided = check_text(decisions, "decisions")
    row = {
        "urn": int(urn),
        "meeting_date": meeting_date,
        "attendees": check_text(attendees, "attendees"),
        "agenda": json.dumps(agenda_items, ensure_ascii=False),
        "decisions": decided,
        "next_date": _next(next_date, meeting_date),
        "version": 1,
        "recorded_by": by,
        "recorded_at": now(),
    }
    with write_transaction(engine) as connection:
        school = school_row(connection, urn, open_only=False)
        new_id = insert_row(connection, REVIEWS, row)
        shown = {k: row[k] for k in ("meeting_date", "attendees", "decisions", "next_date")}
        audit.write(
            connection,
            by=by,
            entity="review",
            entity_id=new_id,
            urn=int(urn),
            la_name=school["la_name"],
            action="create",
            what=f"review meeting {meeting_date:%d/%m/%Y}",
            new={**shown, "agenda": agenda_items},
            reason=decided,
        )
    return new_id


def _next(next_date: date | None, meeting_date: date) -> date | None:
    if next_date is not None and next_date <= meeting_date:
        raise InvalidInput(
            "next date", f"{next_date:%d/%m/%Y} is not after the meeting {meeting_date:%d/%m/%Y}"
        )
    return next_date


def update_review(
    engine: Engine, review_id: int, *, expected_version: int, by: str, reason: str, **changes: Any
) -> int:
    """Correct a recorded review meeting (attendees, agenda, decisions, next date); returns the version."""
    return audit.audited_update(
        engine,
        REVIEWS,
        review_id,
        entity="review",
        noun="review meeting",
        allowed=("attendees", "agenda", "decisions", "next_date"),
        changes=changes,
        expected_version=expected_version,
        by=by,
        reason=reason,
        clean=lambda _connection, _school, row: _review_changes(changes, row["meeting_date"]),
        stale=lambda _row: _stale(review_id),
        label=lambda row: f"review meeting {row['meeting_date']:%d/%m/%Y}",
    )


def _review_changes(changes: dict[str, Any], meeting_date: date) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "agenda":
            clean[key] = json.dumps(_agenda(value), ensure_ascii=False)
        elif key == "next_date":
            clean[key] = _next(value, meeting_date)
        else:
            clean[key] = check_text(value, key)
    return clean


def _stale(review_id: int) -> Conflict:
    return Conflict(
        f"Review meeting #{review_id} was changed by someone else after you opened it. Nothing was saved: "
        "reload it and make your change again."
    )


def reviews(engine: Engine, scope: Scope | None = None) -> pd.DataFrame:
    """Review meetings of schools in scope, newest first (agenda as a dict)."""
    info = ("name", "la_name", "constituency")
    query = select(REVIEWS, *[SCHOOLS.c[c] for c in info]).select_from(
        REVIEWS.join(SCHOOLS, SCHOOLS.c.urn == REVIEWS.c.urn)
    )
    frame = read(engine, scoped(query, scope).order_by(REVIEWS.c.meeting_date.desc(), REVIEWS.c.id.desc()))
    if frame.empty:
        return pd.DataFrame(columns=[*[c.name for c in REVIEWS.columns], *info])
    frame["agenda"] = [json.loads(a or "{}") for a in frame["agenda"]]
    return frame


# ------------------------------------------------------------------------- monthly SCC meetings (per LA)


def record_meeting(
    engine: Engine, la_name: str, meeting_date: date, *, by: str, today: date | None = None
) -> int:
    """Record that the LA's monthly Schools Causing Concern meeting was held on a date; returns its id."""
    today = today or date.today()
    by = check_by(by)
    check_past(meeting_date, "meeting date", today)
    try:
        with write_transaction(engine) as connection:
            known = connection.execute(
                select(SCHOOLS.c.la_name).where(SCHOOLS.c.la_name == la_name).limit(1)
            ).scalar_one_or_none()
            if known is None:
                raise InvalidInput("la", f"unknown local authority '{la_name}'")
            row = {"la_name": la_name, "meeting_date": meeting_date, "recorded_by": by, "recorded_at": now()}
            new_id = insert_row(connection, MEETINGS, row)
            audit.write(
                connection,
                by=by,
                entity="meeting",
                entity_id=new_id,
                la_name=la_name,
                action="create",
                what=f"SCC meeting {meeting_date:%d/%m/%Y}",
                new={"meeting_date": meeting_date},
                reason="monthly Schools Causing Concern meeting held",
            )
    except IntegrityError:
        raise InvalidInput(
            "meeting date", f"a meeting on {meeting_date:%d/%m/%Y} is already recorded"
        ) from None
    return new_id


def meetings(engine: Engine, la_name: str) -> pd.DataFrame:
    """The LA's recorded SCC meetings, newest first."""
    query = select(MEETINGS).where(MEETINGS.c.la_name == la_name).order_by(MEETINGS.c.meeting_date.desc())
    return read(engine, query)


def last_meeting(engine: Engine, la_name: str, before: date | None = None) -> date | None:
    """The LA's latest recorded SCC meeting (strictly before `before`, if given)."""
    frame = meetings(engine, la_name)
    if before is not None and not frame.empty:
        frame = frame.loc[pd.to_datetime(frame["meeting_date"]) < pd.Timestamp(before)]
    return None if frame.empty else pd.Timestamp(frame["meeting_date"].iloc[0]).date()
