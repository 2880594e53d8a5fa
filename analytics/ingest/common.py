"""Shared machinery for importers: strict reading, vectorised column parsing with problem reports, upserts.

Every importer reads a whole file into strings, parses each column in one vectorised pass while collecting
problems (row, column, reason), and only if no problem was found writes everything in one transaction.
Row numbers are file line numbers as a spreadsheet shows them: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite

#: Cells that mean "no value" in DfE/Ofsted files; stored as missing, never 0.
SUPPRESSION_CODES = frozenset({"c", "x", "z", "u", "low", "supp", "ne", "np", "na", "lowcov", "-", ":", ".."})
BLANKS = frozenset({"", "null", "nan"})
MAX_PROBLEMS_SHOWN = 20
MAX_FILE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return (", ".join(where) + ": " if where else "") + self.reason


class ImportRejected(Exception):
    """The file was rejected; nothing was written. Carries every problem found (row, column, reason)."""

    def __init__(self, file: Path | str, problems: Sequence[Problem]):
        self.file = Path(file)
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:MAX_PROBLEMS_SHOWN])
        more = len(self.problems) - MAX_PROBLEMS_SHOWN
        tail = f"\n  ... and {more} more problems" if more > 0 else ""
        super().__init__(
            f"{self.file.name} rejected ({len(self.problems)} problem(s)); nothing was imported:\n{shown}{tail}"
        )

    def report(self) -> pd.DataFrame:
        """All problems as a table (file, row, column, reason) for the validation report."""
        return pd.DataFrame(
            [{"file": self.file.name, "row": p.row, "column": p.column, "reason": p.reason} for p in self.problems]
        )


@dataclass
class ImportResult:
    kind: str
    file_name: str
    rows_read: int
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    as_at: date | None = None
    notes: list[str] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------- reading files


def _decode(path: Path, raw: bytes) -> str:
    if not raw.strip():
        raise ImportRejected(path, [Problem(None, None, "the file is empty")])
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw[:4096]:
        raise ImportRejected(
            path, [Problem(None, None, "wrong encoding: the file looks like UTF-16 or binary; save it as UTF-8 CSV")]
        )
    if raw[:4] == b"PK\x03\x04":
        raise ImportRejected(path, [Problem(None, None, "this is a ZIP/XLSX workbook, not a CSV file")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Ofsted publishes its CSVs in Windows-1252.
        return raw.decode("cp1252")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportRejected(
            path, [Problem(line, None, f"wrong encoding: byte 0x{raw[error.start]:02x} is neither UTF-8 nor Windows-1252")]
        ) from None


def read_csv_strict(path: Path | str, required: Iterable[str]) -> pd.DataFrame:
    """Read a CSV into a frame of stripped strings, rejecting empty, binary, ragged or incomplete files."""
    path = Path(path)
    if not path.is_file():
        raise ImportRejected(path, [Problem(None, None, "file not found")])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportRejected(path, [Problem(None, None, f"file is larger than {MAX_FILE_BYTES // 2**20} MB")])
    text = _decode(path, path.read_bytes())
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    header = [h.strip() for h in header]
    problems = _header_problems(header, required)
    if problems:
        raise ImportRejected(path, problems)
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=True,
            on_bad_lines="error", engine="c",
        )
    except pd.errors.ParserError as error:
        raise ImportRejected(path, [Problem(None, None, f"malformed CSV: {error}")]) from None
    frame.columns = header
    frame = frame.apply(lambda s: s.str.strip())
    frame = frame.loc[~(frame == "").all(axis=1)]  # footer/blank rows
    if frame.empty:
        raise ImportRejected(path, [Problem(None, None, "the file has a header but no data rows")])
    frame.index = frame.index + 2  # file row numbers
    return frame


def _header_problems(header: list[str], required: Iterable[str]) -> list[Problem]:
    problems = []
    if not any(header):
        return [Problem(1, None, "the header row is missing")]
    seen: set[str] = set()
    for name in header:
        if name in seen and name:
            problems.append(Problem(1, name, "column appears twice in the header"))
        seen.add(name)
    problems += [Problem(1, name, "required column is missing") for name in required if name not in seen]
    return problems


def read_workbook_strict(path: Path | str, sheet: str | int = 0, header_row: int = 0) -> pd.DataFrame:
    """Read an XLSX sheet as strings after checking it is a real, macro-free, not-too-large workbook."""
    path = Path(path)
    if not path.is_file():
        raise ImportRejected(path, [Problem(None, None, "file not found")])
    if path.suffix.lower() in {".xlsm", ".xltm"}:
        raise ImportRejected(path, [Problem(None, None, "macro-enabled workbooks are not accepted")])
    if not zipfile.is_zipfile(path):
        raise ImportRejected(path, [Problem(None, None, "not an XLSX workbook (it is not a ZIP archive)")])
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            raise ImportRejected(path, [Problem(None, None, "not an XLSX workbook (no workbook parts inside)")])
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise ImportRejected(path, [Problem(None, None, "macro-enabled workbooks are not accepted")])
        if sum(info.file_size for info in archive.infolist()) > MAX_FILE_BYTES:
            raise ImportRejected(path, [Problem(None, None, "workbook expands to more than 200 MB")])
    import defusedxml  # noqa: F401  (openpyxl uses it, when installed, against XML bombs)

    try:
        frame = pd.read_excel(path, sheet_name=sheet, header=header_row, dtype=str, engine="openpyxl")
    except Exception as error:  # openpyxl raises many kinds for broken parts
        raise ImportRejected(path, [Problem(None, None, f"the workbook cannot be read: {error}")]) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.fillna("").apply(lambda s: s.astype(str).str.strip())
    frame = frame.loc[~(frame == "").all(axis=1)]
    frame.index = frame.index + header_row + 2
    return frame


# ------------------------------------------------------------------------------------------ parsing columns


class ColumnParser:
    """Parses columns of one frame, collecting problems instead of stopping at the first."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.problems: list[Problem] = []

    def _flag(self, column: str, bad: pd.Series, reason: str) -> None:
        for row, value in self.frame.loc[bad, column].items():
            self.problems.append(Problem(int(row), column, reason.format(value=value)))

    def blank(self, column: str) -> pd.Series:
        return self.frame[column].str.lower().isin(BLANKS)

    def text(self, column: str) -> pd.Series:
        values = self.frame[column]
        return values.where(~self.blank(column), None)

    def required_text(self, column: str) -> pd.Series:
        self._flag(column, self.blank(column), "a value is required")
        return self.frame[column]

    def integer(self, column: str, *, required: bool = False, allow_suppressed: bool = False) -> pd.Series:
        """Whole numbers as nullable Int64; blanks (and suppression codes if allowed) become missing."""
        raw = self.frame[column]
        missing = self.blank(column)
        if allow_suppressed:
            missing |= raw.str.lower().isin(SUPPRESSION_CODES)
        numbers = pd.to_numeric(raw.where(~missing, None), errors="coerce")
        bad = ~missing & (numbers.isna() | (numbers.notna() & (numbers % 1 != 0)))
        self._flag(column, bad, "'{value}' is not a whole number")
        if required:
            self._flag(column, missing, "a value is required")
        return numbers.where(~bad).astype("Int64")

    def number(self, column: str, *, allow_suppressed: bool = True) -> tuple[pd.Series, pd.Series]:
        """Decimal numbers (a trailing % is dropped). Returns (values, suppressed flags)."""
        raw = self.frame[column]
        missing = self.blank(column)
        suppressed = raw.str.lower().isin(SUPPRESSION_CODES) if allow_suppressed else pd.Series(False, index=raw.index)
        cleaned = raw.str.removesuffix("%").str.replace(",", "", regex=False)
        numbers = pd.to_numeric(cleaned.where(~(missing | suppressed), None), errors="coerce")
        bad = ~(missing | suppressed) & numbers.isna()
        self._flag(column, bad, "'{value}' is not a number or a known suppression code")
        return numbers.where(~bad).astype("Float64"), suppressed

    def codes(self, column: str, mapping: Mapping[str, Any], *, required: bool = False) -> pd.Series:
        """Map published codes to stored values; unknown codes are problems; blanks are missing."""
        raw = self.frame[column]
        missing = self.blank(column)
        known = raw.isin(list(mapping))
        self._flag(column, ~missing & ~known, "unknown code '{value}' (expected one of " + _listing(mapping) + ")")
        if required:
            self._flag(column, missing, "a value is required")
        return raw.map(lambda v: mapping.get(v)).astype(object)

    def dates(self, column: str, fmt: str, *, required: bool = False) -> pd.Series:
        raw = self.frame[column]
        missing = self.blank(column)
        parsed = pd.to_datetime(raw.where(~missing, None), format=fmt, errors="coerce")
        bad = ~missing & parsed.isna()
        readable = fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy")
        self._flag(column, bad, "'{value}' is not a valid " + readable + " date")
        if required:
            self._flag(column, missing, "a date is required")
        too_early = parsed.notna() & (parsed < pd.Timestamp("1850-01-01"))
        self._flag(column, too_early & ~bad, "'{value}' is implausibly early")
        return parsed.dt.date.astype(object).where(parsed.notna(), None)

    def unique(self, columns: list[str], label: str) -> None:
        keys = self.frame[columns]
        dup = keys.duplicated(keep="first") & ~(keys == "").any(axis=1)
        for row in dup[dup].index:
            first = keys.index[(keys == keys.loc[row]).all(axis=1)][0]
            self.problems.append(
                Problem(int(row), ", ".join(columns), f"duplicate {label} '{'/'.join(keys.loc[row])}' (first at row {first})")
            )

    def raise_if_problems(self, path: Path) -> None:
        if self.problems:
            self.problems.sort(key=lambda p: (p.row or 0, p.column or ""))
            raise ImportRejected(path, self.problems)


def _listing(mapping: Mapping[str, Any]) -> str:
    shown = [repr(k) for k in mapping if k][:12]
    return ", ".join(shown) + (", ..." if len(mapping) > 12 else "")


# ------------------------------------------------------------------------------------------------- writing


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Frame rows as plain dicts with None for missing values and Python scalars (DB drivers need them)."""
    clean = frame.astype(object).where(frame.notna(), None)
    out = clean.to_dict("records")
    for row in out:
        for key, value in row.items():
            if isinstance(value, np.generic):
                row[key] = value.item()
            elif isinstance(value, pd.Timestamp):
                row[key] = value.date()
    return out


def upsert(
    connection: Connection, table: Table, rows: list[dict[str, Any]], keys: Sequence[str],
    *, update: bool = True, chunk: int = 5000,
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE (or DO NOTHING) for SQLite and PostgreSQL."""
    if not rows:
        return
    dialect = connection.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    columns = list(rows[0])
    for start in range(0, len(rows), chunk):
        stmt = insert(table)
        if update:
            changing = [c for c in columns if c not in keys]
            stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in changing})
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        connection.execute(stmt, rows[start : start + chunk])


def count_rows(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def now_utc() -> datetime:
    return datetime.now().astimezone()
