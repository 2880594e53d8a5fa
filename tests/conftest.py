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
from store_checks import BACKENDS, create_schema, drop_schema, fresh_database, require_postgres, schema_engine

from analytics.ingest import ofsted_history, ofsted_outcomes
from analytics.ingest.registry import HISTORY_FILE, OFSTED_FILE
from analytics.store.engine import make_engine, migrate

ROOT = Path(__file__).resolve().parents[1]
SLICES = ROOT / "tests" / "data"

#: The order in which pytest-xdist hands modules to its workers (`make test`: --dist loadfile with
#: --no-loadscope-reorder; xdist's default order is by number of tests, which can leave a module of few but
#: long tests, such as test_idempotency, to start last while the other worker has nothing left). Longest
#: first (JUnit times of a full run, in seconds, in brackets), so that the small modules fill in at the end.
#: test_risk leads because its first test needs the demo store: its worker builds it (~150 s) while the other
#: worker runs modules that do not need it (before, a worker could sit waiting for the lock for ~100 s).
#: Modules not listed keep pytest's order after these.
HEAVY_FIRST = (
    "test_risk",  # (90 + the demo build)
    "test_idempotency",  # (207)
    "test_register_store",  # (165)
    "test_import_concurrency",  # (164)
    "test_access",  # (140)
    "test_ofsted_mi",  # (139)
    "test_import_hardening",  # (139)
    "test_packs",  # (99)
    "test_kpis",  # (92)
    "test_import_rejections",  # (89)
    "test_register_cli",  # (88)
    "test_read_model",  # (76)
    "test_dfe_context",  # (75)
    "test_data_age",  # (62)
    "test_school_profile",  # (53)
    "test_risk_store",  # (52)
    "test_lait",  # (45)
    "test_register_pages",  # (45)
    "test_districts",  # (39)
    "test_school_page",  # (36)
    # The browser tests (a run of their own in `make test`, also on the workers):
    "test_browser_first_hour",  # (292)
    "test_browser_app",  # (180)
    "test_browser_data_age",  # (78)
    "test_browser_access",  # (27)
    "test_browser_register",  # (25)
)


@pytest.hookimpl(trylast=True)  # after pytest's own reordering by parametrized fixtures
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, modules in the order of HEAVY_FIRST (a stable sort: each module's tests keep
    their order). A run without workers keeps pytest's order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {name: number for number, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))


@pytest.fixture(params=BACKENDS)
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh migrated database on each backend."""
    yield from fresh_database(request.param, tmp_path)


@pytest.fixture(scope="session", params=BACKENDS)
def national_store(request: pytest.FixtureRequest) -> Engine:
    """The full national Ofsted file and history imported once per backend. Read-only for tests."""
    engine: Engine = request.getfixturevalue(f"national_{request.param}")
    return engine


# The two below are kept for the whole session (they are not parametrized, so pytest does not tear them down
# each time the tests switch from one backend of `national_store` to the other).


@pytest.fixture(scope="session")
def national_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = built_once(tmp_path_factory, "national.db", _import_national)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def national_postgresql(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    require_postgres()
    engine = schema_engine(schema_built_once(tmp_path_factory, "national", _import_national_into))
    yield engine
    engine.dispose()


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


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the builds shared by every process of the run: the run's temporary folder, which every
    xdist worker shares (each worker's own folder is inside it), or TEST_SHARED_BUILDS when set (`make test`
    sets it for its two pytest runs)."""
    if os.environ.get("TEST_SHARED_BUILDS"):
        return Path(os.environ["TEST_SHARED_BUILDS"])
    folder = tmp_path_factory.getbasetemp()
    return folder.parent if os.environ.get("PYTEST_XDIST_WORKER") else folder


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A private copy of a SQLite file built once for the whole run. With pytest-xdist the first worker to ask
    builds it under a lock in the shared folder; the others wait for it. No process writes to the shared file:
    each worker uses its own copy."""
    folder = shared_folder(tmp_path_factory)
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


SCHEMA_SUFFIX = ".postgresql-schema"


def schema_built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Engine], None]
) -> str:
    """The name of a PostgreSQL schema, migrated and filled by `build` once for the whole run (the first
    process to ask builds it under a lock; its name is kept in the shared folder). Read-only for tests: every
    worker uses the same schema. The run's main process drops it at the end (pytest_sessionfinish)."""
    folder = shared_folder(tmp_path_factory)
    marker = folder / f"{name}{SCHEMA_SUFFIX}"
    with (folder / f"{name}.postgresql.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            schema = create_schema()
            engine = schema_engine(schema)
            try:
                migrate(engine)
                build(engine)
            except BaseException:
                drop_schema(schema)
                raise
            finally:
                engine.dispose()
            marker.write_text(schema, encoding="utf-8")
        return marker.read_text(encoding="utf-8")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In the run's main process (not an xdist worker), after every test: drop the schemas built once."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    factory: pytest.TempPathFactory | None = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    if not os.environ.get("TEST_SHARED_BUILDS") and factory._basetemp is None:
        return  # no temporary folder was made, so nothing was built
    for marker in shared_folder(factory).glob(f"*{SCHEMA_SUFFIX}"):
        drop_schema(marker.read_text(encoding="utf-8"))
        marker.unlink()


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

