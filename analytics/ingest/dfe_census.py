"""DfE performance-tables school census file (`england_census.csv`): pupils on roll, FSM, SEN, EAL.

The file has no year column: pass the census year (January 2019 census -> `year=2019`). The national
summary rows (URN 'NAT') are not schools and are left out. See `analytics.ingest.context` for missing values.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from analytics.ingest.common import ImportResult
from analytics.ingest.context import Layout, import_context

KIND = "dfe-census"
LAYOUTS = (
    Layout(
        "performance tables census",
        {
            "NOR": "pupils",
            "PNUMFSMEVER": "pct_fsm_ever",
            "PSENELK": "pct_sen_support",
            "PSENELSE": "pct_ehcp",
            "PNUMEAL": "pct_eal",
        },
        skip={"URN": frozenset({"NAT"})},
    ),
)


def import_file(engine: Engine, path: Path | str, year: int | None = None) -> ImportResult:
    return import_context(engine, path, kind=KIND, layouts=LAYOUTS, year=year)
