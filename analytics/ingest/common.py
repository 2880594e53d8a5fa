"""Shared machinery for importers: safe reading, plausible ranges, vectorised parsing, upserts.

Every importer reads a whole file into strings with `read_csv_strict` / `read_workbook_strict`, parses each
column in one vectorised pass with a `ColumnParser` (collecting problems: row, column, reason), and only if no
problem was found writes everything in one transaction (`analytics.ingest.runner.run_in_transaction`).
Row numbers are file line numbers as a spreadsheet shows them: the header is row 1, the first record row 2.

What an importer gets by using these readers and the parser (nothing to add in the importer):
- the file is a regular file of bounded size, read with a bounded read (never a device, pipe or folder);
- the encoding is decided per file with evidence: UTF-8, or Windows-1252 (Ofsted publishes it) when no byte
  sequence of the file is UTF-8; a mostly-UTF-8 file with stray bytes is refused naming each byte's row and
  column;
- every cell and header name is normalised before any comparison (`normalise_text`: NFC, zero-width and
  control characters removed, Unicode spaces made plain, trimmed); NUL bytes are refused; cells longer than a
  spreadsheet cell can hold are refused; at most `MAX_COLUMNS` columns; header names that differ only in case
  are refused;
- XLSX archives are checked before parsing (size, compression ratio, shared strings, macros) and formula cells
  are refused;
- every number and date is checked against the plausible range the importer declares for its column
  (`Plausible`, passed to `ColumnParser(frame, ranges)`), and every text against a bounded length, so nothing
  reaches the database that SQLite would store and PostgreSQL would refuse (or the reverse).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import math
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

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

# Limits checked before any parsing (each refusal says which limit and why).
MAX_FILE_BYTES = 200 * 1024 * 1024
#: The widest published file we read has 85 columns; 100,000 columns took 38 s and 1.4 GB before this limit.
MAX_COLUMNS = 1_000
#: The most characters a spreadsheet cell can hold: no published cell comes close (the longest is 96).
MAX_CELL_CHARS = 32_767
#: Default bound of a stored text field (names, types, districts) unless the importer declares another.
MAX_TEXT_CHARS = 255
MAX_HEADER_BYTES = 1 << 20
#: XLSX: the archive's inflated size, each part's compression ratio, cells and shared strings.
MAX_XLSX_INFLATED_BYTES = 50 * 1024 * 1024
MAX_XLSX_RATIO = 100
MAX_XLSX_CELLS = 2_000_000
MAX_XLSX_SHARED_STRINGS = 250_000
MAX_XLSX_PARTS = 1_000
#: Encoding problems listed one by one before "and N more".
MAX_BYTE_PROBLEMS = 20
#: Rows per executemany call when writing (progress is reported after each).
UPSERT_CHUNK = 20_000


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
            ],
            columns=["file", "row", "column", "reason"],
        )


class InvalidOption(ImportRejected):
    """An option given with the file is wrong (a year out of range, a future date, a reserved name): the CLI
    exits 2 (bad arguments) rather than 3 (rejected file). Nothing was written."""


class UndeclaredRange(LookupError):
    """Programming error: an importer parsed a number or date column without declaring its plausible range."""


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


# ------------------------------------------------------------------------------------------------ progress

#: Called with what the import is doing and the fraction done (None: the fraction has not changed).
ProgressCallback = Callable[[str, float | None], None]
_progress: ContextVar[ProgressCallback | None] = ContextVar("import_progress", default=None)


def report_progress(stage: str, fraction: float | None = None) -> None:
    """Tell whoever runs this import (a background job) how far it is; does nothing otherwise."""
    callback = _progress.get()
    if callback is not None:
        callback(stage, None if fraction is None else min(max(fraction, 0.0), 1.0))


@contextmanager
def progress_to(callback: ProgressCallback | None) -> Iterator[None]:
    """Send `report_progress` calls made in this thread (inside the block) to `callback`."""
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


# ------------------------------------------------------------------------------------------ normalising text

#: Characters that are invisible or reorder text (zero-width, joiners, bidi controls, BOM, soft hyphen...).
_INVISIBLE = (
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0]
    + list(range(0x200B, 0x2010))
    + list(range(0x202A, 0x202F))
    + list(range(0x2060, 0x2070))
    + list(range(0xFFF9, 0xFFFC))
)
#: Unicode spaces other than the plain space (no-break, thin, ideographic...).
_SPACES = [0x00A0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000]


def _c1_as_cp1252(code: int) -> str | None:
    """A C1 control character in text is a Windows-1252 byte read as Latin-1 (U+0096 was an en dash)."""
    try:
        return bytes([code]).decode("cp1252")
    except UnicodeDecodeError:
        return None


_TRANSLATION: dict[int, str | None] = {
    **{code: None for code in range(0x20) if code not in (0x09, 0x0A, 0x0D)},
    0x09: " ",
    0x0A: " ",
    0x0D: " ",
    0x7F: None,
    **{code: _c1_as_cp1252(code) for code in range(0x80, 0xA0)},
    **dict.fromkeys(_INVISIBLE),
    **dict.fromkeys(_SPACES, " "),
}


def normalise_text(value: str) -> str:
    """The one form of a text used for storing and comparing: control and invisible characters removed (a
    tab or line break inside a value becomes a space, a C1 control its Windows-1252 character), Unicode
    spaces made plain, NFC composition, surrounding whitespace trimmed. NUL bytes are refused before this."""
    if value.isascii() and value.isprintable():
        return value.strip()
    return unicodedata.normalize("NFC", value.translate(_TRANSLATION)).strip()


def skeleton(value: str) -> str:
    """What a name looks like, for refusing look-alikes: compatibility-folded, case-folded letters and digits
    only ('Parliamentary  Constituency', 'ｃｏｎｓｔｉｔｕｅｎｃｙ' and 'constituency' compare alike)."""
    folded = unicodedata.normalize("NFKC", normalise_text(value)).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def normalise_strings(values: pd.Series) -> pd.Series:
    """`normalise_text` over a column of strings, touching only cells that are not plain printable ASCII."""
    array = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    fixed = _normalise_array(array)
    if fixed is array:
        return values
    return pd.Series(fixed.to_pandas(), index=values.index, dtype=values.dtype)


def _normalise_array(array: pa.Array) -> pa.Array:
    plain = pc.ascii_is_printable(array)  # type: ignore[attr-defined]
    plain = pc.fill_null(plain, True)  # type: ignore[attr-defined]
    if pc.all(plain).as_py():  # type: ignore[attr-defined]
        return array
    values = array.to_numpy(zero_copy_only=False).astype(object)
    cache: dict[str, str] = {}
    for position in np.flatnonzero(~plain.to_numpy(zero_copy_only=False)):
        text = values[position]
        if text is None:
            continue
        if text not in cache:
            cache[text] = normalise_text(text)
        values[position] = cache[text]
    return pa.array(values, type=pa.string())


# --------------------------------------------------------------------------------------------- reading files


def read_file_bytes(path: Path | str, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (a bounded read: never a device, pipe, folder)."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InvalidOption(path, [Problem(None, None, "file not found")]) from None
    except OSError as error:
        raise ImportRejected(path, [_unreadable(error)]) from None
    if not stat.S_ISREG(info.st_mode):
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "a device, pipe or socket"
        raise ImportRejected(path, [Problem(None, None, f"this is not a regular file (it is {what})")])
    if info.st_size > limit:
        raise ImportRejected(path, [Problem(None, None, f"file is larger than {limit // 2**20} MB")])
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise ImportRejected(path, [_unreadable(error)]) from None
    if len(data) > limit:  # a special file that reports a small size
        raise ImportRejected(path, [Problem(None, None, f"file is larger than {limit // 2**20} MB")])
    return data


def _unreadable(error: OSError) -> Problem:
    return Problem(None, None, f"the file cannot be read: {error.strerror or error}")


_BOM = b"\xef\xbb\xbf"
_STRAY = re.compile("[\udc80-\udcff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")
_CP1252_UNDEFINED = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})


def _decode(path: Path, raw: bytes) -> tuple[bytes, str]:
    """Check the bytes are a text CSV; return them as UTF-8 (BOM removed, line breaks \\n or \\r\\n) and the
    encoding they were in, decided with evidence (see `_choose_encoding`)."""
    if not raw.strip():
        raise ImportRejected(path, [Problem(None, None, "the file is empty")])
    if raw[:4] == b"PK\x03\x04":
        raise ImportRejected(path, [Problem(None, None, "this is a ZIP/XLSX workbook, not a CSV file")])
    head = raw[:4096]
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or head.count(b"\x00") * 8 > len(head):
        reason = "wrong encoding: the file looks like UTF-16 or binary; save it as UTF-8 CSV"
        raise ImportRejected(path, [Problem(None, None, reason)])
    controls = sum(head.count(bytes([c])) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))
    if controls * 100 > len(head):
        reason = "this is a binary file, not a CSV file (it is full of control bytes)"
        raise ImportRejected(path, [Problem(None, None, reason)])
    if raw.startswith(_BOM + _BOM):
        reason = (
            "the file starts with two byte-order marks (the invisible character U+FEFF twice), a sign it was "
            "converted twice: open it and save it once as CSV UTF-8"
        )
        raise ImportRejected(path, [Problem(1, None, reason)])
    raw = raw.removeprefix(_BOM)
    if b"\r" in raw and b"\n" not in raw:  # classic Mac line endings (Excel's "CSV (Macintosh)")
        raw = raw.replace(b"\r", b"\n")
    data, encoding = _choose_encoding(path, raw)
    if b"\x00" in data:
        text = data.decode("utf-8")
        reason = "is a NUL character, which is never valid in text: remove it"
        _refuse_bytes(path, text, [m.start() for m in re.finditer("\x00", text)], reason)
    return data, encoding


def _choose_encoding(path: Path, raw: bytes) -> tuple[bytes, str]:
    """UTF-8 if the whole file is UTF-8. Otherwise the evidence decides: if none of the file's non-ASCII bytes
    forms a UTF-8 character it is Windows-1252 (Ofsted publishes its CSVs so); if as many characters decode as
    UTF-8 as bytes do not, it is a damaged UTF-8 file and is refused, naming each stray byte."""
    try:
        raw.decode("utf-8")
        return raw, "utf-8"
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8", "surrogateescape")
    stray = [m.start() for m in _STRAY.finditer(text)]
    utf8_chars = len(_NON_ASCII.findall(text)) - len(stray)
    if utf8_chars and utf8_chars >= len(stray):
        reason = (
            f"is not UTF-8, though the rest of the file is UTF-8 ({utf8_chars:,} characters): the file mixes "
            "encodings (often text pasted from another program); retype this value and save as CSV UTF-8"
        )
        _refuse_bytes(path, text, stray, reason)
    undefined = [offset for offset in stray if ord(text[offset]) - 0xDC00 in _CP1252_UNDEFINED]
    if undefined:
        _refuse_bytes(path, text, undefined, "is neither UTF-8 nor Windows-1252: save the file as CSV UTF-8")
    return raw.decode("cp1252").encode("utf-8"), "cp1252"


def _refuse_bytes(path: Path, text: str, offsets: list[int], reason: str) -> None:
    """Refuse the file naming the row (line), column and character position of each offending character."""
    header = _header_of(text)
    problems = []
    for offset in offsets[:MAX_BYTE_PROBLEMS]:
        line = text.count("\n", 0, offset) + 1
        start = text.rfind("\n", 0, offset) + 1
        code = ord(text[offset])
        what = f"byte 0x{code - 0xDC00 if 0xDC80 <= code <= 0xDCFF else code:02X}"
        column = _column_at(header, text[start:offset]) if line > 1 else None
        problems.append(
            Problem(line, column, f"{what} (character {offset - start + 1} of the line) {reason}".strip())
        )
    if len(offsets) > MAX_BYTE_PROBLEMS:
        problems.append(Problem(None, None, f"... and {len(offsets) - MAX_BYTE_PROBLEMS} more such bytes"))
    raise ImportRejected(path, problems)


def _header_of(text: str) -> list[str]:
    first = text[: MAX_HEADER_BYTES].split("\n", 1)[0].rstrip("\r")
    try:
        return [_STRAY.sub("?", h).strip() for h in next(csv.reader([first]), [])]
    except csv.Error:
        return []


def _column_at(header: list[str], line_prefix: str) -> str | None:
    """The header name of the field a line prefix ends in (records on one line; None when unknown)."""
    try:
        fields = next(csv.reader([line_prefix]), [""])
    except csv.Error:
        return None
    index = max(len(fields), 1) - 1
    return header[index] if index < len(header) and header[index] else None


def read_csv_strict(path: Path | str, required: Iterable[str]) -> pd.DataFrame:
    """Read a CSV into a frame of normalised strings, rejecting empty, binary, ragged, over-wide or incomplete
    files (see the module docstring for every check).

    The frame's index is the file row number of each record (header = row 1), blank lines skipped.
    """
    path = Path(path)
    report_progress("reading the file", 0.02)
    data, _encoding = _decode(path, read_file_bytes(path))
    header = _read_header(path, data)
    problems = _header_problems(header, required)
    if problems:
        raise ImportRejected(path, problems)
    block = _check_line_lengths(path, data, header)
    report_progress("reading the file", 0.1)
    table, skipped = _parse_csv(path, data, len(header), block)
    table = pa.table([_normalise_array(column) for column in table.columns], names=table.column_names)
    frame = table.to_pandas()
    frame.columns = header
    frame.index = _file_rows(len(frame), skipped)
    blank = _all_blank(table)
    if blank.any():
        frame = frame.loc[~blank]  # rows of empty fields only (e.g. a spreadsheet's footer)
    if frame.empty:
        raise ImportRejected(path, [Problem(None, None, "the file has a header but no data rows")])
    report_progress("checking every value", 0.25)
    return frame


def _read_header(path: Path, data: bytes) -> list[str]:
    """The header row's names, normalised; refuses a header wider than MAX_COLUMNS or longer than 1 MB."""
    prefix = data[:MAX_HEADER_BYTES].decode("utf-8", errors="ignore")
    complete = len(data) <= MAX_HEADER_BYTES or "\n" in prefix
    reader = csv.reader(io.StringIO(prefix, newline=""))
    try:
        header = next(reader, [])
    except csv.Error as error:
        raise ImportRejected(path, [Problem(1, None, f"the header row cannot be read: {error}")]) from None
    if len(header) > MAX_COLUMNS:
        count = f"{len(header):,}" if complete else f"more than {len(header) - 1:,}"
        reason = f"the file has {count} columns; at most {MAX_COLUMNS:,} are accepted"
        raise ImportRejected(path, [Problem(1, None, reason)])
    if not complete:
        reason = f"the header row is longer than {MAX_HEADER_BYTES // 2**20} MB"
        raise ImportRejected(path, [Problem(1, None, reason)])
    return [normalise_text(name) for name in header]


