"""Who sees what: accounts (argon2), roles, their scope, lock-out and the access log. No Streamlit here.

Roles (DESIGN.md section 5, issue 13): director (the LA, or every LA when the account names none), dsim
(county views of the LA; named register, notes and risk only for the schools of their districts), member
(county views, counts only, suppression; no notes or named-school risk unless `members_see_school_risk`),
headteacher (own school; with the data-sharing memorandum signed, the other signatory schools too), analyst
(imports, the data page, county views; no register), admin (users and the access log; no school data).
"""

from __future__ import annotations

import difflib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, insert, select, update

from analytics.config import get_settings
from analytics.scope import Scope
from analytics.store.engine import as_utc
from analytics.store.models import AccessLog, Account

ACCOUNTS = Account.__table__  # type: ignore[attr-defined]
LOG = AccessLog.__table__  # type: ignore[attr-defined]

ROLES = ("director", "dsim", "member", "headteacher", "analyst", "admin")
MEMORANDUM = {"signed": True, "not-signed": False}
MIN_PASSWORD = 12
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NO_SCHOOLS = Scope(urns=())

#: The pages (url paths as declared in app.py; "" is the Overview) each role may open.
COUNTY = ("", "movement", "districts")
ROLE_PAGES: dict[str, tuple[str, ...]] = {
    "director": (*COUNTY, "school", "risk", "model", "register", "meeting", "audit", "data", "access-log"),
    "dsim": (*COUNTY, "school", "risk", "model", "register"),  # the SCC meeting view is the director's
    "member": COUNTY,
    "headteacher": ("school",),
    "analyst": (*COUNTY, "school", "model", "data"),
    "admin": ("users", "access-log"),
}
IMPORTERS = ("director", "analyst")

_hasher = PasswordHasher()


class AccessError(ValueError):
    """Bad input for an account (unknown role, LA, district or URN; short password...): nothing written."""


class LoginRefused(Exception):
    """Sign-in refused; the message is safe to show (it never says whether the email exists)."""


@dataclass(frozen=True)
class Viewer:
    """A signed-in person as the read layer needs them (hashable: cached results are keyed on it)."""

    email: str
    role: str
    la: str | None = None
    districts: tuple[str, ...] = ()
    urn: int | None = None
    memorandum_signed: bool = False

    def may_open(self, url_path: str) -> bool:
        return url_path in ROLE_PAGES.get(self.role, ())

    @property
    def may_import(self) -> bool:
        return self.role in IMPORTERS

    @property
    def counts_only(self) -> bool:
        """Members see counts (suppressed), never lists of named schools."""
        return self.role == "member"

    @property
    def sees_named_risk(self) -> bool:
        return self.role != "member" or get_settings().members_see_school_risk

    def describe(self) -> str:
        where = self.la or "every local authority"
        if self.role == "dsim":
            where = f"{self.la}: {', '.join(self.districts)}"
        elif self.role == "headteacher":
            signed = "memorandum signed" if self.memorandum_signed else "memorandum not signed"
            where = f"URN {self.urn}, {signed}"
        elif self.role == "admin":
            where = "users and the access log"
        return f"{self.email} ({self.role}; {where})"


def now() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------------------------------ validation


def close_matches(value: str, known: list[str]) -> str:
    close = difflib.get_close_matches(value, known, n=5, cutoff=0.5)
    close += [k for k in known if value.lower() in k.lower() and k not in close]
    return f" Did you mean: {', '.join(close[:5])}?" if close else ""


def _exact(value: str, known: list[str], what: str) -> str:
    by_lower = {k.lower(): k for k in known}
    if value.strip().lower() in by_lower:
        return by_lower[value.strip().lower()]
    raise AccessError(f"Unknown {what} '{value}'.{close_matches(value, known)}")


