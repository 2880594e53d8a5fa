"""Register configuration per LA: chosen scheme, renamed levels, day rate, intervention types.

Stored as JSON in `register_setting` under the LA's name ('' = every LA); built-in defaults otherwise.
Every change is audited like any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from analytics.register import audit
from analytics.register.base import (
    SETTINGS,
    Conflict,
    InvalidInput,
    check_by,
    check_text,
    now,
    write_transaction,
)
from analytics.register.schemes import DEFAULT_DAY_RATE, DEFAULT_SCHEME, INTERVENTION_TYPES, SCHEMES

ALL_LAS = ""
SCHEME = "scheme"
DAY_RATE = "day_rate"
INTERVENTION_TYPES_KEY = "intervention_types"


def level_names_key(scheme: str) -> str:
    return f"level_names:{scheme}"


def _stored(connection: Connection, la_name: str | None, key: str) -> Any:
    """The LA's own value, else the all-LA value, else None."""
    for owner in ([la_name] if la_name else []) + [ALL_LAS]:
        found = connection.execute(
            select(SETTINGS.c.value).where(SETTINGS.c.la_name == owner, SETTINGS.c.key == key)
        ).scalar_one_or_none()
        if found is not None:
            return json.loads(found)
    return None


@contextmanager
def _connected(bind: Engine | Connection) -> Iterator[Connection]:
    """Use the caller's connection (inside a write transaction) or open one."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as connection:
            yield connection


def get(bind: Engine | Connection, la_name: str | None, key: str, default: Any = None) -> Any:
    with _connected(bind) as connection:
        value = _stored(connection, la_name, key)
    return default if value is None else value


def chosen_scheme(bind: Engine | Connection, la_name: str | None) -> str:
    value = get(bind, la_name, SCHEME, DEFAULT_SCHEME)
    return value if value in SCHEMES else DEFAULT_SCHEME


def level_names(bind: Engine | Connection, la_name: str | None, scheme: str) -> dict[str, str]:
    """Level code -> the name the LA shows (built-in label unless renamed)."""
    built_in = {level.code: level.label for level in SCHEMES[scheme].levels}
    renamed = get(bind, la_name, level_names_key(scheme), {}) or {}
    return {code: str(renamed.get(code) or label) for code, label in built_in.items()}


def day_rate(bind: Engine | Connection, la_name: str | None) -> float:
    return float(get(bind, la_name, DAY_RATE, DEFAULT_DAY_RATE))


def intervention_types(bind: Engine | Connection, la_name: str | None) -> list[str]:
    return list(get(bind, la_name, INTERVENTION_TYPES_KEY, list(INTERVENTION_TYPES)))


def _validate(key: str, value: Any) -> Any:
    if key == SCHEME:
        if value not in SCHEMES:
            raise InvalidInput("scheme", f"unknown scheme '{value}' (one of {', '.join(SCHEMES)})")
        return value
    if key == DAY_RATE:
        try:
            rate = float(value)
        except (TypeError, ValueError):
            raise InvalidInput("day rate", f"'{value}' is not a number") from None
        if rate < 0:
            raise InvalidInput("day rate", "must not be negative")
        return rate
    if key == INTERVENTION_TYPES_KEY:
        types = [str(t).strip() for t in value if str(t).strip()]
        if not types or len(set(types)) != len(types):
            raise InvalidInput("intervention types", "need at least one type and no duplicates")
        return types
    if key.startswith("level_names:") and key.split(":", 1)[1] in SCHEMES:
        scheme = SCHEMES[key.split(":", 1)[1]]
        names = {str(k): str(v).strip() for k, v in dict(value).items() if str(v).strip()}
        unknown = sorted(set(names) - set(scheme.codes))
        if unknown:
            raise InvalidInput("level names", f"unknown level code(s) {', '.join(unknown)}")
        shown = [names.get(level.code, level.label).casefold() for level in scheme.levels]
        if len(set(shown)) != len(shown):
            raise InvalidInput("level names", "two levels would have the same name")
        return names
    raise InvalidInput("setting", f"unknown setting '{key}'")


def put(engine: Engine, la_name: str | None, key: str, value: Any, *, by: str, reason: str) -> None:
    """Store one setting for an LA ('' or None = every LA), with its audit row, in one transaction."""
    by = check_by(by)
    reason_text = check_text(reason, "reason")
    clean = _validate(key, value)
    owner = la_name or ALL_LAS
    try:
        _put(engine, owner, key, clean, by, reason_text)
    except IntegrityError:  # another writer created the same setting at the same moment (PostgreSQL)
        raise Conflict(
            f"The setting {key} was changed by someone else at the same moment: nothing was saved, "
            "reload and try again."
        ) from None


def _put(engine: Engine, owner: str, key: str, clean: Any, by: str, reason_text: str | None) -> None:
    with write_transaction(engine) as connection:
        old = connection.execute(
            select(SETTINGS.c.value).where(SETTINGS.c.la_name == owner, SETTINGS.c.key == key)
        ).scalar_one_or_none()
        old_value = None if old is None else json.loads(old)
        if old_value == clean:
            raise InvalidInput(key, "is already set to that value: nothing to change")
        row = {"value": json.dumps(clean), "updated_by": by, "updated_at": now()}
        if old is None:
            connection.execute(SETTINGS.insert().values(la_name=owner, key=key, **row))
        else:
            connection.execute(
                SETTINGS.update().where(SETTINGS.c.la_name == owner, SETTINGS.c.key == key).values(**row)
            )
        audit.write(
            connection,
            by=by,
            entity="setting",
            action="create" if old is None else "update",
            what=f"setting {key}" + (f" for {owner}" if owner else " for every LA"),
            la_name=owner or None,
            old=old_value,
            new=clean,
            reason=reason_text,
        )
