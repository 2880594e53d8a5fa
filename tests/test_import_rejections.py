"""Hostile files are rejected with file, row, column and reason, and change nothing, on both backends.

Every hostile file is derived in tmp_path from a real slice cut by scripts/cut_slices.py. The store is
loaded with the valid slices first, so "nothing changed" is checked against a non-empty database.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine
from store_checks import HISTORY_SLICE, MI_OUTCOMES_SLICE, OFSTED_SLICE, snapshot

from analytics.ingest import ofsted_history, ofsted_outcomes
from analytics.ingest.common import ImportRejected, read_workbook_strict

TARGET = 5  # records are edited at this 0-based index: file row 7 (header is row 1)
TARGET_ROW = TARGET + 2


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def edited(source: Path, tmp: Path, column: str, value: str, *, name: str | None = None) -> Path:
    rows = read_rows(source)
    rows[TARGET + 1][rows[0].index(column)] = value
    return write_rows(tmp / (name or source.name), rows)


def _xlsx_from(source: Path, target: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in read_rows(source)[:20]:
        sheet.append(row)
    book.save(target)
    return target


@dataclass(frozen=True)
class Hostile:
    """One kind of bad input: how to make it, which importer reads it, and what the message must name."""

    make: Callable[[Path], Path]
    load: Callable[[Engine, Path], object]
    reason: str
    row: int | None = None
    column: str | None = None


def outcomes(engine: Engine, path: Path) -> object:
    return ofsted_outcomes.import_file(engine, path)


def history(engine: Engine, path: Path) -> object:
    return ofsted_history.import_file(engine, path)


def workbook(_engine: Engine, path: Path) -> object:
    return read_workbook_strict(path)


def _drop_column(tmp: Path) -> Path:
    rows = read_rows(OFSTED_SLICE)
    at = rows[0].index("Overall effectiveness")
    return write_rows(tmp / OFSTED_SLICE.name, [r[:at] + r[at + 1 :] for r in rows])


def _duplicate_urn(tmp: Path) -> Path:
    rows = read_rows(OFSTED_SLICE)
    rows.insert(TARGET + 1, list(rows[2]))  # a copy of record 2 (file row 3) lands at file row 7
    return write_rows(tmp / OFSTED_SLICE.name, rows)


def _utf16(tmp: Path) -> Path:
    return write_rows(tmp / OFSTED_SLICE.name, read_rows(OFSTED_SLICE), encoding="utf-16")


def _empty(tmp: Path) -> Path:
    path = tmp / OFSTED_SLICE.name
    path.write_bytes(b"")
    return path


def _blank_lines_only(tmp: Path) -> Path:
    path = tmp / OFSTED_SLICE.name
    path.write_bytes(b"\n\r\n  \n")
    return path


def _header_only(tmp: Path) -> Path:
    return write_rows(tmp / OFSTED_SLICE.name, read_rows(OFSTED_SLICE)[:1])


def _xlsx_as_csv(tmp: Path) -> Path:
    return _xlsx_from(OFSTED_SLICE, tmp / OFSTED_SLICE.name)


def _zip_as_csv(tmp: Path) -> Path:
    path = tmp / OFSTED_SLICE.name
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(OFSTED_SLICE, OFSTED_SLICE.name)
    return path


def _text_renamed_xlsx(tmp: Path) -> Path:
    path = tmp / "districts.xlsx"
    path.write_bytes(OFSTED_SLICE.read_bytes())
    return path


def _zip_without_workbook(tmp: Path) -> Path:
    path = tmp / "districts.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(OFSTED_SLICE, "data.csv")
    return path


def _macro_suffix(tmp: Path) -> Path:
    return _xlsx_from(OFSTED_SLICE, tmp / "districts.xlsm")


def _macro_inside(tmp: Path) -> Path:
    path = _xlsx_from(OFSTED_SLICE, tmp / "districts.xlsx")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really VBA")
    return path


def _ragged_long(tmp: Path) -> Path:
    rows = read_rows(OFSTED_SLICE)
    rows[TARGET + 1].append("surplus")
    return write_rows(tmp / OFSTED_SLICE.name, rows)


def _ragged_short(tmp: Path) -> Path:
    rows = read_rows(OFSTED_SLICE)
    rows[TARGET + 1] = rows[TARGET + 1][:-3]
    return write_rows(tmp / OFSTED_SLICE.name, rows)


def _duplicate_header(tmp: Path) -> Path:
    rows = read_rows(OFSTED_SLICE)
    rows[0][rows[0].index("Postcode")] = "Region"
    return write_rows(tmp / OFSTED_SLICE.name, rows)


def _no_start_date(tmp: Path) -> Path:
    rows = read_rows(OFSTED_SLICE)
    header = rows[0]
    record = next(
        i for i, r in enumerate(rows) if i > TARGET and r[header.index("Previous inspection number")]
    )
    rows[record][header.index("Previous inspection start date")] = ""
    rows.insert(TARGET + 1, rows.pop(record))
    return write_rows(tmp / OFSTED_SLICE.name, rows)


def _garbage(tmp: Path) -> Path:
    path = tmp / OFSTED_SLICE.name
    path.write_bytes(random.Random(2).randbytes(50_000))  # noqa: S311
    return path


def _garbage_without_nuls(tmp: Path) -> Path:
    path = tmp / OFSTED_SLICE.name
    data = bytes(b for b in random.Random(3).randbytes(50_000) if b)  # noqa: S311
    path.write_bytes(data)
    return path


def _history_conflict(tmp: Path) -> Path:
    rows = read_rows(HISTORY_SLICE)
    clash = list(rows[2])
    clash[1] = "Inadequate" if clash[1] != "Inadequate" else "Good"
    rows.insert(TARGET + 1, clash)
    return write_rows(tmp / HISTORY_SLICE.name, rows)


def _history_missing_column(tmp: Path) -> Path:
    return write_rows(tmp / HISTORY_SLICE.name, [r[:2] for r in read_rows(HISTORY_SLICE)])


OS, HS = OFSTED_SLICE, HISTORY_SLICE
OVERALL, START, PUPILS = "Overall effectiveness", "Inspection start date", "Total number of pupils"
HOSTILE: dict[str, Hostile] = {
    "missing column": Hostile(_drop_column, outcomes, "required column is missing", 1, OVERALL),
    "bad date 31/02/2024": Hostile(
        lambda t: edited(OS, t, START, "31/02/2024"),
        outcomes,
        "not a valid dd/mm/yyyy date",
        TARGET_ROW,
        START,
    ),
    "US-style date": Hostile(
        lambda t: edited(OS, t, START, "2024-03-12"),
        outcomes,
        "not a valid dd/mm/yyyy date",
        TARGET_ROW,
        START,
    ),
    "implausible date": Hostile(
        lambda t: edited(OS, t, START, "01/01/1800"), outcomes, "implausibly early", TARGET_ROW, START
    ),
    "unknown grade code": Hostile(
        lambda t: edited(OS, t, OVERALL, "5"), outcomes, "unknown code '5'", TARGET_ROW, OVERALL
    ),
    "unknown category": Hostile(
        lambda t: edited(OS, t, "Category of concern", "XX"),
        outcomes,
        "unknown code 'XX'",
        TARGET_ROW,
        "Category of concern",
    ),
    "unknown safeguarding": Hostile(
        lambda t: edited(OS, t, "Safeguarding is effective?", "Maybe"),
        outcomes,
        "unknown code 'Maybe'",
        TARGET_ROW,
        "Safeguarding is effective?",
    ),
    "duplicate URN": Hostile(_duplicate_urn, outcomes, "duplicate URN", TARGET_ROW, "URN"),
    "UTF-16 encoding": Hostile(_utf16, outcomes, "wrong encoding"),
    "empty file": Hostile(_empty, outcomes, "the file is empty"),
    "blank lines only": Hostile(_blank_lines_only, outcomes, "the file is empty"),
    "header only": Hostile(_header_only, outcomes, "no data rows"),
    "XLSX given as CSV": Hostile(_xlsx_as_csv, outcomes, "not a CSV file"),
    "ZIP given as CSV": Hostile(_zip_as_csv, outcomes, "not a CSV file"),
    "text renamed .xlsx": Hostile(_text_renamed_xlsx, workbook, "not an XLSX workbook"),
    "zip without workbook parts": Hostile(_zip_without_workbook, workbook, "no workbook parts"),
    "macro-enabled suffix": Hostile(_macro_suffix, workbook, "macro-enabled"),
    "macro inside .xlsx": Hostile(_macro_inside, workbook, "macro-enabled"),
    "ragged row, too many fields": Hostile(_ragged_long, outcomes, "fields", TARGET_ROW),
    "ragged row, too few fields": Hostile(_ragged_short, outcomes, "fields", TARGET_ROW),
    "non-numeric URN": Hostile(
        lambda t: edited(OS, t, "URN", "10O123"), outcomes, "not a whole number", TARGET_ROW, "URN"
    ),
    "blank URN": Hostile(
        lambda t: edited(OS, t, "URN", ""), outcomes, "a value is required", TARGET_ROW, "URN"
    ),
    "fractional pupils": Hostile(
        lambda t: edited(OS, t, PUPILS, "212.5"), outcomes, "not a whole number", TARGET_ROW, PUPILS
    ),
    "negative pupils": Hostile(
        lambda t: edited(OS, t, PUPILS, "-212"), outcomes, "negative", TARGET_ROW, PUPILS
    ),
    "inspection number without start date": Hostile(
        _no_start_date, outcomes, "no start date", TARGET_ROW, "Previous inspection start date"
    ),
    "duplicate header column": Hostile(_duplicate_header, outcomes, "appears twice", 1, "Region"),
    "binary garbage": Hostile(_garbage, outcomes, "binary"),
    "binary garbage without NULs": Hostile(_garbage_without_nuls, outcomes, "rejected"),
    "history bad date": Hostile(
        lambda t: edited(HS, t, "Inspection Date", "20190231"),
        history,
        "not a valid yyyymmdd date",
        TARGET_ROW,
        "Inspection Date",
    ),
    "history unknown rating": Hostile(
        lambda t: edited(HS, t, "Rating", "Excellent"),
        history,
        "unknown code 'Excellent'",
        TARGET_ROW,
        "Rating",
    ),
    "history conflicting duplicate": Hostile(_history_conflict, history, "conflicting", TARGET_ROW),
    "history missing column": Hostile(
        _history_missing_column, history, "required column is missing", 1, "Inspection Date"
    ),
}


@pytest.fixture
def loaded_store(empty_store: Engine) -> Engine:
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    ofsted_history.import_file(empty_store, HISTORY_SLICE)
    return empty_store


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_file_is_rejected_and_changes_nothing(
    kind: str, loaded_store: Engine, tmp_path: Path
) -> None:
    hostile = HOSTILE[kind]
    path = hostile.make(tmp_path)
    before = snapshot(loaded_store)
    with pytest.raises(ImportRejected) as caught:
        hostile.load(loaded_store, path)
    message = str(caught.value)
    assert path.name in message, message
    assert hostile.reason in message, message
    if hostile.row is not None:
        assert f"row {hostile.row}" in message, message
        assert any(p.row == hostile.row for p in caught.value.problems)
    if hostile.column is not None:
        assert f"column '{hostile.column}'" in message, message
        assert any(p.column == hostile.column for p in caught.value.problems)
    report = caught.value.report()
    assert list(report.columns) == ["file", "row", "column", "reason"] and len(report) >= 1
    assert snapshot(loaded_store) == before, "a rejected file changed the store"


def test_every_problem_is_reported_not_only_the_first(tmp_path: Path) -> None:
    rows = read_rows(OFSTED_SLICE)
    header = rows[0]
    rows[3][header.index(START)] = "31/02/2024"
    rows[9][header.index(OVERALL)] = "7"
    rows[12][header.index(PUPILS)] = "1.5"
    path = write_rows(tmp_path / OFSTED_SLICE.name, rows)
    with pytest.raises(ImportRejected) as caught:
        ofsted_outcomes.parse(path)
    found = {(p.row, p.column) for p in caught.value.problems}
    assert {(4, START), (10, OVERALL), (13, PUPILS)} <= found


# ---------------------------------------------------------------------------------------- the valid slices


def independent_counts() -> tuple[int, int]:
    """(schools, inspections) the outcomes slice must give, from the csv module alone."""
    rows = list(csv.DictReader(io.StringIO(OFSTED_SLICE.read_text(encoding="utf-8"))))
    current = {r["URN"] for r in rows}
    at_the_time = {
        r[f"URN at time of {which}"]
        for r in rows
        for which in ("latest graded inspection", "previous graded inspection", "the ungraded inspection")
        if r[f"URN at time of {which}"]
    }
    numbers = {
        r[c]
        for r in rows
        for c in (
            "Inspection number of latest graded inspection",
            "Previous inspection number",
            "Latest ungraded inspection number since last graded inspection",
        )
        if r[c]
    }
    return len(current | at_the_time), len(numbers)


def test_valid_slice_imports_with_independent_counts(empty_store: Engine) -> None:
    schools, inspections = independent_counts()
    result = ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    counts = {name: count for name, (count, _) in snapshot(empty_store).items()}
    assert counts["school"] == schools
    assert counts["inspection"] == inspections
    assert counts["import_log"] == 1
    assert result.rows_read == len(read_rows(OFSTED_SLICE)) - 1
    assert result.rows_inserted == schools + inspections


def test_valid_history_slice_imports_with_independent_counts(empty_store: Engine) -> None:
    rows = read_rows(HISTORY_SLICE)[1:]
    distinct = {(urn, day) for urn, _rating, day in rows}
    ofsted_history.import_file(empty_store, HISTORY_SLICE)
    counts = {name: count for name, (count, _) in snapshot(empty_store).items()}
    assert counts["inspection"] == len(distinct)
    assert counts["school"] == 0  # the history names no schools; it never invents them


def test_cut_slices_script_reproduces_the_committed_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "cut_slices", OFSTED_SLICE.parents[2] / "scripts" / "cut_slices.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OFSTED_SLICE", tmp_path / OFSTED_SLICE.name)
    monkeypatch.setattr(module, "HISTORY_SLICE", tmp_path / HISTORY_SLICE.name)
    monkeypatch.setattr(module, "MI_OUTCOMES_SLICE", tmp_path / MI_OUTCOMES_SLICE.name)
    monkeypatch.setattr(module, "OUT", tmp_path)
    monkeypatch.setattr(module, "ROOT", tmp_path.parent)
    module.cut_history(module.cut_ofsted())
    module.cut_ofsted_for_mi_sample()
    assert (tmp_path / OFSTED_SLICE.name).read_bytes() == OFSTED_SLICE.read_bytes()
    assert (tmp_path / HISTORY_SLICE.name).read_bytes() == HISTORY_SLICE.read_bytes()
    assert (tmp_path / MI_OUTCOMES_SLICE.name).read_bytes() == MI_OUTCOMES_SLICE.read_bytes()