def check_role(role: str) -> str:
    if role not in ROLES:
        hint = close_matches(role, list(ROLES))
        raise AccessError(f"Unknown role '{role}' (roles: {', '.join(ROLES)}).{hint}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccessError(f"The password must be at least {MIN_PASSWORD} characters.")
    return password


def known_districts(engine: Engine, la: str) -> list[str]:
    """District names of an LA: its schools' constituencies and the districts of every imported mapping."""
    from analytics import queries

    schools = queries.schools(engine, Scope.la(la))
    names = set(schools["constituency"].dropna().astype(str))
    for scheme in queries.district_schemes(engine):
        mapping = queries.district_mapping(engine, scheme)
        names |= set(mapping.loc[mapping["la_name"] == la, "district"].dropna().astype(str))
    return sorted(names)


def _school_la(engine: Engine, urn: int) -> str:
    from analytics import queries

    found = queries.schools(engine, Scope(urns=(int(urn),)))
    if found.empty:
        raise AccessError(f"Unknown URN {urn}: no open school with that URN in the store.")
    return str(found["la_name"].iloc[0])


@dataclass(frozen=True)
class AccountSpec:
    """What `users add` asks for, validated against the store by `validate`."""

    email: str
    role: str
    la: str | None = None
    districts: tuple[str, ...] = ()
    urn: int | None = None
    memorandum: str | None = None


def validate(engine: Engine, spec: AccountSpec) -> AccountSpec:
    """The spec with names as the store spells them; AccessError naming the field otherwise."""
    from analytics.queries import la_names

    email = spec.email.strip().lower()
    if not EMAIL.match(email):
        raise AccessError(f"'{spec.email}' is not an email address.")
    role = check_role(spec.role)
    if spec.memorandum is not None and spec.memorandum not in MEMORANDUM:
        raise AccessError(f"--memorandum must be signed or not-signed, not '{spec.memorandum}'.")
    la = _exact(spec.la, la_names(engine), "local authority") if spec.la else None
    urn = int(spec.urn) if spec.urn is not None else None
    if urn is not None:
        school_la = _school_la(engine, urn)
        if la is not None and la != school_la:
            raise AccessError(f"URN {urn} is a school of {school_la}, not of {la}.")
        la = school_la
    if role == "headteacher" and urn is None:
        raise AccessError("A headteacher needs --urn (their school).")
    if role == "headteacher" and spec.memorandum is None:
        raise AccessError("A headteacher needs --memorandum signed or not-signed.")
    if role == "dsim" and (la is None or not spec.districts):
        raise AccessError("A DSIM needs --la and at least one --district.")
    if role in ("member",) and la is None:
        raise AccessError("A member needs --la.")
    districts = tuple(_exact(d, known_districts(engine, la), f"district of {la}") for d in spec.districts) \
        if la and spec.districts else ()
    if spec.districts and la is None:
        raise AccessError("--district needs --la.")
    return AccountSpec(email, role, la, districts, urn, spec.memorandum)


# ------------------------------------------------------------------------------------------ accounts


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


def add_account(engine: Engine, spec: AccountSpec, password: str | None) -> AccountSpec:
    """Validate and store a new account (password None: OIDC only). Nothing is written on bad input."""
    spec = validate(engine, spec)
    hashed = hash_password(password) if password is not None else None
    stamp = now()
    with engine.begin() as connection:
        if connection.execute(select(ACCOUNTS.c.id).where(ACCOUNTS.c.email == spec.email)).first():
            raise AccessError(f"An account for {spec.email} exists already.")
        connection.execute(insert(ACCOUNTS).values(
            email=spec.email, role=spec.role, la_name=spec.la,
            districts=json.dumps(list(spec.districts)) if spec.districts else None, urn=spec.urn,
            memorandum_signed=bool(MEMORANDUM.get(spec.memorandum or "", False)), password_hash=hashed,
            failed_logins=0, locked_until=None, created_at=stamp, updated_at=stamp))
    return spec


def accounts(engine: Engine) -> pd.DataFrame:
    """Every account without its hash: email, role, la, districts, urn, memorandum, locked until."""
    columns = [ACCOUNTS.c.email, ACCOUNTS.c.role, ACCOUNTS.c.la_name, ACCOUNTS.c.districts, ACCOUNTS.c.urn,
               ACCOUNTS.c.memorandum_signed, ACCOUNTS.c.failed_logins, ACCOUNTS.c.locked_until,
               ACCOUNTS.c.created_at, ACCOUNTS.c.updated_at]
    with engine.connect() as connection:
        rows = connection.execute(select(*columns).order_by(ACCOUNTS.c.email)).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=[c.name for c in columns])
    frame["districts"] = [", ".join(json.loads(d)) if isinstance(d, str) and d else ""
                          for d in frame["districts"]]
    return frame


