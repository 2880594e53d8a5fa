"""Importer for the graded-inspection history 2005-2020 scraped from Ofsted's report site (URN, Rating, date).

The file has no inspection numbers: rows are keyed on URN + start date. A row within 7 days of an inspection
already stored for the same URN (from the official file) is the same inspection and is not added again.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, select

from analytics.grades import frameworks_for
from analytics.ingest.common import (
    INSPECTION_DATE,
    URN,
    ColumnParser,
    ImportResult,
    Plausible,
    query_frame,
    read_csv_strict,
    upsert_frame,
)
from analytics.ingest.ofsted_outcomes import match_within_days
from analytics.ingest.runner import run_in_transaction
from analytics.store.models import Inspection

KIND = "ofsted-history"
RATINGS = {
    "Outstanding": 1,
    "Good": 2,
    "Satisfactory": 3,
    "Requires Improvement": 3,
    "Requires improvement": 3,
    "Inadequate": 4,
}
REQUIRED = ["URN", "Rating", "Inspection Date"]
RANGES: dict[str, Plausible] = {"URN": URN, "Inspection Date": INSPECTION_DATE}


def parse(path: Path) -> pd.DataFrame:
    frame = read_csv_strict(path, REQUIRED)
    parser = ColumnParser(frame, RANGES)
    out = pd.DataFrame(index=frame.index)
    out["urn"] = parser.integer("URN", required=True)
    out["overall_effectiveness"] = parser.codes("Rating", RATINGS, required=True)
    out["start_date"] = parser.dates("Inspection Date", "%Y%m%d", required=True)
    parser.raise_if_problems(path)
    # The scrape repeats 3 inspections verbatim; a repeated URN+date with another grade is a conflict.
    out = out.drop_duplicates()
    parser.frame = frame.loc[out.index]
    parser.unique(["URN", "Inspection Date"], "inspection (URN and date) with conflicting ratings")
    parser.raise_if_problems(path)
    out["is_graded"] = True
    out["source"] = KIND
    out["framework"] = frameworks_for(out["start_date"])
    return out.reset_index(drop=True)


def write(connection: Connection, rows: pd.DataFrame) -> None:
    table = Inspection.__table__  # type: ignore[attr-defined]
    official = query_frame(
        connection,
        select(table.c.id, table.c.urn, table.c.start_date).where(
            table.c.is_graded.is_(True), table.c.inspection_number.is_not(None)
        ),
        raw=True,
    )
    if not official.empty:
        known = match_within_days(rows[["urn", "start_date"]].reset_index(), official, days=7)
        rows = rows.drop(index=known["index"].tolist())
    upsert_frame(connection, table, rows, ["urn", "start_date", "is_graded"])


def import_file(engine: Engine, path: Path | str) -> ImportResult:
    path = Path(path)
    rows = parse(path)
    return run_in_transaction(
        engine,
        kind=KIND,
        path=path,
        rows_read=len(rows),
        tables=[Inspection.__table__],  # type: ignore[attr-defined]
        write=lambda connection: write(connection, rows),
    )
