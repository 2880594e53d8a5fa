"""DfE performance-tables absence file (`england_abs.csv`): % overall absence, % persistent absentees.

The file has no year column: pass the academic year of the absence figures (the 2018/19 tables report
2017/18 absence -> `year=2018`). The national rows (LA 'NAT') are left out. SUPP cells are stored as
suppressed (see `analytics.ingest.context`).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from analytics.ingest.common import ImportResult
from analytics.ingest.context import Layout, import_context

KIND = "dfe-absence"
LAYOUTS = (
    Layout(
        "performance tables absence",
        {"PERCTOT": "pct_absence", "PPERSABS10": "pct_persistent_absence"},
        skip={"LA": frozenset({"NAT"})},
    ),
)


def import_file(engine: Engine, path: Path | str, year: int | None = None) -> ImportResult:
    return import_context(engine, path, kind=KIND, layouts=LAYOUTS, year=year)
