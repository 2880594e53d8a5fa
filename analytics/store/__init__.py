"""The store: SQLModel tables, one engine per process, sessions and Alembic migrations."""

from analytics.store.engine import as_utc, data_version, get_engine, migrate, reset_engine_cache

__all__ = ["as_utc", "data_version", "get_engine", "migrate", "reset_engine_cache"]
