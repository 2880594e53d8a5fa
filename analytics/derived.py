"""National frames that depend only on the data version, computed once after each import and stored.

The read model's heavy work (every school's headline grade, grades "as at" every term and month end since
2005, the movement lineage, due dates, the search index, LA context sums) does not depend on who is looking
or on any filter, only on the data. It is computed once after each import (`refresh`, called by the
importers' command line, `init-demo` and page uploads) and stored in `derived_frame` as Parquet keyed on the
data version, so a first page view (in any replica) reads a stored frame instead of recomputing it. A frame
missing for the current version (an import made without a refresh) is built on first use and stored then.

Pages key on `visible_version`, not on the latest import: while `refresh` is storing a new version's frames
(a marker row says so), the previous complete version stays visible, so the sessions of a busy server keep
their cached pages instead of each waiting for a frame the refresh is building anyway. The previous version's
frames are kept until the next refresh for the sessions still reading them.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, insert, literal, select
from sqlalchemy.exc import IntegrityError

from analytics import lineage, queries, trends
from analytics import school_profile as sp
from analytics.due_dates import DUE_COLUMNS, due_table
from analytics.school_calendar import as_at_dates
from analytics.schools import sector_of
from analytics.store import as_utc, data_version
from analytics.store.models import DerivedFrame, ImportLog

TABLE = DerivedFrame.__table__  # type: ignore[attr-defined]
TREND_START = date(2005, 9, 1)
MONTHLY_START = date(2018, 9, 1)  # month ends: the recent years, where monthly meetings look
TREND_GROUPS = ["la_name", "phase", "sector"]


class Sources:
    """The store's raw frames, each read once per build."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @cached_property
    def headlines(self) -> pd.DataFrame:
        frame = queries.school_headlines(self.engine, queries.Scope.england())
        frame["sector"] = sector_of(frame)
        exact = trends.exact_from(frame, self.history)
        frame["grade_known_exactly_from"] = exact.to_numpy()
        return frame

    @cached_property
    def history(self) -> pd.DataFrame:
        return queries.grade_history(self.engine)

    @cached_property
    def links(self) -> pd.DataFrame:
        return queries.school_links(self.engine)

    @cached_property
    def gias(self) -> pd.DataFrame:
        return lineage.gias_links(self.links)

    @cached_property
    def all_schools(self) -> pd.DataFrame:
        return queries.schools(self.engine, queries.Scope.england(), open_only=False)

    def data_date(self) -> date:
        as_at = self.headlines["as_at"].dropna()
        return pd.Timestamp(as_at.max()).date() if not as_at.empty else date.today()


def _trend_counts(sources: Sources, freq: str) -> pd.DataFrame:
    """Additive KPI counts for every as-at date x LA x phase x sector (the trend charts and the
    comparisons)."""
    if sources.headlines.empty:  # no school loaded yet (e.g. only a DfE file imported)
        return pd.DataFrame(columns=["as_at", *trends.COUNT_COLUMNS, *TREND_GROUPS])
    final = sources.data_date()
    dates = as_at_dates(MONTHLY_START if freq == "month" else TREND_START, final, freq)
    if not dates or dates[-1] != pd.Timestamp(final):
        dates.append(pd.Timestamp(final))
    panel = trends.grade_panel(sources.headlines, sources.history, dates, sources.gias)
    return trends.panel_counts(panel, sources.headlines, TREND_GROUPS)


def _due(sources: Sources) -> pd.DataFrame:
    if sources.headlines.empty:
        return pd.DataFrame(columns=DUE_COLUMNS)
    members = lineage.lineage_members(sources.headlines, sources.history, sources.links)
    return due_table(sources.headlines, members, sources.history)


def _context_sums(sources: Sources) -> pd.DataFrame:
    groups = sp.comparison_groups(sources.all_schools, sources.links)
    return queries.context_sums_by_la(sources.engine, groups, sp.WEIGHTS, sp.DIFFERENCES)


