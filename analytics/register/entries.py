"""Register entries: the LA's categorisation of a school, append-only (a change is a new version).

The version a form read travels with it: `record_level(..., expected_version=v)` refuses with `Conflict`
when the school's latest version is no longer v, so a second editor never silently overwrites the first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from analytics.queries import INSPECTIONS, SCHOOLS, Scope
from analytics.register import audit, settings
from analytics.register.base import (
    ENTRIES,
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
from analytics.register.schemes import SCHEMES, STRAND_TITLES, Scheme, find_code, find_scheme, find_strand

OFSTED_CATEGORIES = {"SWK": "serious weaknesses", "SM": "special measures", "NTI": "notice to improve"}
SCHOOL_COLUMNS = ["name", "la_name", "constituency", "phase", "type_group", "is_open"]


def school_version(engine: Engine, urn: int) -> int:
    """The school's latest entry version (0: never categorised). Forms carry it to `record_level`."""
    with engine.connect() as connection:
        return _version(connection, urn)


def _version(connection: Connection, urn: int) -> int:
    query = select(func.coalesce(func.max(ENTRIES.c.version), 0)).where(ENTRIES.c.urn == int(urn))
    return int(connection.execute(query).scalar_one())


def ofsted_category(engine: Engine, urn: int) -> str | None:
    """The category of concern at the school's latest graded inspection (SWK, SM...), or None (also for a
    closed school): the `category_of_concern` of `school_headlines`, read as one value (building the headline
    frame for one school was most of the cost of a register change)."""
    latest = INSPECTIONS.alias("latest")
    query = (
        select(latest.c.category_of_concern)
        .select_from(SCHOOLS.join(latest, latest.c.inspection_number == SCHOOLS.c.latest_graded_number))
        .where(SCHOOLS.c.urn == int(urn), SCHOOLS.c.is_open.is_(True))
    )
    with engine.connect() as connection:
        value = connection.execute(query).scalar()
    return str(value) if isinstance(value, str) and value.strip() else None


def resolve_scheme(name: str | None) -> Scheme:
    scheme = find_scheme(name)
    if scheme is None:
        raise InvalidInput("scheme", f"unknown scheme '{name}' (one of {', '.join(SCHEMES)})")
    return scheme


def resolve_strands(values: Iterable[str]) -> list[str]:
    keys = []
    for value in values:
        key = find_strand(value)
        if key is None:
            raise InvalidInput("strand", f"unknown strand '{value}' (one of {', '.join(STRAND_TITLES)})")
        keys.append(key)
    return sorted(set(keys), key=list(STRAND_TITLES).index)


def record_level(
    engine: Engine,
    urn: int,
    *,
    scheme: str,
    level: str,
    reason: str,
    by: str,
    strands: Iterable[str] = (),
    stage: str | None = None,
    effective: date | None = None,
    next_review: date | None = None,
    expected_version: int | None = None,
    source: str = "manual",
    today: date | None = None,
) -> int:
    """Record the school's level (a new entry and its audit row in one transaction); returns the new version.

    `expected_version`: the version the editor's form read (None: whatever is current, e.g. the CLI).
    Raises InvalidInput (naming the field) or Conflict; nothing is written then.
    """
    category = ofsted_category(engine, urn)
    chosen = find_scheme(scheme)
    names = settings.level_names(engine, _la_of(engine, urn), chosen.name) if chosen else None
    with write_transaction(engine) as connection:
        return record_level_in(
            connection,
            urn,
            scheme=scheme,
            level=level,
            reason=reason,
            by=by,
            strands=strands,
            stage=stage,
            effective=effective,
            next_review=next_review,
            expected_version=expected_version,
            source=source,
            today=today,
            ofsted_category=category,
            level_names=names,
        )


def _la_of(engine: Engine, urn: int) -> str | None:
    with engine.connect() as connection:
        found = connection.execute(
            select(SCHOOLS.c.la_name).where(SCHOOLS.c.urn == int(urn))
        ).scalar_one_or_none()
    return str(found) if found else None


