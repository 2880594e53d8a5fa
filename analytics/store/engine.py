"""Engine creation (SQLite default, PostgreSQL via DATABASE_URL) and schema migration."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, select

from analytics.config import PROJECT_ROOT, get_settings
from analytics.store.models import ImportLog

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
POOL_SIZE, POOL_OVERFLOW = 10, 20  # PostgreSQL connections kept open, and opened beyond them at busy times


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout, and SQLAlchemy's documented fix for pysqlite's transactions."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # An import asks for the write lock up front (execution option begin_immediate): a deferred
        # transaction that reads before it writes cannot wait for another writer (SQLITE_BUSY at once).
        immediate = conn.get_execution_options().get("begin_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # Every session's script run borrows a connection for each read: twenty sessions at once (issue 13)
    # queued for SQLAlchemy's default 5 + 10 connections; PostgreSQL allows 100.
    return create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """One engine per database URL per process."""
    return make_engine(url or get_settings().database_url)


def reset_engine_cache() -> None:
    """Forget cached engines (tests switch DATABASE_URL between backends)."""
    get_engine.cache_clear()


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision (creates it on an empty database)."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def data_version(bind: Engine | Connection) -> int:
    """Bumped by every import: the id of the latest import log row (0 when empty). Caches key on it."""
    query = select(func.coalesce(func.max(ImportLog.id), 0))
    if isinstance(bind, Connection):
        return int(bind.execute(query).scalar_one() or 0)
    with bind.connect() as connection:
        return int(connection.execute(query).scalar_one() or 0)


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite hands back the naive UTC value it was given)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
