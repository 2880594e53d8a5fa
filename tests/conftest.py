"""Shared fixtures: real stores on SQLite and PostgreSQL, the bundled real files, Streamlit cache hygiene.

PostgreSQL is the server at 127.0.0.1:5432 (TEST_DATABASE_URL overrides). With CI=true a missing server fails
the run; elsewhere those tests are skipped with the reason shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from store_checks import BACKENDS, fresh_database

from analytics.ingest import ofsted_history, ofsted_outcomes
from analytics.ingest.registry import HISTORY_FILE, OFSTED_FILE
from analytics.store.engine import make_engine

ROOT = Path(__file__).resolve().parents[1]
SLICES = ROOT / "tests" / "data"

@pytest.fixture(params=BACKENDS)
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh migrated database on each backend."""
    yield from fresh_database(request.param, tmp_path)


@pytest.fixture(scope="session", params=BACKENDS)
def national_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The full national Ofsted file and history imported once per backend. Read-only for tests."""
    for engine in fresh_database(request.param, tmp_path_factory.mktemp(f"national-{request.param}")):
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
