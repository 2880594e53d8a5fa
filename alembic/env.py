"""Alembic environment: targets SQLModel.metadata; batch mode so SQLite can alter tables."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import analytics.store.models  # noqa: F401  (registers the tables)
from analytics.store.engine import get_engine

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        with get_engine().begin() as new_connection:
            _run(new_connection)
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
