"""Shared machinery for importers: strict reading, vectorised column parsing with problem reports, upserts.

Every importer reads a whole file into strings, parses each column in one vectorised pass while collecting
problems (row, column, reason), and only if no problem was found writes everything in one transaction.
Row numbers are file line numbers as a spreadsheet shows them: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import Boolean, Column, Connection, Date, Select, Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

#: Cells that mean "no value" in DfE/Ofsted files; stored as missing, never 0.
SUPPRESSION_CODES = frozenset({"c", "x", "z", "u", "low", "supp", "ne", "np", "na", "lowcov", "-", ":", ".."})
BLANKS = frozenset({"", "null", "nan"})
#: Every capitalisation of BLANKS (an exact-match lookup is much faster than lower-casing every cell).
BLANK_SPELLINGS = sorted(
    {"".join(c) for word in BLANKS for c in itertools.product(*({ch.lower(), ch.upper()} for ch in word))}
)
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
            f"{self.file.name} rejected ({len(self.problems)} problem(s)); nothing was imported:"
            f"\n{shown}{tail}"
        )

    def report(self) -> pd.DataFrame:
        """All problems as a table (file, row, column, reason) for the validation report."""
        return pd.DataFrame(
            [
                {"file": self.file.name, "row": p.row, "column": p.column, "reason": p.reason}
                for p in self.problems
            ]
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


def _decode(path: Path, raw: bytes) -> tuple[bytes, str]:
    """Check the bytes are a text CSV; return them as UTF-8 (BOM removed) and the encoding they were in."""
    if not raw.strip():
        raise ImportRejected(path, [Problem(None, None, "the file is empty")])
    if raw[:4] == b"PK\x03\x04":
        raise ImportRejected(path, [Problem(None, None, "this is a ZIP/XLSX workbook, not a CSV file")])
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw[:4096]:
        raise ImportRejected(
            path,
            [
                Problem(
                    None, None, "wrong encoding: the file looks like UTF-16 or binary; save it as UTF-8 CSV"
                )
            ],
        )
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        raw.decode("utf-8")
        return raw, "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Ofsted publishes its CSVs in Windows-1252.
        return raw.decode("cp1252").encode("utf-8"), "cp1252"
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportRejected(
            path,
            [
                Problem(
                    line,
                    None,
                    f"wrong encoding: byte 0x{raw[error.start]:02x} is neither UTF-8 nor Windows-1252",
                )
            ],
        ) from None


def read_csv_strict(path: Path | str, required: Iterable[str]) -> pd.DataFrame:
    """Read a CSV into a frame of stripped strings, rejecting empty, binary, ragged or incomplete files.

    The frame's index is the file row number of each record (header = row 1), blank lines skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportRejected(path, [Problem(None, None, "file not found")])
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ImportRejected(path, [Problem(None, None, f"file is larger than {MAX_FILE_BYTES // 2**20} MB")])
    data, _encoding = _decode(path, path.read_bytes())
    first_line = data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
    header = [h.strip() for h in next(csv.reader([first_line]), [])]
    problems = _header_problems(header, required)
    if problems:
        raise ImportRejected(path, problems)
    table, skipped = _parse_csv(path, data, len(header))
    frame = table.to_pandas()
    frame.columns = header
    frame.index = _file_rows(len(frame), skipped)
    blank = _all_blank(table)
    if blank.any():
        frame = frame.loc[~blank]  # rows of empty fields only (e.g. a spreadsheet's footer)
    if frame.empty:
        raise ImportRejected(path, [Problem(None, None, "the file has a header but no data rows")])
    return frame


def _parse_csv(path: Path, data: bytes, width: int) -> tuple[pa.Table, list[int]]:
    """All cells as stripped strings (pyarrow's CSV reader); ragged rows are problems, blank lines skipped.

    Returns the table and the file row numbers of the skipped blank lines (for row numbering).
    """
    problems: list[Problem] = []
    blank_lines: list[int] = []

    def invalid(row: pa_csv.InvalidRow) -> str:
        if not (row.text or "").strip():
            blank_lines.append(row.number)
        else:
            problems.append(
                Problem(
                    row.number,
                    None,
                    f"the row has {row.actual_columns} fields; the header has {row.expected_columns}",
                )
            )
        return "skip"

    names = [f"c{i}" for i in range(width)]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(
                column_names=names, skip_rows=1, use_threads=False, block_size=1 << 20
            ),
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=invalid
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise ImportRejected(path, [*problems, Problem(None, None, f"malformed CSV: {error}")]) from None
    if problems:
        raise ImportRejected(path, problems)
    trim = pc.utf8_trim_whitespace  # type: ignore[attr-defined]
    table = pa.table([trim(column) for column in table.columns], names=names)
    return table, sorted(n for n in blank_lines if n is not None)


