"""The store: migrations match the models on both backends, SQLite pragmas, and every documented setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import Engine, exc, insert, inspect, text
from sqlmodel import SQLModel
from store_checks import OFSTED_SLICE, snapshot

from analytics.config import DATA_DIR, Settings, get_settings
from analytics.ingest import ofsted_outcomes
from analytics.store import get_engine, migrate, reset_engine_cache
from analytics.store.engine import make_engine
from analytics.store.models import SchoolDistrict


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_migrated_schema_equals_the_models(empty_store: Engine) -> None:
    assert schema_differences(empty_store) == []
    tables = set(inspect(empty_store).get_table_names())
    assert {t.name for t in SQLModel.metadata.sorted_tables} | {"alembic_version"} == tables


def test_migrate_again_is_a_no_op_that_keeps_data(empty_store: Engine) -> None:
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    before = snapshot(empty_store)
    migrate(empty_store)
    assert snapshot(empty_store) == before
    assert schema_differences(empty_store) == []


def test_foreign_keys_are_enforced(empty_store: Engine) -> None:
    table = SchoolDistrict.__table__  # type: ignore[attr-defined]
    with pytest.raises(exc.IntegrityError), empty_store.begin() as connection:
        connection.execute(insert(table).values(scheme="constituency", urn=100000, district_id=999_999))


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


def test_sqlite_transactions_roll_back(tmp_path: Path) -> None:
    """The pysqlite workaround is in place: a failed transaction leaves nothing behind."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tx.db'}")
    migrate(engine)
    with pytest.raises(RuntimeError), engine.begin() as connection:
        connection.execute(text("INSERT INTO district (scheme, name) VALUES ('x', 'y')"))
        raise RuntimeError("abort")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM district")).scalar() == 0
    engine.dispose()


def test_sqlite_creates_missing_parent_folder(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'deeper' / 'app.db'}")
    migrate(engine)
    assert (tmp_path / "new" / "deeper" / "app.db").is_file()
    engine.dispose()


# ---------------------------------------------------------------------- settings (README configuration table)

SETTINGS_ENV = (
    "DATABASE_URL",
    "DEFAULT_LA",
    "SUPPRESSION_THRESHOLD",
    "MEMBERS_SEE_SCHOOL_RISK",
    "SESSION_TIMEOUT_MINUTES",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No settings in the environment and no .env in the working directory."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    reset_engine_cache()
    yield monkeypatch
    get_settings.cache_clear()
    reset_engine_cache()


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.database_url == f"sqlite:///{DATA_DIR / 'app.db'}"
    assert settings.default_la == ""
    assert settings.suppression_threshold == 5
    assert settings.members_see_school_risk is False
    assert settings.session_timeout_minutes == 60


def test_database_url_selects_the_engine(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chosen.db'}"
    clean_env.setenv("DATABASE_URL", url)
    assert Settings().database_url == url
    engine = get_engine()
    assert str(engine.url) == url
    migrate(engine)
    assert (tmp_path / "chosen.db").is_file()
    engine.dispose()


def test_postgresql_url_gets_the_psycopg_driver(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://someone@db.invalid/oversight")
    engine = get_engine()
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.url.database == "oversight"


def test_default_la(clean_env: pytest.MonkeyPatch) -> None:
    from analytics.localauthorities import default_la

    names = ["Barnsley", "Hertfordshire", "Rutland"]
    assert default_la(names) == "Barnsley", "first alphabetically when unset"
    clean_env.setenv("DEFAULT_LA", "Rutland")
    get_settings.cache_clear()
    assert Settings().default_la == "Rutland"
    assert default_la(names) == "Rutland"
    clean_env.setenv("DEFAULT_LA", "Atlantis")
    get_settings.cache_clear()
    assert default_la(names) == "Barnsley", "an unknown configured LA falls back to the first"


def test_suppression_threshold(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SUPPRESSION_THRESHOLD", "10")
    assert Settings().suppression_threshold == 10
    clean_env.setenv("SUPPRESSION_THRESHOLD", "ten")
    with pytest.raises(ValidationError):
        Settings()


def test_member_and_session_settings(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MEMBERS_SEE_SCHOOL_RISK", "true")
    clean_env.setenv("SESSION_TIMEOUT_MINUTES", "15")
    settings = Settings()
    assert settings.members_see_school_risk is True
    assert settings.session_timeout_minutes == 15


def test_dotenv_file_is_read_and_environment_wins(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SUPPRESSION_THRESHOLD=7\nDEFAULT_LA=Rutland\n")
    assert (Settings().suppression_threshold, Settings().default_la) == (7, "Rutland")
    clean_env.setenv("SUPPRESSION_THRESHOLD", "3")
    assert Settings().suppression_threshold == 3


def test_get_settings_is_cached_until_cleared(clean_env: pytest.MonkeyPatch) -> None:
    first = get_settings()
    clean_env.setenv("SUPPRESSION_THRESHOLD", "9")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings().suppression_threshold == 9


def test_test_database_url_is_honoured() -> None:
    import os

    import store_checks

    expected = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    assert expected == store_checks.PG_URL