def count_accounts(engine: Engine) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(ACCOUNTS.c.id)).all())


def _existing(connection: Connection, email: str) -> None:
    found = connection.execute(select(ACCOUNTS.c.id).where(ACCOUNTS.c.email == email)).first()
    if not found:
        raise AccessError(f"No account for {email}.")


def remove_account(engine: Engine, email: str) -> None:
    email = email.strip().lower()
    with engine.begin() as connection:
        _existing(connection, email)
        connection.execute(delete(ACCOUNTS).where(ACCOUNTS.c.email == email))


def reset_password(engine: Engine, email: str, password: str) -> None:
    """New password; the lock-out is cleared."""
    email = email.strip().lower()
    hashed = hash_password(password)
    with engine.begin() as connection:
        _existing(connection, email)
        connection.execute(update(ACCOUNTS).where(ACCOUNTS.c.email == email).values(
            password_hash=hashed, failed_logins=0, locked_until=None, updated_at=now()))


def viewer(engine: Engine, email: str) -> Viewer | None:
    """The account of an email as a Viewer (None when there is none)."""
    with engine.connect() as connection:
        query = select(ACCOUNTS).where(ACCOUNTS.c.email == email.strip().lower())
        row = connection.execute(query).mappings().first()
    if row is None:
        return None
    return Viewer(email=row["email"], role=row["role"], la=row["la_name"],
                  districts=tuple(json.loads(row["districts"])) if row["districts"] else (),
                  urn=row["urn"], memorandum_signed=bool(row["memorandum_signed"]))


# ------------------------------------------------------------------------------------------ sign-in


def log_event(engine: Engine, email: str, event: str, detail: str | None = None) -> None:
    with engine.begin() as connection:
        connection.execute(insert(LOG).values(at=now(), email=email[:255], event=event,
                                              detail=detail[:255] if detail else None))


def access_log(engine: Engine, limit: int = 500) -> pd.DataFrame:
    query = select(LOG.c.at, LOG.c.email, LOG.c.event, LOG.c.detail).order_by(LOG.c.id.desc()).limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=["at", "email", "event", "detail"])


def authenticate(engine: Engine, email: str, password: str) -> Viewer:
    """Check a local account's password (argon2); count failures and lock the account after too many.

    Every attempt is logged, and a failure is committed before it is reported. Raises LoginRefused with a
    message that never says whether the email exists. The password is checked before the write transaction
    (argon2 takes a fifth of a second of CPU by design): the transaction then holds SQLite's write lock, or a
    PostgreSQL connection, for a few statements only, so sign-ins at the same moment do not queue behind each
    other's hashing.
    """
    email = email.strip().lower()
    with engine.connect() as connection:
        row = connection.execute(
            select(ACCOUNTS.c.password_hash, ACCOUNTS.c.locked_until).where(ACCOUNTS.c.email == email)
        ).first()
    stored = None if row is None else row.password_hash
    locked = row is not None and _lock_in_force(row.locked_until) is not None
    checked = (stored, not locked and _verifies(stored, password))  # a locked account: no guess is tried
    # The write lock up front (SQLite): a deferred transaction reads the account, then cannot upgrade to write
    # while another sign-in writes, and fails at once ("database is locked") instead of waiting its turn.
    with engine.connect().execution_options(begin_immediate=True) as connection, connection.begin():
        refusal = _attempt(connection, email, password, checked)
    if refusal is not None:
        raise LoginRefused(refusal)
    found = viewer(engine, email)
    assert found is not None
    return found