def _check_line_lengths(path: Path, data: bytes, header: list[str]) -> int:
    """Refuse any value longer than a spreadsheet cell (naming row and column); return a pyarrow block size
    larger than the longest line (so a long line is parsed, not reported as a parser's internal error)."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0x0A)
    starts = np.concatenate(([0], ends + 1))
    lengths = np.diff(np.concatenate((starts, [len(data)])))
    longest = int(lengths.max()) if lengths.size else len(data)
    problems = []
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FILE_BYTES)
    try:
        for line in np.flatnonzero(lengths > MAX_CELL_CHARS)[:MAX_BYTE_PROBLEMS]:
            text = data[starts[line] : starts[line] + lengths[line]].decode("utf-8", "replace")
            try:
                fields = next(csv.reader([text.rstrip("\r\n")]), [])
            except csv.Error:
                fields = [text]
            for index, value in enumerate(fields):
                if len(value) > MAX_CELL_CHARS:
                    column = header[index] if index < len(header) and line > 0 else None
                    problems.append(Problem(int(line) + 1, column, _too_long(len(value))))
    finally:
        csv.field_size_limit(limit)
    if problems:
        raise ImportRejected(path, problems)
    return max(1 << 20, 1 << (longest * 2).bit_length())


def _too_long(length: int) -> str:
    return (
        f"the value is {length:,} characters long; at most {MAX_CELL_CHARS:,} are accepted "
        "(the most a spreadsheet cell holds)"
    )


def _parse_csv(path: Path, data: bytes, width: int, block: int = 1 << 20) -> tuple[pa.Table, list[int]]:
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
                column_names=names, skip_rows=1, use_threads=False, block_size=block
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
        raise ImportRejected(path, [*problems, _malformed(data, error)]) from None
    if problems:
        raise ImportRejected(path, problems)
    trim = pc.utf8_trim_whitespace  # type: ignore[attr-defined]
    table = pa.table([trim(column) for column in table.columns], names=names)
    return table, sorted(n for n in blank_lines if n is not None)


def _malformed(data: bytes, error: Exception) -> Problem:
    """Where Python's csv module stops on the data pyarrow refused (row), in plain words."""
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline=""))
    try:
        for _row in reader:
            pass
    except csv.Error as failure:
        reason = str(failure)
        if "field larger than field limit" in reason:
            return Problem(reader.line_num, None, _too_long(MAX_CELL_CHARS + 1).replace(
                f"is {MAX_CELL_CHARS + 1:,} characters long", "is too long"))
        if "unexpected end of data" in reason:
            reason = "a quoted value is never closed (a \" is missing)"
        return Problem(reader.line_num, None, f"the file is not valid CSV here: {reason}")
    finally:
        csv.field_size_limit(limit)
    return Problem(None, None, f"the file is not valid CSV: {str(error).splitlines()[0]}")


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
    """Missing header, repeated names, names that differ only in case (ambiguous), missing required names."""
    problems = []
    if not any(header):
        return [Problem(1, None, "the header row is missing")]
    seen: dict[str, str] = {}
    for name in header:
        if not name:
            continue
        folded = name.casefold()
        if folded in seen:
            if seen[folded] == name:
                problems.append(Problem(1, name, "column appears twice in the header"))
            else:
                problems.append(Problem(1, name, (
                    f"columns '{seen[folded]}' and '{name}' differ only in case: it is ambiguous which one "
                    "to use; rename or remove one")))
        else:
            seen[folded] = name
    present = set(header)
    for name in required:
        if name not in present:
            near = seen.get(name.casefold())
            hint = f" (there is '{near}': column names must match exactly)" if near else ""
            problems.append(Problem(1, name, "required column is missing" + hint))
    return problems


