"""School finance extracts 2014-2018 (`financials_<year>.csv`: URN, Income, Expenditure, Balance, Academic
Year), GBP. Mostly LA-maintained schools (Consistent Financial Reporting); academies are largely absent.
The 2017 file ends with two rows whose URN is 'nan' and every figure 0: rows without a URN are not schools
and are left out. See `analytics.ingest.context` for missing values.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from analytics.ingest.common import ImportResult
from analytics.ingest.context import Layout, import_context

KIND = "dfe-finance"
LAYOUTS = (
    Layout(
        "finance extract 2014-2018",
        {"Income": "income", "Expenditure": "expenditure", "Balance": "balance"},
        year_column="Academic Year",
        skip={"URN": frozenset({"", "nan"})},
    ),
)


def import_file(engine: Engine, path: Path | str, year: int | None = None) -> ImportResult:
    return import_context(engine, path, kind=KIND, layouts=LAYOUTS, year=year)