def _file_rows(count: int, skipped: list[int]) -> pd.Index:
    rows = np.arange(count, dtype="int64") + 2
    for line in skipped:
        rows[rows >= line] += 1
    return pd.Index(rows)


def _all_blank(table: pa.Table) -> np.ndarray:
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        blank &= pc.equal(column, "").to_numpy(zero_copy_only=False)  # type: ignore[attr-defined]
    return blank


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
            raise ImportRejected(
                path, [Problem(None, None, "not an XLSX workbook (no workbook parts inside)")]
            )
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

    @property
    def frame(self) -> pd.DataFrame:
        return self._frame

    @frame.setter
    def frame(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._factors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._blanks: dict[str, pd.Series] = {}

    def factors(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct values) of a column, computed once: per-value work then runs on the few
        distinct values and is spread back with a take."""
        if column not in self._factors:
            codes, uniques = pd.factorize(self.frame[column])
            self._factors[column] = (codes, np.asarray(uniques, dtype=object))
        return self._factors[column]

    def _flag(self, column: str, bad: pd.Series, reason: str) -> None:
        if not bad.any():
            return
        for row, value in self.frame.loc[bad, column].items():
            self.problems.append(Problem(int(row), column, reason.format(value=value)))

    def blank(self, column: str) -> pd.Series:
        if column not in self._blanks:
            codes, uniques = self.factors(column)
            self._blanks[column] = self.frame[column].isin(BLANK_SPELLINGS)
        return self._blanks[column]

    def text(self, column: str) -> pd.Series:
        values = self.frame[column]
        return values.where(~self.blank(column), None)

    def required_text(self, column: str) -> pd.Series:
        self._flag(column, self.blank(column), "a value is required")
        return self.frame[column]

    def integer(
        self,
        column: str,
        *,
        required: bool = False,
        allow_suppressed: bool = False,
        minimum: int | None = None,
    ) -> pd.Series:
        """Whole numbers as nullable Int64; blanks (and suppression codes if allowed) become missing."""
        raw = self.frame[column]
        missing = self.blank(column)
        if allow_suppressed:
            missing |= raw.str.lower().isin(SUPPRESSION_CODES)
        numbers = _plain_integers(raw, missing)
        if numbers is None:  # something is not a plain integer: the slower path finds and reports it
            numbers = pd.to_numeric(raw.where(~missing, None), errors="coerce")
            bad = ~missing & (numbers.isna() | (numbers.notna() & (numbers % 1 != 0)))
            self._flag(column, bad, "'{value}' is not a whole number")
        else:
            bad = pd.Series(False, index=raw.index)
        if minimum is not None:
            self._flag(
                column,
                ~bad & (numbers < minimum),
                "'{value}' is below " + str(minimum) + (" (negative)" if minimum == 0 else ""),
            )
        if required:
            self._flag(column, missing, "a value is required")
        return numbers.where(~bad).astype("Int64")

    def number(self, column: str, *, allow_suppressed: bool = True) -> tuple[pd.Series, pd.Series]:
        """Decimal numbers (a trailing % is dropped). Returns (values, suppressed flags)."""
        raw = self.frame[column]
        missing = self.blank(column)
        suppressed = (
            raw.str.lower().isin(SUPPRESSION_CODES) if allow_suppressed else pd.Series(False, index=raw.index)
        )
        cleaned = raw.str.removesuffix("%").str.replace(",", "", regex=False)
        numbers = pd.to_numeric(cleaned.where(~(missing | suppressed), None), errors="coerce")
        bad = ~(missing | suppressed) & numbers.isna()
        self._flag(column, bad, "'{value}' is not a number or a known suppression code")
        return numbers.where(~bad).astype("Float64"), suppressed

    def codes(self, column: str, mapping: Mapping[str, Any], *, required: bool = False) -> pd.Series:
        """Map published codes to stored values; unknown codes are problems; blanks are missing."""
        raw = self.frame[column]
        missing = self.blank(column)
        codes, uniques = self.factors(column)
        known = pd.Series(
            np.array([u in mapping for u in uniques] + [False], dtype=bool)[codes], index=raw.index
        )
        self._flag(
            column, ~missing & ~known, "unknown code '{value}' (expected one of " + _listing(mapping) + ")"
        )
        if required:
            self._flag(column, missing, "a value is required")
        values = np.array([mapping.get(u) for u in uniques] + [None], dtype=object)  # code -1 -> None
        return pd.Series(values[codes], index=raw.index, dtype=object)

    def dates(self, column: str, fmt: str, *, required: bool = False) -> pd.Series:
        raw = self.frame[column]
        missing = self.blank(column)
        codes, uniques = self.factors(column)  # a few thousand distinct dates at most
        blank_values = np.array([str(u).lower() in BLANKS for u in uniques], dtype=bool)
        texts = pd.Series(uniques, dtype=object).where(~blank_values, None)
        unique_dates = pd.to_datetime(texts, format=fmt, errors="coerce")
        parsed = pd.Series(unique_dates.to_numpy()[codes], index=raw.index)
        parsed[codes < 0] = pd.NaT
        bad = ~missing & parsed.isna()
        readable = fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy")
        self._flag(column, bad, "'{value}' is not a valid " + readable + " date")
        if required:
            self._flag(column, missing, "a date is required")
        too_early = parsed.notna() & (parsed < pd.Timestamp("1850-01-01"))
        self._flag(column, too_early & ~bad, "'{value}' is implausibly early")
        as_dates = np.array([*unique_dates.dt.date.where(unique_dates.notna(), None), None], dtype=object)
        return pd.Series(as_dates[codes], index=raw.index, dtype=object)  # codes -1 -> the trailing None

    def within(self, column: str, values: pd.Series, low: Any = None, high: Any = None) -> None:
        """Flag parsed `values` of `column` outside the plausible range [low, high] (either end optional).

        Numbers or dates (parsed `datetime.date` objects); missing values are left to the other checks.
        """
        dates = values.dtype == object
        if dates:
            values = pd.to_datetime(values)
        for bound, outside, word in ((low, "lt", "before" if dates else "below"),
                                     (high, "gt", "after" if dates else "above")):
            if bound is None:
                continue
            limit = pd.Timestamp(bound) if dates else bound
            bad = getattr(values, outside)(limit).fillna(False).astype(bool) & values.notna()
            self._flag(column, bad, "'{value}' is implausible: " + f"{word} {bound}")

    def unique(self, columns: list[str], label: str) -> None:
        keys = self.frame[columns]
        dup = keys.duplicated(keep="first") & ~(keys == "").any(axis=1)
        for row in dup[dup].index:
            first = keys.index[(keys == keys.loc[row]).all(axis=1)][0]
            self.problems.append(
                Problem(
                    int(row),
                    ", ".join(columns),
                    f"duplicate {label} '{'/'.join(keys.loc[row])}' (first at row {first})",
                )
            )

    def raise_if_problems(self, path: Path) -> None:
        if self.problems:
            self.problems.sort(key=lambda p: (p.row or 0, p.column or ""))
            raise ImportRejected(path, self.problems)


def _plain_integers(raw: pd.Series, missing: pd.Series) -> pd.Series | None:
    """Int64 values if every non-missing cell is a plain integer (pyarrow's strict cast), else None."""
    try:
        values = pa.array(raw.to_numpy(dtype=object), type=pa.string(), mask=missing.to_numpy(dtype=bool))
        cast = pc.cast(values, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return pd.Series(cast.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).array, index=raw.index)


def _listing(mapping: Mapping[str, Any]) -> str:
    shown = [repr(k) for k in mapping if k][:12]
    return ", ".join(shown) + (", ..." if len(mapping) > 12 else "")


# ------------------------------------------------------------------------------------------------- writing


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Frame rows as plain dicts with None for missing values and Python scalars (DB drivers need them)."""
    columns = {str(name): _python_values(frame[name]) for name in frame.columns}
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _python_values(values: pd.Series, python_type: type | None = None) -> list[Any]:
    """One column as Python scalars (int, float, bool, date, str) with None for every kind of missing value.

    With `python_type` (from the target column) the values are converted to that type first, so a float
    column of whole numbers becomes ints for an INTEGER column, datetimes become dates for a DATE column.
    """
    if python_type is int and values.dtype.kind in "iufb" or values.dtype == object and python_type is int:
        values = values.astype("Int64")
    elif python_type is bool:
        values = values.astype("boolean")
    elif python_type is float:
        values = values.astype("Float64")
    elif values.dtype.kind == "M":
        values = values.dt.date
    missing = values.isna().to_numpy()
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iufb":
        plain = values.to_numpy().tolist()  # numpy's tolist gives Python scalars
        return [None if gap else v for v, gap in zip(plain, missing, strict=True)] if missing.any() else plain
    out = values.astype(object).to_numpy(dtype=object, copy=True)
    out[missing] = None
    if out.size and any(isinstance(v, pd.Timestamp) for v in out[:1]):
        return [None if v is None else v.date() for v in out]
    return out.tolist()


def _python_type(column: Column[Any]) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def upsert(
    connection: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    keys: Sequence[str],
    *,
    update: bool = True,
    chunk: int = 5000,
) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE (or DO NOTHING) for SQLite and PostgreSQL."""
    if not rows:
        return
    names = list(rows[0])
    _execute_upsert(connection, table, {n: [row[n] for row in rows] for n in names}, keys, update=update)


def upsert_frame(
    connection: Connection,
    table: Table,
    frame: pd.DataFrame,
    keys: Sequence[str],
    *,
    update: bool = True,
    merge: Callable[[Any], Mapping[str, Any]] | None = None,
) -> None:
    """`upsert` straight from a DataFrame (column-wise conversion: much faster than building dicts).

    `merge(stmt)` may give the SET clause of ON CONFLICT DO UPDATE (SQL expressions over `stmt.excluded`
    and the table's columns), for merge rules other than "the new row wins".
    """
    if frame.empty:
        return
    columns, bound = {}, set()
    for name in map(str, frame.columns):
        column = table.c[name]
        if connection.dialect.name == "sqlite" and isinstance(column.type, Date):
            columns[name] = _sqlite_dates(frame[name])  # what SQLAlchemy's SQLite DATE binds, vectorised
            bound.add(name)
        else:
            columns[name] = _python_values(frame[name], _python_type(column))
            if isinstance(column.type, Boolean):
                bound.add(name)  # Python bools bind as themselves (SQLite stores 1/0, as SQLAlchemy does)
    _execute_upsert(connection, table, columns, keys, update=update, bound=bound, merge=merge)


def _sqlite_dates(values: pd.Series) -> list[str | None]:
    codes, uniques = pd.factorize(values)  # few distinct dates: convert each once
    days = pd.to_datetime(pd.Series(uniques, dtype=object)).to_numpy(dtype="datetime64[D]")
    texts = np.array([*np.datetime_as_string(days, unit="D"), None], dtype=object)
    texts[:-1][np.isnat(days)] = None
    return list(texts[codes])


def _execute_upsert(
    connection: Connection,
    table: Table,
    columns: dict[str, list[Any]],
    keys: Sequence[str],
    *,
    update: bool,
    bound: set[str] | frozenset[str] = frozenset(),
    merge: Callable[[Any], Mapping[str, Any]] | None = None,
) -> None:
    """Compile the upsert once and hand all rows to the driver's executemany (no per-row SQLAlchemy work).

    Values go through each column type's bind processor, exactly as SQLAlchemy would do per row, except
    the `bound` columns, which the caller has already converted to what that processor would give.
    """
    dialect = connection.dialect
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).values({name: bindparam(name) for name in columns})
    changing = [name for name in columns if name not in keys]
    if merge is not None:
        stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_=dict(merge(stmt)))
    elif update and changing:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={name: stmt.excluded[name] for name in changing}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    compiled = stmt.compile(dialect=dialect)
    for name, values in columns.items():
        process = None if name in bound else table.c[name].type._cached_bind_processor(dialect)
        if process is not None:
            columns[name] = [process(v) for v in values]
    names = list(columns)
    if compiled.positional:
        order = [names.index(name) for name in compiled.positiontup or []]
        lists = list(columns.values())
        params: list[Any] = list(zip(*(lists[i] for i in order), strict=True))
    else:
        params = [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    connection.exec_driver_sql(str(compiled), params)


def query_frame(connection: Connection, query: Select[Any], *, raw: bool = False) -> pd.DataFrame:
    """Run a query and return its rows as a DataFrame (column-wise: cheap even for 100,000 rows).

    With `raw`, values come as the driver gives them, skipping SQLAlchemy's result processing (faster; on
    SQLite dates are then ISO strings, which `pd.to_datetime` reads). The query must have no bound values.
    """
    if raw:
        sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
        result = connection.exec_driver_sql(sql)
        names, rows = list(result.keys()), result.cursor.fetchall() if result.cursor else []
    else:
        result = connection.execute(query)
        names, rows = list(result.keys()), result.fetchall()
    return pd.DataFrame.from_records([tuple(row) for row in rows], columns=names)


def count_rows(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def now_utc() -> datetime:
    return datetime.now().astimezone()