# ------------------------------------------------------------------------------------------ reading XLSX


def read_workbook_strict(
    path: Path | str,
    sheet: str | int = 0,
    header_row: int = 0,
    *,
    duplicate_headers: Literal["refuse", "number"] = "refuse",
) -> pd.DataFrame:
    """Read an XLSX sheet as normalised strings after checking it is a real, macro-free workbook within the
    size, compression-ratio and shared-string limits (before any XML is parsed). Formula cells are refused.

    `header_row` is the 0-based sheet row of the header; the index is the sheet row number (1-based) of each
    record; blank rows are dropped. With `duplicate_headers="number"` a repeated name gets a suffix (.1, .2)
    instead of refusing the file (the DfE neighbours file repeats 'SNP' after each 'SNn').
    """
    path = Path(path)
    read_file_bytes(path, limit=MAX_FILE_BYTES)  # regular file, size
    if path.suffix.lower() in {".xlsm", ".xltm"}:
        raise ImportRejected(path, [Problem(None, None, "macro-enabled workbooks are not accepted")])
    if not zipfile.is_zipfile(path):
        raise ImportRejected(path, [Problem(None, None, "not an XLSX workbook (it is not a ZIP archive)")])
    report_progress("checking the workbook", 0.02)
    _check_archive(path)
    import defusedxml  # noqa: F401  (openpyxl uses it, when installed, against XML bombs)
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for broken parts
        raise ImportRejected(path, [Problem(None, None, f"the workbook cannot be read: {error}")]) from None
    try:
        worksheet = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
        worksheet.reset_dimensions()  # never trust the declared size (A1:XFD1048576 would fill every row)
        report_progress("reading the workbook", 0.05)
        header, rows, numbers = _sheet_rows(path, worksheet, header_row, duplicate_headers)
    except (IndexError, KeyError):
        raise ImportRejected(path, [Problem(None, None, f"the workbook has no sheet {sheet!r}")]) from None
    finally:
        book.close()
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(numbers, dtype="int64"), dtype=object)
    frame = frame.astype("str")
    frame = frame.loc[~(frame == "").all(axis=1)]
    report_progress("checking every value", 0.25)
    return frame


