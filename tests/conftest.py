"""Shared fixtures: real stores on SQLite and PostgreSQL built from the bundled real files, once per run.

PostgreSQL is the server at 127.0.0.1:5432 (TEST_DATABASE_URL overrides). With CI=true a missing server fails
the run; elsewhere those tests are skipped with the reason shown.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from app_under_test import serve
from sqlalchemy import Engine
from store_checks import BACKENDS, fresh_database

from analytics.ingest import ofsted_history, ofsted_outcomes
from analytics.ingest.registry import HISTORY_FILE, OFSTED_FILE
from analytics.store.engine import make_engine, migrate

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
    if request.param == "sqlite":
        path = built_once(tmp_path_factory, "national.db", _import_national)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    for engine in fresh_database(request.param, tmp_path_factory.mktemp(f"national-{request.param}")):
        _import_national_into(engine)
        yield engine


def _import_national_into(engine: Engine) -> None:
    ofsted_outcomes.import_file(engine, OFSTED_FILE)
    ofsted_history.import_file(engine, HISTORY_FILE)


def _import_national(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    _import_national_into(engine)
    close_sqlite(engine)


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file built by `init-demo` from all bundled data (for AppTest and browser tests)."""
    return built_once(tmp_path_factory, "demo.db", _build_demo)


def _build_demo(path: Path) -> None:
    from analytics.demo import init_demo

    engine = make_engine(f"sqlite:///{path}")
    init_demo(engine, progress=lambda _m: None)
    close_sqlite(engine)


@pytest.fixture
def demo_copy(demo_sqlite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private copy of the demo database, the app pointed at it: for tests that import into or change it."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_sqlite, copy)
    for _ in serve(f"sqlite:///{copy}", monkeypatch):
        yield copy


# ------------------------------------------------------------------ one build per run, even with pytest-xdist


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A private copy of a SQLite file built once for the whole run. With pytest-xdist the first worker to ask
    builds it under a lock in the run's temporary folder, which every worker shares (each worker's own folder
    is inside it), or in TEST_SHARED_BUILDS when set (`make test` sets it for its two pytest runs); the others
    wait for it. No process writes to the shared file: each worker uses its own copy."""
    folder = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        folder = folder.parent
    if os.environ.get("TEST_SHARED_BUILDS"):  # `make test`: its two pytest runs share the builds
        folder = Path(os.environ["TEST_SHARED_BUILDS"])
    target = folder / name
    with (folder / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            partial = folder / f"{name}.partial"
            partial.unlink(missing_ok=True)
            build(partial)
            partial.rename(target)
    copy = tmp_path_factory.mktemp(target.stem) / name
    shutil.copyfile(target, copy)
    return copy


def close_sqlite(engine: Engine) -> None:
    """Fold the write-ahead log into the file and close it, so that the file alone is the whole database."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


@pytest.fixture
def app_env(demo_sqlite: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the app at the demo database (see app_under_test: Streamlit's caches are kept across tests)."""
    for _ in serve(f"sqlite:///{demo_sqlite}", monkeypatch):
        yield demo_sqlite

