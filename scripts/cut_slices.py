"""Cut small real slices of the bundled Ofsted files into tests/data/ (run again after a data refresh).

Every school of a few local authorities from the official outcomes file (the raw lines, bytes unchanged),
and the rows of the 2005-2020 history for those schools and their predecessors. Tests derive hostile
variants from these. A second outcomes slice holds the schools the monthly management-information sample
names (current URNs and URNs at the time of an inspection) and every school of Camden and the City of
London, whose KPIs the tests recompute from both raw files.

    python scripts/cut_slices.py
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OFSTED = (
    ROOT
    / "data"
    / "ofsted-state-funded-inspections-outcomes-2025-08"
    / "State-funded_schools_inspections_and_outcomes_as_at_31_August_2025.converted-from-parquet.csv"
)
HISTORY = ROOT / "data" / "ofsted-inspection-history-2005-2020-scraped" / "ofsted_ratings_2018.csv"
OUT = ROOT / "tests" / "data"
#: Small LAs chosen for variety: a tiny county, a London borough with a school in a category of concern,
#: a unitary with several categories and many predecessor grades, and one with an uninspected school.
LAS = ("Rutland", "Kensington and Chelsea", "Blackpool", "Hartlepool")
OFSTED_SLICE = OUT / "ofsted_outcomes_slice_as_at_31_August_2025.csv"
HISTORY_SLICE = OUT / "ofsted_history_slice.csv"
MI_SAMPLE = ROOT / "data" / "ofsted-management-information-2026-05-sample"
MI_SAMPLE /= "ofsted_mi_latest_inspections_2026-05_sample.csv"
MI_LAS = ("Camden", "City of London")
MI_OUTCOMES_SLICE = OUT / "ofsted_outcomes_mi_schools_slice_as_at_31_August_2025.csv"
URN_COLUMNS = (
    "URN",
    "URN at time of latest graded inspection",
    "URN at time of previous graded inspection",
    "URN at time of the ungraded inspection",
)


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def cut_ofsted() -> set[str]:
    """Write the slice; return every URN it mentions (current and at the time of each inspection)."""
    lines = _lines(OFSTED)
    header = next(csv.reader([lines[0].decode("utf-8")]))
    la = header.index("Local authority")
    kept, urns = [lines[0]], set()
    for line in lines[1:]:
        row = next(csv.reader(io.StringIO(line.decode("utf-8"))))
        if row[la] in LAS:
            kept.append(line)
            urns.update(row[header.index(c)] for c in URN_COLUMNS if row[header.index(c)])
    OFSTED_SLICE.write_bytes(b"".join(kept))
    print(f"{OFSTED_SLICE.relative_to(ROOT)}: {len(kept) - 1} schools of {', '.join(LAS)}")
    return urns


def cut_history(urns: set[str]) -> None:
    lines = _lines(HISTORY)
    kept = [lines[0]] + [line for line in lines[1:] if line.split(b",", 1)[0].decode() in urns]
    HISTORY_SLICE.write_bytes(b"".join(kept))
    print(f"{HISTORY_SLICE.relative_to(ROOT)}: {len(kept) - 1} history rows")


def cut_ofsted_for_mi_sample() -> None:
    """The official file's rows for every school the sample names, and for every school of MI_LAS."""
    sample = list(csv.reader(io.StringIO(MI_SAMPLE.read_text(encoding="utf-8"))))
    named = {cell for row in sample[1:] for name, cell in zip(sample[0], row, strict=True)
             if name == "URN" or name.startswith("URN at time")}
    lines = _lines(OFSTED)
    header = next(csv.reader([lines[0].decode("utf-8")]))
    la, urn = header.index("Local authority"), header.index("URN")
    kept = [lines[0]]
    for line in lines[1:]:
        row = next(csv.reader(io.StringIO(line.decode("utf-8"))))
        if row[la] in MI_LAS or row[urn] in named:
            kept.append(line)
    MI_OUTCOMES_SLICE.write_bytes(b"".join(kept))
    print(f"{MI_OUTCOMES_SLICE.relative_to(ROOT)}: {len(kept) - 1} schools")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    cut_history(cut_ofsted())
    cut_ofsted_for_mi_sample()


if __name__ == "__main__":
    main()