def _check_archive(path: Path) -> None:
    """Workbook parts present, no macros, inflated size, per-part compression ratio and shared strings within
    limits: all from the ZIP directory and a streamed count, before openpyxl parses anything."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = [info.filename for info in infos]
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                reason = "not an XLSX workbook (no workbook parts inside)"
                raise ImportRejected(path, [Problem(None, None, reason)])
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise ImportRejected(path, [Problem(None, None, "macro-enabled workbooks are not accepted")])
            if len(infos) > MAX_XLSX_PARTS:
                reason = f"the workbook has {len(infos):,} parts; at most {MAX_XLSX_PARTS:,} are accepted"
                raise ImportRejected(path, [Problem(None, None, reason)])
            inflated = sum(info.file_size for info in infos)
            if inflated > MAX_XLSX_INFLATED_BYTES:
                reason = (
                    f"the workbook expands to {inflated / 2**20:,.0f} MB; at most "
                    f"{MAX_XLSX_INFLATED_BYTES // 2**20} MB are accepted (save a smaller file, or a CSV)"
                )
                raise ImportRejected(path, [Problem(None, None, reason)])
            for info in infos:
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > (1 << 20) and ratio > MAX_XLSX_RATIO:
                    reason = (
                        f"part '{info.filename}' expands {ratio:,.0f} times (a ZIP bomb?); at most "
                        f"{MAX_XLSX_RATIO} times is accepted"
                    )
                    raise ImportRejected(path, [Problem(None, None, reason)])
            shared = next((i for i in infos if i.filename.lower() == "xl/sharedstrings.xml"), None)
            if shared is not None:
                count = _count_shared_strings(archive, shared)
                if count > MAX_XLSX_SHARED_STRINGS:
                    reason = (
                        f"the workbook has {count:,} distinct texts (shared strings); at most "
                        f"{MAX_XLSX_SHARED_STRINGS:,} are accepted"
                    )
                    raise ImportRejected(path, [Problem(None, None, reason)])
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        reason = f"the workbook is damaged: {detail}"
        raise ImportRejected(path, [Problem(None, None, reason)]) from None


def _count_shared_strings(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Count `<si>` elements by streaming the part (its declared count may lie)."""
    count, tail = 0, b""
    with archive.open(info) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            chunk = tail + block
            count += chunk.count(b"<si>") + chunk.count(b"<si ")
            tail = chunk[-3:]
            count -= tail.count(b"<si>") + tail.count(b"<si ")  # counted again with the next block
        count += tail.count(b"<si>") + tail.count(b"<si ")
    return count