def _lock_in_force(locked_until: datetime | None) -> datetime | None:
    """The end of an account's lock (aware UTC) while it lasts, else None."""
    if locked_until is None or as_utc(locked_until) <= now():
        return None
    return as_utc(locked_until)


def _verifies(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _attempt(
    connection: Connection, email: str, password: str, checked: tuple[str | None, bool]
) -> str | None:
    """Record one attempt in the open transaction; the refusal message, or None when it succeeded. `checked`
    is the hash the password was checked against before the transaction, and the outcome (checked again
    here only if the hash has changed since, e.g. a password reset in between)."""
    settings = get_settings()
    refused = "Email or password not recognised."

    def log(event: str, detail: str) -> None:
        connection.execute(insert(LOG).values(at=now(), email=email[:255], event=event, detail=detail))

    # FOR UPDATE (PostgreSQL): concurrent attempts on one account count their failures one after another
    # (SQLite's write lock, taken at BEGIN, does the same).
    query = select(ACCOUNTS).where(ACCOUNTS.c.email == email).with_for_update()
    row = connection.execute(query).mappings().first()
    if row is None or not row["password_hash"]:
        log("failed login", "no local account")
        return refused
    locked = _lock_in_force(row["locked_until"])
    if locked is not None:
        log("failed login", "locked")
        return f"Too many failed attempts: try again after {locked:%H:%M} UTC."
    hashed, verified = checked
    if row["password_hash"] != hashed:
        verified = _verifies(row["password_hash"], password)
    if not verified:
        failures = int(row["failed_logins"]) + 1
        lock = now() + timedelta(minutes=settings.lockout_minutes) \
            if failures >= settings.max_failed_logins else None
        connection.execute(update(ACCOUNTS).where(ACCOUNTS.c.email == email).values(
            failed_logins=0 if lock else failures, locked_until=lock))
        log("failed login", "locked" if lock else f"attempt {failures}")
        return refused
    connection.execute(update(ACCOUNTS).where(ACCOUNTS.c.email == email).values(
        failed_logins=0, locked_until=None))
    log("login", "password")
    return None


# ------------------------------------------------------------------------------------------ scope


def county_scope(engine: Engine, person: Viewer) -> Scope:
    """The schools whose figures the person's county views may use."""
    if person.role == "admin":
        return NO_SCHOOLS
    if person.role == "headteacher":
        return Scope(urns=signatory_urns(engine, person))
    return Scope.la(person.la) if person.la else Scope.england()


def detail_urns(engine: Engine, person: Viewer) -> tuple[int, ...] | None:
    """Schools the person may see named detail of (register, notes, risk); None = every school in scope."""
    from analytics import queries
    from analytics.districts import district_of

    if person.role in ("director", "analyst"):
        return None
    if person.role == "headteacher":
        return (int(person.urn),) if person.urn is not None else ()
    if person.role != "dsim" or not person.la:
        return ()
    schools = queries.schools(engine, Scope.la(person.la))
    wanted = set(person.districts)
    mine = schools["constituency"].isin(wanted)
    for scheme in queries.district_schemes(engine):
        mine |= district_of(schools, queries.district_mapping(engine, scheme)).isin(wanted)
    return tuple(sorted(int(u) for u in schools.loc[mine, "urn"]))


def signatory_urns(engine: Engine, person: Viewer) -> tuple[int, ...]:
    """Own school; with the memorandum signed, every school whose headteacher has signed it too (same LA)."""
    own = {int(person.urn)} if person.urn is not None else set()
    if not person.memorandum_signed:
        return tuple(sorted(own))
    query = select(ACCOUNTS.c.urn).where(ACCOUNTS.c.role == "headteacher",
                                         ACCOUNTS.c.memorandum_signed.is_(True),
                                        ACCOUNTS.c.la_name == person.la, ACCOUNTS.c.urn.is_not(None))
    with engine.connect() as connection:
        signed = {int(u) for u in connection.execute(query).scalars()}
    return tuple(sorted(own | signed))
