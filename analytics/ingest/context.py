"""Shared machinery of the DfE school-context importers: wide published file -> long `context_value` rows.

Each publication module declares one or more `Layout`s (published column -> measure name from
`analytics.measures`); this module reads the file as published, picks the layout whose columns it has,
parses every measure column in one vectorised pass, melts to (urn, year, measure, value, suppressed, source)
and upserts in one transaction.

Missing values: every non-numeric code becomes NULL, never 0. `suppressed` is True only for codes that hide
a real figure (`SUPPRESSED`: SUPP, c, x, LOWCOV, NE, NP, low, u); "not applicable" codes (NA, z, -, :, ..)
and blanks are not suppression: such cells produce no row at all (there is nothing to store). A NULL row
with `suppressed` set is kept, so pages can say "suppressed" rather than "no data". Any other text in a
measure column rejects the file (row, column, reason).

Year: the calendar year in which the academic year ends (2019 = 2018/19). Files with an `Academic Year` (2016)
or `time_period` (202324) column take it from there; files without one need the `year` option (CLI `--year`);
a `year` option that contradicts the file's own column is rejected, and so is a year before 1990 or after the
academic year starting next September.

Plausible ranges: `MEASURE_RANGES` declares one per measure (percentages 0-100, pupil counts, progress scores,
money); every measure of `analytics.measures` must have one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from analytics.ingest.common import (
    PERCENT,
    PUPILS,
    URN,
    ColumnParser,
    ImportRejected,
    ImportResult,
    InvalidOption,
    Plausible,
    Problem,
    academic_years,
    read_csv_strict,
    records,
    upsert,
)
from analytics.ingest.runner import run_in_transaction
from analytics.measures import MEASURES
from analytics.store.models import ContextValue

#: Codes that hide a real figure (small numbers, confidentiality, low coverage, no entries, not published).
SUPPRESSED = frozenset({"supp", "c", "x", "lowcov", "ne", "np", "low", "u"})
#: Codes meaning "not applicable / not available": no value and nothing suppressed.
NOT_APPLICABLE = frozenset({"na", "z", "-", ":", ".."})
KEY = ["urn", "year", "measure"]
COHORT = Plausible(0, 10_000, note="pupils in one school's cohort")
MONEY = Plausible(-100_000_000, 100_000_000, note="GBP; the largest school budgets are about 20 million")
#: The plausible range of each measure (the published extremes are well inside).
MEASURE_RANGES: dict[str, Plausible] = {
    "pupils": PUPILS,
    "pct_fsm_ever": PERCENT,
    "pct_sen_support": PERCENT,
    "pct_ehcp": PERCENT,
    "pct_eal": PERCENT,
    "pct_disadvantaged": PERCENT,
    "pct_absence": PERCENT,
    "pct_persistent_absence": PERCENT,
    "ks2_pupils": COHORT,
    "ks2_rwm_expected": PERCENT,
    "ks2_rwm_higher": PERCENT,
    "ks2_reading_progress": Plausible(-50, 50, note="KS2 progress scores lie within about -30 to +30"),
    "ks2_writing_progress": Plausible(-50, 50, note="KS2 progress scores lie within about -30 to +30"),
    "ks2_maths_progress": Plausible(-50, 50, note="KS2 progress scores lie within about -30 to +30"),
    "ks4_pupils": COHORT,
    "ks4_attainment8": Plausible(0, 90, note="Attainment 8 is at most 90"),
    "ks4_progress8": Plausible(-10, 10, note="Progress 8 scores lie within about -5 to +5"),
    "ks4_eng_maths_grade5": PERCENT,
    "ks4_ebacc_entry": PERCENT,
    "income": MONEY,
    "expenditure": MONEY,
    "balance": MONEY,
}


@dataclass(frozen=True)
class Layout:
    """One published shape of a file: which column holds the URN, the year, and each measure."""

    name: str
    measures: Mapping[str, str]
    urn: str = "URN"
    year_column: str | None = None
    #: Rows to leave out because they are not schools: column -> values (e.g. the national 'NAT' row).
    skip: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Measures not imported before a year (their published meaning changed), with the reason.
    from_year: Mapping[str, tuple[int, str]] = field(default_factory=dict)

    def columns(self) -> list[str]:
        return [self.urn, *([self.year_column] if self.year_column else []), *self.measures, *self.skip]


def check_layouts(layouts: Sequence[Layout]) -> None:
    unknown = {m for layout in layouts for m in layout.measures.values()} - set(MEASURES)
    if unknown:
        raise ValueError(f"measure names not in analytics.measures: {sorted(unknown)}")
    unbounded = {m for layout in layouts for m in layout.measures.values()} - set(MEASURE_RANGES)
    if unbounded:
        raise ValueError(f"measures without a plausible range in MEASURE_RANGES: {sorted(unbounded)}")


def ranges(layout: Layout, today: date | None = None) -> dict[str, Plausible]:
    """The plausible range of each column of a layout (URN, year, measures)."""
    out = {layout.urn: URN, **{c: MEASURE_RANGES[m] for c, m in layout.measures.items()}}
    if layout.year_column:
        out[layout.year_column] = academic_years(today)
    return out


def check_year(path: Path, year: int | None, today: date | None = None) -> None:
    """The `year` option (CLI --year) must be a plausible academic year: refused as a bad option otherwise."""
    years = academic_years(today)
    if year is not None and not years.low <= year <= years.high:  # type: ignore[operator]
        raise InvalidOption(path, [Problem(None, None, (
            f"year {year} is out of range: give the calendar year in which the academic year ends, "
            f"from {years.low} to {years.high} (e.g. 2019 for 2018/19)"))])


def read_layout(path: Path, layouts: Sequence[Layout]) -> tuple[pd.DataFrame, Layout]:
    """Read the file and pick the layout it matches best; missing columns of that layout reject the file."""
    frame = read_csv_strict(path, [])
    present = set(frame.columns)
    layout = max(layouts, key=lambda lay: len(set(lay.columns()) & present))
    missing = [c for c in layout.columns() if c not in present]
    if missing:
        raise ImportRejected(path, [Problem(1, c, "required column is missing") for c in missing])
    return frame, layout


def _years(parser: ColumnParser, layout: Layout, year: int | None) -> pd.Series:
    """The academic year (calendar year it ends) of every row, from the file's column or the option."""
    index = parser.frame.index
    if layout.year_column is None:
        if year is None:
            parser.problems.append(
                Problem(None, None, "this file has no year column: give the year (--year)")
            )
            return pd.Series(pd.NA, index=index, dtype="Int64")
        return pd.Series(year, index=index, dtype="Int64")
    column = layout.year_column
    raw = parser.frame[column]
    if column == "time_period":  # EES: 202324 = 2023/24
        start, end = raw.str[:4], raw.str[4:]
        ok = raw.str.fullmatch(r"\d{6}") & (
            (pd.to_numeric(start, errors="coerce") + 1) % 100 == pd.to_numeric(end, errors="coerce")
        )
        parser._flag(column, ~ok.fillna(False), "'{value}' is not an academic year like 202324")
        years = (pd.to_numeric(start.where(ok), errors="coerce") + 1).astype("Int64")
        bounds = parser.bounds(column, academic_years(parser.today))
        out_of_range = years.notna() & ((years < bounds.low) | (years > bounds.high))  # type: ignore[operator]
        parser._flag(column, out_of_range.fillna(False), "year '{value}' is out of range")
    else:
        years = parser.integer(column, required=True)
    if year is not None:
        other = years.notna() & (years != year)
        parser._flag(column, other.fillna(False), f"the file says '{{value}}' but year {year} was given")
    return years


