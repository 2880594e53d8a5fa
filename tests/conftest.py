"""Shared fixtures: real stores on SQLite and PostgreSQL, the bundled real files, Streamlit cache hygiene.

PostgreSQL is the server at 127.0.0.1:5432 (TEST_DATABASE_URL overrides). With CI=true a missing server fails
the run; elsewhere those tests are skipped with the reason shown.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from analytics.ingest import ofsted_history, ofsted_outcomes
from analytics.ingest.registry import HISTORY_FILE, OFSTED_FILE
from analytics.store.engine import make_engine, migrate

ROOT = Path(__file__).resolve().parents[1]
SLICES = ROOT / "tests" / "data"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


def _postgres_available() -> str | None:
    try:
        with create_engine(PG_URL).connect() as connection:
            connection.execute(text("select 1"))
        return None
    except Exception as error:  # any connection failure
        return str(error).splitlines()[0]


def _fresh_database(backend: str, tmp: Path) -> Iterator[Engine]:
    """A new empty, migrated database: a SQLite file, or a private schema on the PostgreSQL server."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp / 'store.db'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    problem = _postgres_available()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is required in CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh migrated database on each backend."""
    yield from _fresh_database(request.param, tmp_path)


@pytest.fixture(scope="session", params=BACKENDS)
def national_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The full national Ofsted file and history imported once per backend. Read-only for tests."""
    for engine in _fresh_database(request.param, tmp_path_factory.mktemp(f"national-{request.param}")):
        ofsted_outcomes.import_file(engine, OFSTED_FILE)
        ofsted_history.import_file(engine, HISTORY_FILE)
        yield engine


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file built by `init-demo` from all bundled data (for AppTest and browser tests)."""
    from analytics.demo import init_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    init_demo(engine, progress=lambda _m: None)
    engine.dispose()
    return path


@pytest.fixture
def app_env(demo_sqlite: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the app at the demo database and clear Streamlit caches around each AppTest."""
    import streamlit as st

    from analytics.config import get_settings
    from analytics.store import reset_engine_cache

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_sqlite}")
    get_settings.cache_clear()
    reset_engine_cache()
    st.cache_data.clear()
    st.cache_resource.clear()
    yield demo_sqlite
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()
    reset_engine_cache()