def record_level_in(
    connection: Connection,
    urn: int,
    *,
    scheme: str,
    level: str,
    reason: str,
    by: str,
    strands: Iterable[str] = (),
    stage: str | None = None,
    effective: date | None = None,
    next_review: date | None = None,
    expected_version: int | None = None,
    source: str = "manual",
    today: date | None = None,
    ofsted_category: str | None = None,
    level_names: dict[str, str] | None = None,
) -> int:
    """`record_level` inside the caller's transaction (the caller commits or rolls back both rows)."""
    today = today or date.today()
    by = check_by(by)
    school = school_row(connection, urn)
    chosen = resolve_scheme(scheme)
    code = find_code(list(chosen.levels), level, level_names)
    if code is None:
        names = ", ".join(level_names.get(c, c) if level_names else c for c in chosen.codes)
        raise InvalidInput("level", f"'{level}' is not a level of {chosen.name} (one of {names})")
    stage_code = None
    if stage not in (None, ""):
        if not chosen.stages:
            raise InvalidInput("stage", f"the {chosen.name} scheme has no stages")
        stage_code = find_code(list(chosen.stages), stage)
        if stage_code is None:
            raise InvalidInput("stage", f"'{stage}' is not a stage (one of {', '.join(chosen.stage_codes)})")
    reason_text = check_text(reason, "reason")
    strand_keys = resolve_strands(strands)
    effective = check_past(effective or today, "effective date", today) or today
    if next_review is not None and next_review <= effective:
        raise InvalidInput(
            "review-by", f"{next_review:%d/%m/%Y} is not after the effective date {effective:%d/%m/%Y}"
        )

    current = (
        connection.execute(
            select(ENTRIES).where(ENTRIES.c.urn == int(urn)).order_by(ENTRIES.c.version.desc()).limit(1)
        )
        .mappings()
        .first()
    )
    version = int(current["version"]) if current else 0
    if expected_version is not None and int(expected_version) != version:
        raise Conflict(
            f"URN {urn} ({school['name']}) was changed by {current['set_by'] if current else 'someone'} "
            f"after you opened it (version {version}, you read {expected_version}). Nothing was saved: "
            "reload the school to see the change, then record your decision again."
        )
    _check_scheme_rules(connection, chosen, code, current, effective, ofsted_category, urn)

    row = {
        "urn": int(urn),
        "version": version + 1,
        "scheme": chosen.name,
        "level": code,
        "stage": stage_code,
        "strands": json.dumps(strand_keys),
        "reason": reason_text,
        "effective_date": effective,
        "next_review": next_review,
        "set_by": by,
        "recorded_at": now(),
        "source": source,
    }
    try:
        new_id = insert_row(connection, ENTRIES, row)
    except IntegrityError:  # another writer took this version first (PostgreSQL, concurrent transactions)
        raise Conflict(
            f"URN {urn} ({school['name']}) was changed by someone else at the same moment. Nothing was "
            "saved: "
            "reload the school and record your decision again."
        ) from None
    old = _summary(current) if current else None
    audit.write(
        connection,
        by=by,
        entity="entry",
        entity_id=new_id,
        urn=int(urn),
        la_name=school["la_name"],
        action="create",
        what="first entry" if current is None else _what_changed(old, _summary(row)),
        old=old,
        new=_summary(row),
        reason=reason_text,
    )
    return version + 1


def _summary(row: Mapping[Any, Any]) -> dict[str, Any]:
    get = row.get
    strands = get("strands")
    return {
        "scheme": get("scheme"),
        "level": get("level"),
        "stage": get("stage"),
        "strands": json.loads(strands) if isinstance(strands, str) else strands,
        "effective_date": get("effective_date"),
        "next_review": get("next_review"),
    }


def _what_changed(old: dict | None, new: dict) -> str:
    if old is None:
        return "first entry"
    changed = [k for k in ("scheme", "level", "stage", "strands", "next_review") if old.get(k) != new.get(k)]
    return "entry: " + (", ".join(changed) if changed else "reason re-recorded")


