"""DfE KS4 performance 2023/24 "school information" (`ks4_school_info_2024.csv`, Explore Education
Statistics format: `time_period` 202324 -> year 2024, `school_urn`).

Imported: pupils on roll (`t_allks_pupils`), KS4 cohort (`t_pupils`), and the KS4 cohort's % disadvantaged,
% whose first language is not English, % SEN support (SEN without an EHC plan) and % with an EHC plan.
Note the percentages describe the KS4 cohort, not the whole school as the census does. EES symbols: `z` not
applicable (no row), `c` confidential and `u` low reliability (suppressed); see `analytics.ingest.context`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from analytics.ingest.common import ImportResult
from analytics.ingest.context import Layout, import_context

KIND = "dfe-ks4-info"
LAYOUTS = (
    Layout(
        "EES KS4 school information",
        {
            "t_allks_pupils": "pupils",
            "t_pupils": "ks4_pupils",
            "pt_disadvantaged": "pct_disadvantaged",
            "pt_language_not_english": "pct_eal",
            "pt_sen_no_ehcp": "pct_sen_support",
            "pt_sen_with_ehcp": "pct_ehcp",
        },
        urn="school_urn",
        year_column="time_period",
    ),
)


def import_file(engine: Engine, path: Path | str, year: int | None = None) -> ImportResult:
    return import_context(engine, path, kind=KIND, layouts=LAYOUTS, year=year)
