"""Build the embedded database from the bundled real data (idempotent: files already imported are skipped)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, select

from analytics.derived import refresh
from analytics.ingest.common import sha256_of
from analytics.ingest.registry import IMPORTERS
from analytics.store import migrate
from analytics.store.models import ImportLog


def init_demo(engine: Engine, progress: Callable[[str], None] = print, *, train: bool = True) -> int:
    """Import every bundled file not yet imported, then train the early-warning model unless one exists for
    this data and scikit-learn version; returns how many files were imported."""
    migrate(engine)
    with engine.connect() as connection:
        done = set(connection.execute(select(ImportLog.sha256)).scalars())  # type: ignore[call-overload]
    files = [(imp, bundled) for imp in IMPORTERS.values() for bundled in imp.bundled]
    imported = 0
    for number, (importer, bundled) in enumerate(files, start=1):
        label = f"[{number}/{len(files)}] {importer.kind}: {bundled.path.name}"
        if sha256_of(bundled.path) in done:
            progress(f"{label} already imported")
            continue
        result = importer.load(engine, bundled.path, **bundled.options)
        imported += 1
        progress(f"{label} {result.rows_read:,} rows read, {result.rows_inserted:,} rows added")
    refresh(engine, progress=progress)
    if train:
        from analytics.risk.training import ensure_trained

        ensure_trained(engine, progress)
    return imported


DIRECTOR = "director@example.gov.uk"


def first_director(engine: Engine) -> tuple[str, str] | None:
    """On a store without accounts: a director (the `DEFAULT_LA`, or every LA when unset) with a fresh random
    password; returns (email, password) to print once, or None when accounts exist already."""
    from analytics.access import AccountSpec, add_account, count_accounts, one_time_password
    from analytics.config import get_settings

    if count_accounts(engine):
        return None
    password = one_time_password()
    add_account(engine, AccountSpec(DIRECTOR, "director", get_settings().default_la or None), password)
    return DIRECTOR, password
