"""Which importer reads which publication, and the bundled files `init-demo` loads (in this order)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from analytics.config import DATA_DIR
from analytics.ingest import gias_links, ofsted_history, ofsted_outcomes
from analytics.ingest.common import ImportResult

OFSTED_DIR = DATA_DIR / "ofsted-state-funded-inspections-outcomes-2025-08"
OFSTED_FILE = (
    OFSTED_DIR / "State-funded_schools_inspections_and_outcomes_as_at_31_August_2025.converted-from-parquet.csv"
)
HISTORY_FILE = DATA_DIR / "ofsted-inspection-history-2005-2020-scraped" / "ofsted_ratings_2018.csv"
GIAS_LINKS_FILE = DATA_DIR / "gias-establishment-links-2025" / "links_edubasealldata.csv"


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
        Importer(ofsted_outcomes.KIND, "Ofsted 'State-funded schools inspections and outcomes as at <date>' CSV",
                 ofsted_outcomes.import_file, (Bundled(OFSTED_FILE),)),
        Importer(ofsted_history.KIND, "Graded-inspection history 2005-2020 (URN, Rating, Inspection Date)",
                 ofsted_history.import_file, (Bundled(HISTORY_FILE),)),
        Importer(gias_links.KIND, "GIAS links_edubasealldata CSV (predecessor/successor URNs)",
                 gias_links.import_file, (Bundled(GIAS_LINKS_FILE),)),
    )
}


def run(kind: str, engine: Engine, path: Path | str, **options: Any) -> ImportResult:
    return IMPORTERS[kind].load(engine, Path(path), **options)