class _MaybeFormula(Exception):
    """A value that reads as a formula ('=...'): read the sheet again with cell types to tell."""


def _sheet_rows(
    path: Path, worksheet: Any, header_row: int, duplicate_headers: str
) -> tuple[list[str], list[list[str]], list[int]]:
    """Header names and the rows below it as normalised strings (cells beyond the header's width are left
    out), with their sheet row numbers; refuses formula cells and sheets beyond the cell limit.

    Values only (fast) unless a value starts with '=': openpyxl gives a formula as '=...', and only the
    cell's type tells it from a text that starts with '=', so such a sheet is read again cell by cell."""
    try:
        return _read_rows(path, worksheet, header_row, duplicate_headers, values_only=True)
    except _MaybeFormula:
        return _read_rows(path, worksheet, header_row, duplicate_headers, values_only=False)


def _read_rows(
    path: Path, worksheet: Any, header_row: int, duplicate_headers: str, *, values_only: bool
) -> tuple[list[str], list[list[str]], list[int]]:
    header: list[str] = []
    rows: list[list[str]] = []
    numbers: list[int] = []
    problems: list[Problem] = []
    cells = 0
    cache: dict[Any, str] = {}
    for number, row in enumerate(worksheet.iter_rows(values_only=values_only), start=1):
        cells += len(row)
        if cells > MAX_XLSX_CELLS:
            reason = f"the sheet has more than {MAX_XLSX_CELLS:,} cells; save a smaller file, or a CSV"
            raise ImportRejected(path, [Problem(number, None, reason)])
        if number <= header_row:
            continue
        if values_only:
            if any(isinstance(v, str) and v.startswith("=") for v in row):
                raise _MaybeFormula
            cells_of_row = row
        else:
            cells_of_row = [cell.value for cell in row]
        if number == header_row + 1:
            header = _workbook_header(path, cells_of_row, duplicate_headers, header_row + 1)
            continue
        values = []
        for index, value in enumerate(cells_of_row[: len(header)]):
            if not values_only and getattr(row[index], "data_type", None) == "f":
                problems.append(Problem(number, header[index] or None, (
                    f"the cell holds a formula ({_shown(value, 40)}), not a value: paste the sheet as values "
                    "only and save again")))
                values.append("")
                continue
            values.append(_cell_text(value, cache))
        values += [""] * (len(header) - len(values))
        rows.append(values)
        numbers.append(number)
        if len(problems) > 1000:
            break
    if not header:
        raise ImportRejected(path, [Problem(header_row + 1, None, "the header row is missing")])
    if problems:
        raise ImportRejected(path, problems)
    return header, rows, numbers


