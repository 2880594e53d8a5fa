"""Importer for an LA's own mapping of schools to districts/localities (CSV or XLSX).

Columns (header matched case-insensitively, other columns ignored): `URN` and `District` (or `Locality`).
The mapping is stored under a scheme name (option `scheme`, default "imported") and replaces that scheme's
previous mapping in the same transaction (a mapping is not history: schools left out are no longer mapped).
All-or-nothing: a URN that is not a school in the store, a duplicate URN, a blank district or a malformed
URN rejects the whole file with row/column/reason. Each district belongs to the LA of its schools (a name used
in two LAs makes two districts).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select

from analytics.ingest.common import (
    ColumnParser,
    ImportRejected,
    ImportResult,
    Problem,
    read_csv_strict,
    read_workbook_strict,
)
from analytics.ingest.runner import run_in_transaction
from analytics.store.models import District, School, SchoolDistrict

KIND = "districts"
DEFAULT_SCHEME = "imported"
#: The built-in default (parliamentary constituency) is computed, never imported under this name.
RESERVED_SCHEMES = frozenset({"constituency"})
DISTRICT_HEADERS = ("district", "locality")
DISTRICTS = District.__table__  # type: ignore[attr-defined]
SCHOOL_DISTRICTS = SchoolDistrict.__table__  # type: ignore[attr-defined]


def _read(path: Path) -> pd.DataFrame:
    with path.open("rb") as handle:
        head = handle.read(4)
    if head == b"PK\x03\x04" or path.suffix.lower() in {".xlsx", ".xlsm"}:
        return read_workbook_strict(path)
    return read_csv_strict(path, [])


def parse(path: Path) -> pd.DataFrame:
    """Validate the file on its own (URN and district present, no duplicates); return urn, district."""
    if not path.is_file():
        raise ImportRejected(path, [Problem(None, None, "file not found")])
    frame = _read(path)
    by_lower = {str(c).strip().lower(): c for c in frame.columns}
    urn_col = by_lower.get("urn")
    district_col = next((by_lower[h] for h in DISTRICT_HEADERS if h in by_lower), None)
    problems = []
    if urn_col is None:
        problems.append(Problem(1, "URN", "required column is missing"))
    if district_col is None:
        problems.append(Problem(1, "District", "required column is missing (a 'Locality' column also works)"))
    if problems:
        raise ImportRejected(path, problems)
    parser = ColumnParser(frame)
    out = pd.DataFrame(index=frame.index)
    out["urn"] = parser.integer(str(urn_col), required=True)
    out["district"] = parser.required_text(str(district_col))
    parser.unique([str(urn_col)], "URN")
    parser.raise_if_problems(path)
    out.attrs["urn_column"] = str(urn_col)
    return out


def write(connection: Connection, path: Path, rows: pd.DataFrame, scheme: str) -> None:
    """Check every URN is a school in the store, then replace the scheme's mapping."""
    table = School.__table__  # type: ignore[attr-defined]
    schools = pd.DataFrame(
        connection.execute(select(table.c.urn, table.c.la_name)).all(), columns=["urn", "la_name"]
    ).set_index("urn")["la_name"]
    unknown = ~rows["urn"].isin(schools.index)
    if unknown.any():
        column = rows.attrs.get("urn_column", "URN")
        reason = "URN {} is not a school in the store (import the Ofsted file first)"
        raise ImportRejected(path, [
            Problem(int(str(row)), column, reason.format(urn))
            for row, urn in rows.loc[unknown, "urn"].items()
        ])
    mapping = rows.assign(la_name=schools.reindex(rows["urn"]).to_numpy())
    wanted = mapping[["la_name", "district"]].drop_duplicates()
    existing = _districts(connection, scheme)
    merged = wanted.merge(existing, how="left", left_on=["la_name", "district"], right_on=["la_name", "name"])
    new = merged.loc[merged["id"].isna(), ["la_name", "district"]]
    if not new.empty:
        connection.execute(insert(DISTRICTS), [
            {"scheme": scheme, "la_name": la, "name": name}
            for la, name in new.astype(object).where(new.notna(), None).itertuples(index=False)
        ])
    ids = _districts(connection, scheme)
    mapping = mapping.merge(ids, how="left", left_on=["la_name", "district"], right_on=["la_name", "name"])
    connection.execute(delete(SCHOOL_DISTRICTS).where(SCHOOL_DISTRICTS.c.scheme == scheme))
    connection.execute(insert(SCHOOL_DISTRICTS), [
        {"scheme": scheme, "urn": int(urn), "district_id": int(district_id)}
        for urn, district_id in zip(mapping["urn"], mapping["id"], strict=True)
    ])
    used = set(mapping["id"].astype(int))
    unused = [int(i) for i in ids["id"] if int(i) not in used]
    if unused:
        connection.execute(delete(DISTRICTS).where(DISTRICTS.c.id.in_(unused)))


def _districts(connection: Connection, scheme: str) -> pd.DataFrame:
    result = connection.execute(
        select(DISTRICTS.c.id, DISTRICTS.c.la_name, DISTRICTS.c.name).where(DISTRICTS.c.scheme == scheme)
    )
    return pd.DataFrame(result.all(), columns=["id", "la_name", "name"]).astype({"la_name": object})


def import_file(engine: Engine, path: Path | str, scheme: str = DEFAULT_SCHEME) -> ImportResult:
    path = Path(path)
    scheme = scheme.strip()
    if not scheme or scheme.lower() in RESERVED_SCHEMES:
        raise ImportRejected(path, [Problem(None, None, f"'{scheme}' cannot be used as a mapping name")])
    rows = parse(path)
    return run_in_transaction(
        engine, kind=KIND, path=path, rows_read=len(rows), tables=[SCHOOL_DISTRICTS],
        write=lambda connection: write(connection, path, rows, scheme),
    )
