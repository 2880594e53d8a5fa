"""Importers for DfE Local Authority Interactive Tool (LAIT) files: LA codes, statistical neighbours,
and the LA-level indicator values.

- `la_code_list.xlsx` (LA Number, LA Name, Region, Type) -> `local_authority` (upsert on name). Rows without a
  region ('NA') are England and the regions, not LAs, and are left out. Names are kept as LAIT spells
  them; the Ofsted spelling is resolved at query time (`analytics.localauthorities`).
- `sn_may_2025.xlsx` (sheet 'LA SN Groups', header on the 3rd row: LA num, LA Name, SN1, SNP, ... SN10, SNP)
  -> `stat_neighbour` (la_code, rank 1-10, neighbour_code, closeness). Only the current groups are read: the
  block after the 'Old SNs:' marker (pre-reorganisation LAs) is left out. Every neighbour must itself be an
  LA of the file. Closeness words are stored in sentence case (the file mixes 'Very Close' and 'Very close').
- `bds_long_0.parquet` (Short Desc, Years, LA and Regions, Values, LA Number) -> `la_indicator` (la_code,
  indicator, year_label as published, value). '-' (not available) gives no row. Row numbers in problem
  reports are record numbers (1 = first record) since parquet has no lines.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine

from analytics.ingest.common import (
    LA_CODE,
    ColumnParser,
    ImportRejected,
    ImportResult,
    Plausible,
    Problem,
    normalise_strings,
    read_file_bytes,
    read_workbook_strict,
    records,
    upsert,
)
from analytics.ingest.runner import run_in_transaction
from analytics.store.models import LaIndicator, LocalAuthority, StatNeighbour

KIND_LAS = "lait-las"
KIND_NEIGHBOURS = "lait-neighbours"
KIND_INDICATORS = "lait-indicators"

LA_REQUIRED = ["LA Number", "LA Name", "Region"]
SN_HEADER_ROW = 2
SN_RANKS = range(1, 11)
SN_REQUIRED = ["LA num", "LA Name", *(f"SN{k}" for k in SN_RANKS)]
OLD_GROUPS_MARKER = "old sns"
CLOSENESS = {c.lower(): c for c in ("Extremely close", "Very close", "Close", "Somewhat close", "Not close")}
BDS_REQUIRED = ["Short Desc", "Years", "LA and Regions", "Values", "LA Number"]
LA_RANGES: dict[str, Plausible] = {"LA Number": LA_CODE}
SN_RANGES: dict[str, Plausible] = {"LA num": LA_CODE, **{f"SN{k}": LA_CODE for k in SN_RANKS}}
#: LAIT values mix units (percentages, rates, pounds, counts): only a bound no indicator comes near.
BDS_RANGES: dict[str, Plausible] = {
    "LA Number": LA_CODE,
    "Values": Plausible(-1e12, 1e12, note="LAIT indicator values (mixed units)"),
}


# ------------------------------------------------------------------------------------------ LA code list


def parse_las(path: Path) -> pd.DataFrame:
    frame = read_workbook_strict(path)
    _require(path, frame, LA_REQUIRED)
    frame = frame.loc[~frame["Region"].str.upper().isin(["", "NA"])]
    parser = ColumnParser(frame, LA_RANGES)
    out = pd.DataFrame(index=frame.index)
    out["code"] = parser.integer("LA Number", required=True)
    out["name"] = parser.required_text("LA Name")
    out["region"] = parser.text("Region")
    parser.unique(["LA Number"], "LA number")
    parser.unique(["LA Name"], "LA name")
    parser.raise_if_problems(path)
    return out.reset_index(drop=True)


def import_las(engine: Engine, path: Path | str) -> ImportResult:
    path = Path(path)
    rows = parse_las(path)
    table = LocalAuthority.__table__  # type: ignore[attr-defined]
    return run_in_transaction(
        engine, kind=KIND_LAS, path=path, rows_read=len(rows), tables=[table],
        write=lambda connection: upsert(connection, table, records(rows), ["name"]),
    )


# ------------------------------------------------------------------------------------ statistical neighbours


def parse_neighbours(path: Path) -> pd.DataFrame:
    frame = read_workbook_strict(path, sheet=0, header_row=SN_HEADER_ROW, duplicate_headers="number")
    _require(path, frame, SN_REQUIRED)
    names = frame["LA Name"].str.lower()
    marker = names.str.startswith(OLD_GROUPS_MARKER)
    if marker.any():
        frame = frame.loc[: marker[marker].index[0] - 1]
    columns = list(frame.columns)
    closeness_of = {k: columns[columns.index(f"SN{k}") + 1] for k in SN_RANKS}
    problems = [Problem(1, f"SN{k}", "no closeness column after it") for k, c in closeness_of.items()
                if c.startswith("SN") and not c.startswith("SNP")]
    if problems:
        raise ImportRejected(path, problems)
    lowered = frame.copy()
    for column in closeness_of.values():
        lowered[column] = lowered[column].str.lower()
    parser = ColumnParser(lowered, SN_RANGES)
    codes = parser.integer("LA num", required=True)
    parser.unique(["LA num"], "LA")
    known = set(codes.dropna().astype(int))
    parts = []
    for rank in SN_RANKS:
        neighbour = parser.integer(f"SN{rank}", required=True)
        unknown = neighbour.notna() & ~neighbour.isin(known)
        for row in unknown[unknown].index:
            parser.problems.append(
                Problem(int(row), f"SN{rank}", f"neighbour {neighbour[row]} is not an LA listed in this file")
            )
        closeness = parser.codes(closeness_of[rank], CLOSENESS)
        parts.append(pd.DataFrame({"la_code": codes, "rank": rank, "neighbour_code": neighbour,
                                   "closeness": closeness}))
    parser.raise_if_problems(path)
    return pd.concat(parts, ignore_index=True).sort_values(["la_code", "rank"], ignore_index=True)


def import_neighbours(engine: Engine, path: Path | str) -> ImportResult:
    path = Path(path)
    rows = parse_neighbours(path)
    table = StatNeighbour.__table__  # type: ignore[attr-defined]
    return run_in_transaction(
        engine, kind=KIND_NEIGHBOURS, path=path, rows_read=len(rows), tables=[table],
        write=lambda connection: upsert(connection, table, records(rows), ["la_code", "rank"]),
    )


# -------------------------------------------------------------------------------------- LAIT indicators


def _read_parquet_strict(path: Path) -> pd.DataFrame:
    data = read_file_bytes(path)  # a regular file of bounded size
    if data[:4] != b"PAR1":
        raise ImportRejected(path, [Problem(None, None, "not a parquet file")])
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as error:  # pyarrow raises many kinds for broken files
        problem = Problem(None, None, f"the parquet file cannot be read: {str(error).splitlines()[0]}")
        raise ImportRejected(path, [problem]) from None
    _require(path, frame, BDS_REQUIRED)
    frame = frame[BDS_REQUIRED].astype(object).where(frame[BDS_REQUIRED].notna(), "")
    frame = frame.astype(str)
    nul = frame.apply(lambda s: s.str.contains("\x00", regex=False)).to_numpy()
    if nul.any():
        rows, columns = nul.nonzero()
        raise ImportRejected(path, [
            Problem(int(r) + 1, BDS_REQUIRED[c], "the value contains a NUL character, never valid in text")
            for r, c in zip(rows[:20], columns[:20], strict=True)
        ])
    frame = frame.apply(normalise_strings)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def parse_indicators(path: Path) -> pd.DataFrame:
    frame = _read_parquet_strict(path)
    # LA Number is stored as a float column in the published parquet ('301.0').
    frame["LA Number"] = frame["LA Number"].str.removesuffix(".0")
    parser = ColumnParser(frame, BDS_RANGES)
    out = pd.DataFrame(index=frame.index)
    out["la_code"] = parser.integer("LA Number", required=True)
    out["indicator"] = parser.required_text("Short Desc")
    out["year_label"] = parser.required_text("Years")
    out["value"], _suppressed = parser.number("Values")
    parser.unique(["LA Number", "Short Desc", "Years"], "indicator value (LA, indicator, year)")
    parser.raise_if_problems(path)
    return out.loc[out["value"].notna()].reset_index(drop=True)


def import_indicators(engine: Engine, path: Path | str) -> ImportResult:
    path = Path(path)
    rows = parse_indicators(path)
    table = LaIndicator.__table__  # type: ignore[attr-defined]
    return run_in_transaction(
        engine, kind=KIND_INDICATORS, path=path, rows_read=len(rows), tables=[table],
        write=lambda connection: _write_indicators(connection, rows),
    )


def _write_indicators(connection: Connection, rows: pd.DataFrame) -> None:
    table = LaIndicator.__table__  # type: ignore[attr-defined]
    upsert(connection, table, records(rows), ["la_code", "indicator", "year_label"])


def _require(path: Path, frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ImportRejected(path, [Problem(1, c, "required column is missing") for c in missing])