def _workbook_header(path: Path, row: Sequence[Any], duplicate_headers: str, number: int) -> list[str]:
    names = [normalise_text(str(value)) if value is not None else "" for value in row]
    while names and not names[-1]:
        names.pop()
    if len(names) > MAX_COLUMNS:
        reason = f"the sheet has {len(names):,} columns; at most {MAX_COLUMNS:,} are accepted"
        raise ImportRejected(path, [Problem(number, None, reason)])
    if duplicate_headers == "number":
        seen: dict[str, int] = {}
        for index, name in enumerate(names):
            if name in seen:
                seen[name] += 1
                names[index] = f"{name}.{seen[name]}"
            else:
                seen[name] = 0
    problems = [
        Problem(number if p.row == 1 else p.row, p.column, p.reason) for p in _header_problems(names, [])
    ]
    if problems:
        raise ImportRejected(path, problems)
    return names


def _cell_text(value: Any, cache: dict[Any, str]) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        if value not in cache:
            cache[value] = normalise_text(value)
        return cache[value]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------------------------------- plausible ranges


@dataclass(frozen=True)
class Plausible:
    """The plausible values of one field, declared by each importer for each column it parses.

    Numbers: `low` <= value <= `high`. Dates: `low` <= date <= `high`, and at most `days_ahead` days after the
    import day (0 = never in the future; None = no limit from today). Text: at most `max_length` characters.
    `note` says why, in the refusal ('URNs have six digits').
    """

    low: float | date | None = None
    high: float | date | None = None
    days_ahead: int | None = 0
    max_length: int | None = None
    note: str = ""

    def latest(self, today: date) -> date | None:
        """The latest plausible date (the earlier of `high` and today + `days_ahead`)."""
        limits = [d for d in (self.high,) if isinstance(d, date)]
        if self.days_ahead is not None:
            limits.append(today + timedelta(days=self.days_ahead))
        return min(limits) if limits else None


# Ranges shared by several importers (an importer may declare its own).
URN = Plausible(100_000, 999_999, note="URNs have six digits")
LAESTAB = Plausible(1_000_000, 9_999_999, note="LAESTAB is the three-digit LA number and a four-digit number")
LA_CODE = Plausible(100, 999, note="DfE LA numbers have three digits")
TRUST_UID = Plausible(1, 99_999_999, note="GIAS group UIDs")
PUPILS = Plausible(0, 10_000, note="the largest school in England has about 3,500 pupils")
PERCENT = Plausible(0, 100, note="a percentage")
SMALL_COUNT = Plausible(0, 100, note="events for one school")
INSPECTION_DATE = Plausible(date(1993, 9, 1), note="Ofsted began inspecting schools in September 1993")
PUBLICATION_DATE = INSPECTION_DATE
OPEN_DATE = Plausible(date(1800, 1, 1), note="opening date of a school")
NAME = Plausible(max_length=MAX_TEXT_CHARS)
#: When an importer declares nothing (`ColumnParser(frame)`): what both databases can store, nothing later
#: than today. Importers in this package all declare their ranges.
STORAGE_INTEGER = Plausible(-(2**31), 2**31 - 1, note="a 32-bit whole number, as the database stores it")
STORAGE_NUMBER = Plausible(-1e15, 1e15, note="a number the database stores exactly")
STORAGE_DATE = Plausible(date(1800, 1, 1), note="a date")


def academic_years(today: date | None = None) -> Plausible:
    """Academic years (the calendar year they end in) from 1990 to the one in progress next September."""
    return Plausible(1990, (today or date.today()).year + 1, note="academic years 1989/90 to next year")


def _number_text(value: float | date | None) -> str:
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if value is None:
        return ""
    return f"{value:,}" if float(value).is_integer() and abs(value) >= 10_000 else f"{value:g}"


def _range_reason(bounds: Plausible, *, negative: bool) -> str:
    span = f"{_number_text(bounds.low)} to {_number_text(bounds.high)}"
    if bounds.low is None:
        span = f"at most {_number_text(bounds.high)}"
    elif bounds.high is None:
        span = f"at least {_number_text(bounds.low)}"
    why = f" ({bounds.note})" if bounds.note else ""
    lead = "'{value}' is negative" if negative else "'{value}' is outside the plausible range"
    return f"{lead}: expected {span}{why}"