def _check_scheme_rules(
    connection: Connection,
    scheme: Scheme,
    code: str,
    current: Mapping[Any, Any] | None,
    effective: date,
    ofsted: str | None,
    urn: int,
) -> None:
    """The scheme's own rules: Ofsted-category level only with a category (and held until Ofsted removes it);
    changes at the review-meeting levels only after a review meeting (except a first entry)."""
    held = scheme.ofsted_category_level
    previous = current["level"] if current is not None and current["scheme"] == scheme.name else None
    if held is not None and code == held and ofsted not in ("SWK", "SM"):
        raise InvalidInput(
            "level",
            f"{scheme.level(held).label} needs an Ofsted category of concern (serious weaknesses or "
            f"special measures); the latest graded inspection of URN {urn} has none",
        )
    if held is not None and previous == held and code != held and ofsted in ("SWK", "SM"):
        raise InvalidInput(
            "level",
            f"URN {urn} is still in an Ofsted category ({OFSTED_CATEGORIES[ofsted]}): a school stays in "
            f"{scheme.level(held).label} until Ofsted removes the category",
        )
    gated = scheme.review_meeting_levels
    if current is None or not gated or previous == code or not ({previous, code} & gated):
        return
    since = current["effective_date"]
    meeting = connection.execute(
        select(func.max(REVIEWS.c.meeting_date)).where(
            REVIEWS.c.urn == int(urn), REVIEWS.c.meeting_date >= since, REVIEWS.c.meeting_date <= effective
        )
    ).scalar_one_or_none()
    if meeting is None:
        raise InvalidInput(
            "level",
            f"changes to or from {', '.join(scheme.level(c).label for c in sorted(gated))} are made "
            f"only after a review meeting: record a review meeting for URN {urn} held between "
            f"{since:%d/%m/%Y} and {effective:%d/%m/%Y} first",
        )


# ---------------------------------------------------------------------------------------------------- reads

ENTRY_COLUMNS = [
    "urn",
    "name",
    "la_name",
    "constituency",
    "phase",
    "version",
    "scheme",
    "level",
    "level_label",
    "stage",
    "stage_label",
    "strands",
    "reason",
    "effective_date",
    "next_review",
    "set_by",
    "recorded_at",
    "source",
]


def entries(engine: Engine, scope: Scope | None = None) -> pd.DataFrame:
    """Every entry (the whole append-only history) of schools in scope, oldest first, labelled."""
    query = select(ENTRIES, *[SCHOOLS.c[c] for c in SCHOOL_COLUMNS]).select_from(
        ENTRIES.join(SCHOOLS, SCHOOLS.c.urn == ENTRIES.c.urn)
    )
    frame = read(engine, scoped(query, scope).order_by(ENTRIES.c.urn, ENTRIES.c.version))
    if frame.empty:
        return pd.DataFrame(columns=ENTRY_COLUMNS + ["id", "is_open"])
    return label(engine, frame)


def label(engine: Engine, frame: pd.DataFrame) -> pd.DataFrame:
    """Add level_label and stage_label (the LA's own level names) and strands as readable text."""
    out = frame.copy()
    names: dict[tuple[str | None, str], dict[str, str]] = {}
    labels = []
    for la, scheme, code in zip(out["la_name"], out["scheme"], out["level"], strict=True):
        key = (la if isinstance(la, str) else None, str(scheme))
        if key not in names:
            names[key] = settings.level_names(engine, key[0], key[1]) if key[1] in SCHEMES else {}
        labels.append(names[key].get(str(code), str(code)))
    out["level_label"] = labels
    out["stage_label"] = [
        SCHEMES[s].stage(str(g)).label
        if s in SCHEMES and isinstance(g, str) and g in SCHEMES[s].stage_codes
        else None
        for s, g in zip(out["scheme"], out["stage"], strict=True)
    ]
    out["strands"] = [
        "; ".join(STRAND_TITLES.get(k, k) for k in json.loads(v or "[]")) for v in out["strands"]
    ]
    return out


def current(engine: Engine, scope: Scope | None = None, as_at: date | None = None) -> pd.DataFrame:
    """One row per school in scope: its entry in force on `as_at` (default: now).

    In force = the highest version effective on or before the date and recorded by the end of that day, so
    the register "as at the last meeting" is what the meeting could have known.
    """
    frame = entries(engine, scope)
    return in_force(frame, as_at)


def in_force(frame: pd.DataFrame, as_at: date | None = None) -> pd.DataFrame:
    if frame.empty or as_at is None:
        chosen = frame
    else:
        cutoff = pd.Timestamp(datetime.combine(as_at + timedelta(days=1), time.min, UTC))
        recorded = pd.to_datetime(frame["recorded_at"], utc=True)
        chosen = frame.loc[
            (pd.to_datetime(frame["effective_date"]) <= pd.Timestamp(as_at)) & (recorded < cutoff)
        ]
    latest = chosen.sort_values(["urn", "version"]).drop_duplicates("urn", keep="last")
    return latest.reset_index(drop=True)


def history(engine: Engine, urn: int) -> pd.DataFrame:
    """The school's entries, newest first."""
    frame = entries(engine, Scope(urns=(int(urn),)))
    return frame.sort_values("version", ascending=False).reset_index(drop=True)
