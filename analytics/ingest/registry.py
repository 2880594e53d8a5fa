"""Which importer reads which publication, and the bundled files `init-demo` loads (in this order)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from analytics.config import DATA_DIR
from analytics.ingest import (
    dfe_absence,
    dfe_census,
    dfe_finance,
    dfe_ks2,
    dfe_ks4,
    dfe_ks4_info,
    districts,
    gias_links,
    lait,
    ofsted_history,
    ofsted_mi,
    ofsted_outcomes,
)
from analytics.ingest.common import ImportResult

OFSTED_DIR = DATA_DIR / "ofsted-state-funded-inspections-outcomes-2025-08"
OFSTED_FILE = (
    OFSTED_DIR
    / "State-funded_schools_inspections_and_outcomes_as_at_31_August_2025.converted-from-parquet.csv"
)
OFSTED_MI_DIR = DATA_DIR / "ofsted-management-information-2026-05-sample"
OFSTED_MI_FILE = OFSTED_MI_DIR / "ofsted_mi_latest_inspections_2026-05_sample.csv"
HISTORY_FILE = DATA_DIR / "ofsted-inspection-history-2005-2020-scraped" / "ofsted_ratings_2018.csv"
GIAS_LINKS_FILE = DATA_DIR / "gias-establishment-links-2025" / "links_edubasealldata.csv"
KSP_2019_DIR = DATA_DIR / "dfe-performance-tables-2019-england-ksp"
CENSUS_FILE = KSP_2019_DIR / "england_census.csv"
ABSENCE_FILE = KSP_2019_DIR / "england_abs.csv"
KS4_2019_FILE = KSP_2019_DIR / "england_ks4provisional.csv"
PERF_2016_2018_DIR = DATA_DIR / "dfe-performance-tables-2016-2018-waiky8"
KS4_INFO_FILE = DATA_DIR / "dfe-ks4-school-information-2023-24" / "ks4_school_info_2024.csv"
LAIT_DIR = DATA_DIR / "dfe-lait-la-indicators"
LA_CODES_FILE = LAIT_DIR / "la_code_list.xlsx"
NEIGHBOURS_FILE = LAIT_DIR / "sn_may_2025.xlsx"
LAIT_INDICATORS_FILE = LAIT_DIR / "bds_long_0.parquet"


@dataclass(frozen=True)
class Bundled:
    """A bundled file and the options its importer needs (e.g. the academic year a DfE file covers)."""

    path: Path
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Importer:
    kind: str
    help: str
    load: Callable[..., ImportResult]
    bundled: tuple[Bundled, ...] = ()


IMPORTERS: dict[str, Importer] = {
    imp.kind: imp
    for imp in (
        Importer(ofsted_outcomes.KIND,
                 "Ofsted 'State-funded schools inspections and outcomes as at <date>' CSV",
                 ofsted_outcomes.import_file, (Bundled(OFSTED_FILE),)),
        Importer(ofsted_history.KIND, "Graded-inspection history 2005-2020 (URN, Rating, Inspection Date)",
                 ofsted_history.import_file, (Bundled(HISTORY_FILE),)),
        # After the official file: newer facts merge into it (a later release never erases an earlier one).
        Importer(ofsted_mi.KIND,
                 "Ofsted monthly 'Management information - state-funded schools - latest inspections' CSV "
                 "(report-card or earlier edition; --as-at if the file name has no date)",
                 ofsted_mi.import_file, (Bundled(OFSTED_MI_FILE),)),
        Importer(gias_links.KIND, "GIAS links_edubasealldata CSV (predecessor/successor URNs)",
                 gias_links.import_file, (Bundled(GIAS_LINKS_FILE),)),
        Importer(dfe_census.KIND, "DfE census CSV (england_census; needs --year, e.g. 2019)",
                 dfe_census.import_file, (Bundled(CENSUS_FILE, {"year": 2019}),)),
        Importer(dfe_absence.KIND, "DfE absence CSV (england_abs; needs --year)",
                 dfe_absence.import_file, (Bundled(ABSENCE_FILE, {"year": 2018}),)),
        Importer(dfe_ks4.KIND, "DfE KS4 CSV: england_ks4provisional/final (--year) or ks4_perf extracts",
                 dfe_ks4.import_file,
                 (Bundled(KS4_2019_FILE, {"year": 2019}),
                  *(Bundled(PERF_2016_2018_DIR / f"ks4_perf_{y}.csv") for y in (2016, 2017, 2018)))),
        Importer(dfe_ks2.KIND, "DfE KS2 performance extract CSV (ks2_perf_<year>)",
                 dfe_ks2.import_file,
                 tuple(Bundled(PERF_2016_2018_DIR / f"ks2_perf_{y}.csv") for y in (2016, 2017, 2018))),
        Importer(dfe_finance.KIND, "School finance extract CSV (financials_<year>)",
                 dfe_finance.import_file,
                 tuple(Bundled(PERF_2016_2018_DIR / f"financials_{y}.csv") for y in range(2014, 2019))),
        Importer(dfe_ks4_info.KIND, "DfE KS4 school information CSV (Explore Education Statistics)",
                 dfe_ks4_info.import_file, (Bundled(KS4_INFO_FILE),)),
        Importer(lait.KIND_LAS, "LAIT LA code list XLSX (LA Number, LA Name, Region)",
                 lait.import_las, (Bundled(LA_CODES_FILE),)),
        Importer(lait.KIND_NEIGHBOURS, "DfE statistical neighbours XLSX (sn_<month>_<year>: SN1..SN10)",
                 lait.import_neighbours, (Bundled(NEIGHBOURS_FILE),)),
        Importer(lait.KIND_INDICATORS, "LAIT indicators in long form (bds_long parquet)",
                 lait.import_indicators, (Bundled(LAIT_INDICATORS_FILE),)),
        Importer(districts.KIND, "School-to-district mapping, CSV or XLSX (URN, District; --scheme NAME)",
                 districts.import_file),
    )
}


def run(kind: str, engine: Engine, path: Path | str, **options: Any) -> ImportResult:
    return IMPORTERS[kind].load(engine, Path(path), **options)