BUILDERS: dict[str, Callable[[Sources], pd.DataFrame]] = {
    "headlines": lambda s: s.headlines,
    "trend_counts_term": lambda s: _trend_counts(s, "term"),
    "trend_counts_month": lambda s: _trend_counts(s, "month"),
    "movement_lineage": lambda s: trends.movement_lineage(s.headlines, s.history, s.gias),
    "directory": lambda s: sp.search_index(s.all_schools),
    "due": _due,
    "context_sums": _context_sums,
    "links": lambda s: s.links,
}


#: Import kinds (by prefix) each frame depends on: an import of another kind (a district mapping, LA
#: indicators) carries the stored frame forward to the new data version instead of rebuilding it.
SCHOOL_DATA = ("ofsted", "gias")
DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "headlines": SCHOOL_DATA,
    "trend_counts_term": SCHOOL_DATA,
    "trend_counts_month": SCHOOL_DATA,
    "movement_lineage": SCHOOL_DATA,
    "directory": SCHOOL_DATA,
    "due": SCHOOL_DATA,
    "context_sums": (*SCHOOL_DATA, "dfe"),
    "links": ("gias",),
}


#: A marker row (empty payload): a refresh of this data version has started and not finished.
REFRESHING = "(refreshing)"
#: A marker older than this (a refresh killed midway) no longer hides the new version.
REFRESH_HIDES_AT_MOST = timedelta(minutes=15)
#: Set around an import by the callers that refresh right after it (the command line, page uploads): the
#: import's own transaction then writes the marker (`mark_refresh_pending`), so no page sees the new version
#: in the moment between the import's commit and the start of its refresh (a page would build the frames).
REFRESH_FOLLOWS: ContextVar[bool] = ContextVar("refresh_follows", default=False)


@contextmanager
def refresh_follows() -> Iterator[None]:
    token = REFRESH_FOLLOWS.set(True)
    try:
        yield
    finally:
        REFRESH_FOLLOWS.reset(token)


def mark_refresh_pending(connection: Connection, version: int) -> None:
    """In the import's transaction: a refresh of `version` is about to run (see REFRESH_FOLLOWS)."""
    if REFRESH_FOLLOWS.get():
        _insert_marker(connection, version)


def _insert_marker(connection: Connection, version: int) -> None:
    marker = {"name": REFRESHING, "data_version": version, "created_at": datetime.now(UTC)}
    connection.execute(insert(TABLE).values(payload=b"", **marker))


def to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def from_parquet(payload: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(payload))