def parse(path: Path, layouts: Sequence[Layout], source: str, year: int | None = None) -> pd.DataFrame:
    """Validate the whole file; return long rows for `context_value` or raise ImportRejected."""
    check_layouts(layouts)
    check_year(path, year)
    frame, layout = read_layout(path, layouts)
    keep = pd.Series(True, index=frame.index)
    for column, skipped in layout.skip.items():
        keep &= ~frame[column].isin(skipped)
    parser = ColumnParser(frame.loc[keep], ranges(layout))
    urns = parser.integer(layout.urn, required=True)
    years = _years(parser, layout, year)
    parser.unique(
        [layout.urn, *([layout.year_column] if layout.year_column else [])], "school (URN and year)"
    )
    parts = []
    for column, measure in layout.measures.items():
        values, _ = parser.number(column)
        suppressed = parser.frame[column].str.lower().isin(SUPPRESSED)
        part = pd.DataFrame(
            {"urn": urns, "year": years, "measure": measure, "value": values, "suppressed": suppressed}
        )
        if measure in layout.from_year:
            first, _reason = layout.from_year[measure]
            part = part.loc[(part["year"] >= first).fillna(False)]
        parts.append(part.loc[part["value"].notna() | part["suppressed"]])
    parser.raise_if_problems(path)
    long = pd.concat(parts, ignore_index=True)
    long["source"] = source
    return long


def write(connection: Connection, rows: pd.DataFrame) -> None:
    upsert(connection, ContextValue.__table__, records(rows), KEY)  # type: ignore[attr-defined]


def import_context(
    engine: Engine,
    path: Path | str,
    *,
    kind: str,
    layouts: Sequence[Layout],
    year: int | None = None,
) -> ImportResult:
    """Parse and write one DfE context file; `rows_read` counts the (URN, year, measure) values written."""
    path = Path(path)
    rows = parse(path, layouts, kind, year)
    return run_in_transaction(
        engine,
        kind=kind,
        path=path,
        rows_read=len(rows),
        tables=[ContextValue.__table__],  # type: ignore[attr-defined]
        write=lambda connection: write(connection, rows),
    )