# ------------------------------------------------------------------------------------------ parsing columns

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class ColumnParser:
    """Parses columns of one frame, collecting problems instead of stopping at the first.

    `ranges` maps each published column name the importer parses as a number or date to its `Plausible`
    range (a text column may declare a `max_length`). With `ranges`, a number or date column without a
    declared range is a programming error (`UndeclaredRange`); without `ranges` the storage limits apply.
    """

    def __init__(
        self, frame: pd.DataFrame, ranges: Mapping[str, Plausible] | None = None, *, today: date | None = None
    ):
        self.frame = frame
        self.ranges = ranges
        self.today = today or date.today()
        self.problems: list[Problem] = []

    @property
    def frame(self) -> pd.DataFrame:
        return self._frame

    @frame.setter
    def frame(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        self._factors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._blanks: dict[str, pd.Series] = {}

    def bounds(self, column: str, default: Plausible) -> Plausible:
        """The declared range of a column (the storage default when the importer declares no ranges)."""
        if self.ranges is None:
            return default
        try:
            return self.ranges[column]
        except KeyError:
            raise UndeclaredRange(f"no plausible range declared for column '{column}'") from None

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
            self.problems.append(Problem(int(row), column, reason.format(value=_shown(value))))

    def blank(self, column: str) -> pd.Series:
        if column not in self._blanks:
            self._blanks[column] = self.frame[column].isin(BLANK_SPELLINGS)
        return self._blanks[column]

    def _check_length(self, column: str) -> None:
        declared = self.ranges.get(column) if self.ranges is not None else None
        limit = declared.max_length if declared is not None and declared.max_length else MAX_TEXT_CHARS
        codes, uniques = self.factors(column)
        long = np.array([len(u) > limit for u in uniques] + [False], dtype=bool)[codes]
        if long.any():
            for row, value in self.frame.loc[long, column].items():
                reason = f"the text is {len(value):,} characters long; at most {limit:,} are accepted"
                self.problems.append(Problem(int(row), column, f"'{_shown(value)}': {reason}"))

    def text(self, column: str) -> pd.Series:
        self._check_length(column)
        values = self.frame[column]
        return values.where(~self.blank(column), None)

    def required_text(self, column: str) -> pd.Series:
        self._check_length(column)
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
        """Whole numbers as nullable Int64 within the column's plausible range; blanks (and suppression codes
        if allowed) become missing. A value too large for any database is reported, never converted."""
        bounds = self.bounds(column, STORAGE_INTEGER)
        if minimum is not None and not (isinstance(bounds.low, int | float) and bounds.low >= minimum):
            bounds = Plausible(minimum, bounds.high, note=bounds.note)
        raw = self.frame[column]
        missing = self.blank(column)
        if allow_suppressed:
            missing = missing | raw.str.lower().isin(SUPPRESSION_CODES)
        numbers = _plain_integers(raw, missing)
        if numbers is None:  # something is not a plain 64-bit integer: the slower path finds and reports it
            numbers = self._integers_by_value(column, missing, bounds)
        else:
            self._flag_outside(column, numbers, bounds)
            numbers = numbers.where(~_outside(numbers, bounds))
        if required:
            self._flag(column, missing, "a value is required")
        return numbers.astype("Int64")

    def _integers_by_value(self, column: str, missing: pd.Series, bounds: Plausible) -> pd.Series:
        """Parse each distinct value in Python (arbitrary precision, so a 30-digit URN is reported as out of
        range rather than overflowing); problems for values that are not whole numbers or out of range."""
        codes, uniques = self.factors(column)
        parsed: list[int | None] = []
        status: list[str] = []
        for text in uniques:
            value = _whole_number(str(text))
            if value is None:
                parsed.append(None)
                status.append("not whole")
            elif _is_outside(value, bounds):
                parsed.append(None)
                status.append("negative" if value < 0 and bounds.low == 0 else "outside")
            else:
                parsed.append(value)
                status.append("ok")
        kinds = pd.Series(np.array([*status, "ok"], dtype=object)[codes], index=self.frame.index)
        kinds = kinds.where(~missing, "ok")
        self._flag(column, kinds == "not whole", "'{value}' is not a whole number")
        self._flag(column, kinds == "negative", _range_reason(bounds, negative=True))
        self._flag(column, kinds == "outside", _range_reason(bounds, negative=False))
        values = np.array([*parsed, None], dtype=object)[codes]
        values[missing.to_numpy(dtype=bool)] = None
        return pd.Series(pd.array(values, dtype="Int64"), index=self.frame.index)

    def _flag_outside(self, column: str, values: pd.Series, bounds: Plausible) -> None:
        outside = _outside(values, bounds)
        if not outside.any():
            return
        negative = outside & (values < 0).fillna(False) if bounds.low == 0 else outside & False
        self._flag(column, negative, _range_reason(bounds, negative=True))
        self._flag(column, outside & ~negative, _range_reason(bounds, negative=False))

    def number(self, column: str, *, allow_suppressed: bool = True) -> tuple[pd.Series, pd.Series]:
        """Decimal numbers within the column's plausible range (a trailing % is dropped; infinities and
        values out of range are problems). Returns (values, suppressed flags)."""
        bounds = self.bounds(column, STORAGE_NUMBER)
        raw = self.frame[column]
        missing = self.blank(column)
        suppressed = (
            raw.str.lower().isin(SUPPRESSION_CODES) if allow_suppressed else pd.Series(False, index=raw.index)
        )
        cleaned = raw.str.removesuffix("%").str.replace(",", "", regex=False)
        numbers = pd.to_numeric(cleaned.where(~(missing | suppressed), None), errors="coerce")
        numbers = numbers.astype("float64")
        bad = ~(missing | suppressed) & ~np.isfinite(numbers.fillna(np.nan))
        self._flag(column, bad, "'{value}' is not a number or a known suppression code")
        numbers = numbers.where(~bad)
        self._flag_outside(column, numbers, bounds)
        numbers = numbers.where(~_outside(numbers, bounds))
        return numbers.astype("Float64"), suppressed

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
        """Dates in `fmt` within the column's plausible range (never after today unless declared)."""
        bounds = self.bounds(column, STORAGE_DATE)
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
        why = f": {bounds.note}" if bounds.note else ""
        if isinstance(bounds.low, date):
            early = parsed.notna() & (parsed < pd.Timestamp(bounds.low))
            before = f"{bounds.low:%d/%m/%Y}{why})"
            self._flag(column, early, "'{value}' is implausibly early (before " + before)
        latest = bounds.latest(self.today)
        if latest is not None:
            late = parsed.notna() & (parsed > pd.Timestamp(latest))
            if latest <= self.today:
                reason = "'{value}' is in the future (today is " + f"{self.today:%d/%m/%Y})"
                if latest < self.today:
                    reason = "'{value}' is implausibly late (after " + f"{latest:%d/%m/%Y}{why})"
            else:
                reason = "'{value}' is too far in the future (after " + f"{latest:%d/%m/%Y}{why})"
            self._flag(column, late, reason)
            parsed = parsed.where(~late)
        as_dates = np.array([*unique_dates.dt.date.where(unique_dates.notna(), None), None], dtype=object)
        out = pd.Series(as_dates[codes], index=raw.index, dtype=object)  # codes -1 -> the trailing None
        return out.where(parsed.notna(), None)

    def not_before(self, later: pd.Series, earlier: pd.Series, column: str, reason: str) -> None:
        """Cross-field check: `later` (a date column parsed from `column`) must not precede `earlier`."""
        both = later.notna() & earlier.notna()
        wrong = pd.Series(False, index=later.index)
        wrong[both] = pd.to_datetime(later[both]) < pd.to_datetime(earlier[both])
        for row in wrong[wrong].index:
            self.problems.append(Problem(int(row), column, reason.format(
                value=f"{later[row]:%d/%m/%Y}", other=f"{earlier[row]:%d/%m/%Y}")))

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
        """Every repeated key (rows with a blank key part are left to the required checks), naming the first
        row with the same key: one pass over the rows (factorised keys), whatever the number of duplicates."""
        keys = self.frame[columns]
        codes: np.ndarray
        if len(columns) == 1:
            codes = pd.factorize(keys.iloc[:, 0])[0]
        else:
            codes = keys.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()
        blank = (keys == "").any(axis=1).to_numpy()
        repeated = pd.Series(codes).duplicated(keep="first").to_numpy() & ~blank
        if not repeated.any():
            return
        distinct, first_positions = np.unique(codes, return_index=True)
        first_of = np.zeros(int(codes.max()) + 1, dtype=np.int64)
        first_of[distinct] = first_positions
        rows = keys.index.to_numpy()
        values = keys.to_numpy(dtype=object)
        joined = ", ".join(columns)
        for position in np.flatnonzero(repeated):
            key = "/".join(str(v) for v in values[position])
            first = rows[first_of[codes[position]]]
            reason = f"duplicate {label} '{_shown(key)}' (first at row {first})"
            self.problems.append(Problem(int(rows[position]), joined, reason))

    def raise_if_problems(self, path: Path) -> None:
        if self.problems:
            self.problems.sort(key=lambda p: (p.row or 0, p.column or ""))
            raise ImportRejected(path, self.problems)


def _shown(value: object, limit: int = 60) -> str:
    """A cell as quoted in a message: at most `limit` characters."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _whole_number(text: str) -> int | None:
    """A whole number of any size from '123', '+123', '123.0' or '1.23e2'; None if it is not one."""
    if not _DECIMAL.fullmatch(text):
        return None
    if text.lstrip("+-").isdigit():
        return int(text)
    number = float(text)
    return int(number) if math.isfinite(number) and number.is_integer() else None


def _is_outside(value: int | float, bounds: Plausible) -> bool:
    low, high = bounds.low, bounds.high
    return bool(
        (low is not None and not isinstance(low, date) and value < low)
        or (high is not None and not isinstance(high, date) and value > high)
    )


def _outside(values: pd.Series, bounds: Plausible) -> pd.Series:
    outside = pd.Series(False, index=values.index)
    if bounds.low is not None and not isinstance(bounds.low, date):
        outside |= (values < bounds.low).fillna(False).astype(bool)
    if bounds.high is not None and not isinstance(bounds.high, date):
        outside |= (values > bounds.high).fillna(False).astype(bool)
    return outside


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
    sql = str(compiled)
    for start in range(0, len(params), UPSERT_CHUNK):
        connection.exec_driver_sql(sql, params[start : start + UPSERT_CHUNK])
        done = min(start + UPSERT_CHUNK, len(params))
        report_progress(f"writing {table.name}: {done:,} of {len(params):,} rows")


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
