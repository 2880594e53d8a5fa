"""DfE KS4 performance: the raw DfE layout (`england_ks4provisional.csv`, `england_ks4final.csv`) and the
per-school extracts of 2016-2018 (`ks4_perf_<year>.csv`, with an `Academic Year` column).

Raw DfE files have no year column (pass `year`, e.g. 2019) and carry LA, regional and national total rows
(RECTYPE 4-7), which are left out. In the extracts, 'Eng Maths Grade 5' for 2016 is the old A*-C measure
(9-1 GCSE grades began in 2017; its mean is 52% against 35% in 2017-18), so it is not imported before 2017.
See `analytics.ingest.context` for missing values and suppression.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from analytics.ingest.common import ImportResult
from analytics.ingest.context import Layout, import_context

KIND = "dfe-ks4"
RAW = Layout(
    "DfE KS4 (england_ks4provisional / final)",
    {
        "TPUP": "ks4_pupils",
        "ATT8SCR": "ks4_attainment8",
        "P8MEA": "ks4_progress8",
        "PTL2BASICS_95": "ks4_eng_maths_grade5",
        "PTEBACC_E_PTQ_EE": "ks4_ebacc_entry",
    },
    skip={"RECTYPE": frozenset({"4", "5", "6", "7"})},
)
EXTRACT = Layout(
    "KS4 extract 2016-2018",
    {
        "KS4 Pupils": "ks4_pupils",
        "Attainment 8": "ks4_attainment8",
        "Progress 8": "ks4_progress8",
        "Eng Maths Grade 5": "ks4_eng_maths_grade5",
        "Entering EBacc": "ks4_ebacc_entry",
    },
    year_column="Academic Year",
    from_year={"ks4_eng_maths_grade5": (2017, "A*-C before the 9-1 grades")},
)
LAYOUTS = (RAW, EXTRACT)


def import_file(engine: Engine, path: Path | str, year: int | None = None) -> ImportResult:
    return import_context(engine, path, kind=KIND, layouts=LAYOUTS, year=year)