def stored(engine: Engine, name: str, version: int) -> pd.DataFrame | None:
    query = select(TABLE.c.payload).where(TABLE.c.name == name, TABLE.c.data_version == version)
    with engine.connect() as connection:
        payload = connection.execute(query).scalar_one_or_none()
    return None if payload is None else from_parquet(payload)


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that takes SQLite's write lock at BEGIN (it reads the data version, then writes: a
    deferred transaction could not upgrade its lock while an import writes and would fail at once instead of
    waiting). A frame stored meanwhile by another process (same name and version) is left as it is."""
    with engine.connect().execution_options(begin_immediate=True) as connection:
        try:
            with connection.begin():
                yield connection
        except IntegrityError:
            pass  # another replica stored the same frame first: identical by construction


def has(engine: Engine, name: str, version: int) -> bool:
    query = select(func.count()).where(TABLE.c.name == name, TABLE.c.data_version == version)
    with engine.connect() as connection:
        return bool(connection.execute(query).scalar_one())


def _store(engine: Engine, name: str, version: int, frame: pd.DataFrame) -> None:
    """Store a frame for `version` unless an import has moved the data on meanwhile (it would be
    mislabelled)."""
    payload = to_parquet(frame)
    with writing(engine) as connection:
        if data_version(connection) != version:
            return
        connection.execute(delete(TABLE).where(TABLE.c.name == name, TABLE.c.data_version == version))
        connection.execute(
            insert(TABLE).values(
                name=name, data_version=version, created_at=datetime.now(UTC), payload=payload
            )
        )


def carried_forward(engine: Engine, name: str, version: int) -> bool:
    """Copy the newest stored frame to `version` when no import since it touched what the frame depends on."""
    log = ImportLog.__table__  # type: ignore[attr-defined]
    with writing(engine) as connection:
        older = connection.execute(
            select(func.max(TABLE.c.data_version)).where(TABLE.c.name == name, TABLE.c.data_version < version)
        ).scalar_one_or_none()
        if older is None:
            return False
        kinds = connection.execute(
            select(log.c.kind).where(log.c.id > older, log.c.id <= version).distinct()
        ).scalars()
        if (
            any(str(kind).startswith(DEPENDS_ON[name]) for kind in kinds)
            or data_version(connection) != version
        ):
            return False
        connection.execute(delete(TABLE).where(TABLE.c.name == name, TABLE.c.data_version == version))
        copy = select(TABLE.c.name, literal(version), TABLE.c.created_at, TABLE.c.payload).where(
            TABLE.c.name == name, TABLE.c.data_version == older
        )
        connection.execute(insert(TABLE).from_select(["name", "data_version", "created_at", "payload"], copy))
    return True


def load(engine: Engine, name: str, version: int) -> pd.DataFrame:
    """The named frame for `version`: stored (or carried forward), else built now and stored."""
    found = stored(engine, name, version)
    if found is None and carried_forward(engine, name, version):
        found = stored(engine, name, version)
    if found is not None:
        return found
    frame = BUILDERS[name](Sources(engine))
    _store(engine, name, version, frame)
    return frame


def _complete_before(connection: Connection, version: int) -> int | None:
    """The newest data version below `version` with every frame stored, or None."""
    complete = (
        select(TABLE.c.data_version)
        .where(TABLE.c.name.in_(list(BUILDERS)), TABLE.c.data_version < version)
        .group_by(TABLE.c.data_version)
        .having(func.count() == len(BUILDERS))
        .subquery()
    )
    return connection.execute(select(func.max(complete.c.data_version))).scalar_one_or_none()


def visible_version(engine: Engine) -> int:
    """The data version pages show: the latest import's, except while its refresh is under way (begun less
    than REFRESH_HIDES_AT_MOST ago) and an older version has every frame stored: then that one."""
    log = ImportLog.__table__  # type: ignore[attr-defined]
    latest = select(func.coalesce(func.max(log.c.id), 0)).scalar_subquery()
    marker = (
        select(TABLE.c.created_at)
        .where(TABLE.c.name == REFRESHING, TABLE.c.data_version == latest)
        .scalar_subquery()
    )
    with engine.connect() as connection:
        version, started = connection.execute(select(latest, marker)).one()
        version = int(version or 0)
        if started is None or datetime.now(UTC) - as_utc(started) > REFRESH_HIDES_AT_MOST:
            return version
        previous = _complete_before(connection, version)
    return version if previous is None else int(previous)


def _mark_refreshing(engine: Engine, version: int, *, on: bool) -> None:
    with writing(engine) as connection:
        connection.execute(delete(TABLE).where(TABLE.c.name == REFRESHING, TABLE.c.data_version == version))
        if on and data_version(connection) == version:
            _insert_marker(connection, version)


def refresh(engine: Engine, progress: Callable[[str], None] | None = None) -> int:
    """Store every frame for the current data version (carried forward where the last imports did not touch
    its sources, else rebuilt), then make it the visible version; drop the versions before the previous
    complete one. Returns the version."""
    version = data_version(engine)
    with engine.connect() as connection:
        previous = _complete_before(connection, version)
    _mark_refreshing(engine, version, on=True)
    try:
        sources = Sources(engine)
        for number, (name, build) in enumerate(BUILDERS.items(), start=1):
            if has(engine, name, version) or carried_forward(engine, name, version):
                continue
            if progress:
                progress(f"Preparing the read model [{number}/{len(BUILDERS)}]: {name}")
            _store(engine, name, version, build(sources))
    except BaseException:
        _mark_refreshing(engine, version, on=False)  # pages build what is missing on first view instead
        raise
    keep = version if previous is None else previous
    with writing(engine) as connection:
        connection.execute(delete(TABLE).where(TABLE.c.data_version < keep))
        connection.execute(delete(TABLE).where(TABLE.c.name == REFRESHING, TABLE.c.data_version <= version))
    return version
