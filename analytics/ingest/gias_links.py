"""Importer for GIAS establishment links (`links_edubasealldata<date>.csv`): predecessor/successor URNs.

Columns as published: URN, LinkURN, LinkName, LinkType, LinkEstablishedDate (dd-mm-yyyy, may be blank).
Each row says "LinkURN is the <LinkType> of URN" (e.g. 100016 -> 132245 'Successor'). Rows are upserted on
URN + LinkURN + LinkType; link types are stored as published (Predecessor, Successor - merged, ...).
GIAS's own download replaces non-ASCII characters with U+FFFD; names are kept as they are.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from analytics.ingest.common import (
    URN,
    ColumnParser,
    ImportResult,
    Plausible,
    Problem,
    read_csv_strict,
    records,
    upsert,
)
from analytics.ingest.runner import run_in_transaction
from analytics.store.models import SchoolLink

KIND = "gias-links"
REQUIRED = ["URN", "LinkURN", "LinkName", "LinkType", "LinkEstablishedDate"]
DATE = "%d-%m-%Y"
RANGES: dict[str, Plausible] = {
    "URN": URN,
    "LinkURN": URN,
    # GIAS records links planned ahead (the 2025 file has four dated 1 January 2026).
    "LinkEstablishedDate": Plausible(date(1800, 1, 1), days_ahead=3 * 366, note="links planned ahead"),
}


def parse(path: Path) -> pd.DataFrame:
    """Validate the whole file; return rows for `school_link` or raise ImportRejected."""
    frame = read_csv_strict(path, REQUIRED)
    parser = ColumnParser(frame, RANGES)
    out = pd.DataFrame(index=frame.index)
    out["urn"] = parser.integer("URN", required=True)
    out["link_urn"] = parser.integer("LinkURN", required=True)
    out["link_type"] = parser.required_text("LinkType")
    out["link_name"] = parser.text("LinkName")
    out["link_date"] = parser.dates("LinkEstablishedDate", DATE)
    self_link = out["urn"].notna() & (out["urn"] == out["link_urn"]).fillna(False)
    for row in self_link[self_link].index:
        parser.problems.append(Problem(int(row), "LinkURN", "a school cannot be linked to itself"))
    parser.unique(["URN", "LinkURN", "LinkType"], "link (URN, LinkURN, LinkType)")
    parser.raise_if_problems(path)
    return out.reset_index(drop=True)


def write(connection: Connection, rows: pd.DataFrame) -> None:
    table = SchoolLink.__table__  # type: ignore[attr-defined]
    upsert(connection, table, records(rows), ["urn", "link_urn", "link_type"])


def import_file(engine: Engine, path: Path | str) -> ImportResult:
    path = Path(path)
    rows = parse(path)
    return run_in_transaction(
        engine, kind=KIND, path=path, rows_read=len(rows), tables=[SchoolLink.__table__],  # type: ignore[attr-defined]
        write=lambda connection: write(connection, rows),
    )
