"""DfE KS2 performance extracts 2016-2018 (`ks2_perf_<year>.csv`, with an `Academic Year` column): cohort,
% meeting the expected and the higher standard in reading, writing and maths, and the three progress scores.
See `analytics.ingest.context` for missing values (LOWCOV is stored as suppressed).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from analytics.ingest.common import ImportResult
from analytics.ingest.context import Layout, import_context

KIND = "dfe-ks2"
LAYOUTS = (
    Layout(
        "KS2 extract 2016-2018",
        {
            "KS2 Pupils": "ks2_pupils",
            "Overall Meet Std": "ks2_rwm_expected",
            "Overall Exceed Std": "ks2_rwm_higher",
            "Reading Progress": "ks2_reading_progress",
            "Writing Progress": "ks2_writing_progress",
            "Maths Progress": "ks2_maths_progress",
        },
        year_column="Academic Year",
    ),
)


def import_file(engine: Engine, path: Path | str, year: int | None = None) -> ImportResult:
    return import_context(engine, path, kind=KIND, layouts=LAYOUTS, year=year)
