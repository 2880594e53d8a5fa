"""Importer for an LA's own mapping of schools to districts/localities (CSV or XLSX).

Columns (header matched case-insensitively, other columns ignored): `URN` and `District` (or `Locality`).
The mapping is stored under a scheme name (option `scheme`, default "imported") and replaces that scheme's
previous mapping in the same transaction (a mapping is not history: schools left out are no longer mapped).
All-or-nothing: a URN that is not a school in the store, a duplicate URN, a blank district or a malformed
URN rejects the whole file with row/column/reason. Each district belongs to the LA of its schools (a name used
in two LAs makes two districts).

Names are compared after normalisation (`normalise_text`), so 'Oakham' with a zero-width space is 'Oakham'.
A mapping name is at most 60 Latin letters, digits, spaces and simple punctuation, and must not look like the
built-in scheme ('constituency', 'Parliamentary constituency', in any case, spacing or width).
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select

from analytics.ingest.common import (
    URN,
    ColumnParser,
    ImportRejected,
    ImportResult,
    InvalidOption,
    Plausible,
    Problem,
    normalise_text,
    query_frame,
    read_csv_strict,
    read_file_bytes,
    read_workbook_strict,
    skeleton,
)
from analytics.ingest.runner import run_in_transaction
from analytics.store.models import District, School, SchoolDistrict

KIND = "districts"
DEFAULT_SCHEME = "imported"
#: The built-in default (parliamentary constituency) is computed, never imported under these names.
RESERVED_SCHEMES = frozenset({"constituency", "parliamentary constituency"})
MAX_SCHEME_CHARS = 60
SCHEME_PUNCTUATION = frozenset(" -'&(),./")
DISTRICT_NAME = Plausible(max_length=100)
DISTRICT_HEADERS = ("district", "locality")
DISTRICTS = District.__table__  # type: ignore[attr-defined]
SCHOOL_DISTRICTS = SchoolDistrict.__table__  # type: ignore[attr-defined]


def _read(path: Path) -> pd.DataFrame:
    head = read_file_bytes(path)[:4]  # a regular file of bounded size
    if head == b"PK\x03\x04" or path.suffix.lower() in {".xlsx", ".xlsm"}:
        return read_workbook_strict(path)
    return read_csv_strict(path, [])


def scheme_name(path: Path, scheme: str) -> str:
    """The mapping name, normalised; refused (as a bad option) if empty, too long, odd or reserved."""
    name = " ".join(normalise_text(scheme).split())

    def refuse(reason: str) -> InvalidOption:
        return InvalidOption(path, [Problem(None, None, reason)])

    if not name:
        raise refuse("the mapping needs a name")
    if len(name) > MAX_SCHEME_CHARS:
        raise refuse(f"the mapping name has {len(name)} characters; at most {MAX_SCHEME_CHARS} are accepted")
    if skeleton(name) in {skeleton(reserved) for reserved in RESERVED_SCHEMES}:
        raise refuse(
            f"'{name}' cannot be used as a mapping name: it is the built-in parliamentary constituency scheme"
        )
    odd = sorted({ch for ch in name if not _allowed_in_scheme(ch)})
    if odd:
        shown = ", ".join(f"U+{ord(ch):04X}" if not ch.isprintable() else repr(ch) for ch in odd[:5])
        raise refuse(
            f"the mapping name may contain only letters, digits, spaces and - ' & ( ) , . / (not {shown})"
        )
    return name


def _allowed_in_scheme(ch: str) -> bool:
    if ch in SCHEME_PUNCTUATION or ch in "0123456789":
        return True
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN")


def parse(path: Path) -> pd.DataFrame:
    """Validate the file on its own (URN and district present, no duplicates); return urn, district."""
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
    parser = ColumnParser(frame, {str(urn_col): URN, str(district_col): DISTRICT_NAME})
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
    schools = query_frame(connection, select(table.c.urn, table.c.la_name)).set_index("urn")["la_name"]
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
    query = select(DISTRICTS.c.id, DISTRICTS.c.la_name, DISTRICTS.c.name).where(DISTRICTS.c.scheme == scheme)
    frame = query_frame(connection, query)
    if frame.empty:
        frame = pd.DataFrame(columns=["id", "la_name", "name"])
    return frame.astype({"la_name": object})


def import_file(engine: Engine, path: Path | str, scheme: str = DEFAULT_SCHEME) -> ImportResult:
    path = Path(path)
    scheme = scheme_name(path, scheme)
    rows = parse(path)
    return run_in_transaction(
        engine, kind=KIND, path=path, rows_read=len(rows), tables=[SCHOOL_DISTRICTS],
        write=lambda connection: write(connection, path, rows, scheme),
    )
