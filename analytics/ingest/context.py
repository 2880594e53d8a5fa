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
a `year` option that contradicts the file's own column is rejected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from analytics.ingest.common import (
    ColumnParser,
    ImportRejected,
    ImportResult,
    Problem,
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
FIRST_YEAR, LAST_YEAR = 1990, 2100
KEY = ["urn", "year", "measure"]


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
        if not FIRST_YEAR <= year <= LAST_YEAR:
            parser.problems.append(Problem(None, None, f"year {year} is out of range"))
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
    else:
        years = parser.integer(column, required=True)
    out_of_range = years.notna() & ((years < FIRST_YEAR) | (years > LAST_YEAR))
    parser._flag(column, out_of_range.fillna(False), "year '{value}' is out of range")
    if year is not None:
        other = years.notna() & (years != year)
        parser._flag(column, other.fillna(False), f"the file says '{{value}}' but year {year} was given")
    return years


def parse(path: Path, layouts: Sequence[Layout], source: str, year: int | None = None) -> pd.DataFrame:
    """Validate the whole file; return long rows for `context_value` or raise ImportRejected."""
    check_layouts(layouts)
    frame, layout = read_layout(path, layouts)
    keep = pd.Series(True, index=frame.index)
    for column, skipped in layout.skip.items():
        keep &= ~frame[column].isin(skipped)
    parser = ColumnParser(frame.loc[keep])
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
