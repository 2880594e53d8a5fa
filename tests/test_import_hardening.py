"""Issue 12: imports refuse the implausible, never corrupt, never crash; on SQLite and PostgreSQL alike.

One test per class of failure, each hostile file derived in tmp_path from the real slices (`tests/data/`, cut
by `scripts/cut_slices.py`) or from the first lines of a bundled real file. Every refusal must name the file,
the row and column where there is one, and the reason; the store (loaded with the real slices first) must be
unchanged afterwards.
"""

from __future__ import annotations

import csv
import io
import os
import random
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result
from sqlalchemy import Engine, event, select
from store_checks import HISTORY_SLICE, OFSTED_SLICE, snapshot
from typer.testing import CliRunner

from analytics.ingest import (
    common,
    dfe_census,
    dfe_ks2,
    dfe_ks4,
    districts,
    gias_links,
    lait,
    ofsted_history,
    ofsted_outcomes,
)
from analytics.ingest.common import ImportRejected, InvalidOption
from analytics.ingest.registry import (
    CENSUS_FILE,
    GIAS_LINKS_FILE,
    LA_CODES_FILE,
    PERF_2016_2018_DIR,
)
from analytics.queries import SCHOOLS, read_frame
from analytics.store.models import District, Inspection

ROOT = Path(__file__).resolve().parents[1]
TARGET = 5  # records are edited at this 0-based index: file row 7 (header is row 1)
TARGET_ROW = TARGET + 2
NO_LOG = ("import_log",)


# ------------------------------------------------------------------------------------------------ helpers


def read_rows(path: Path, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding=encoding), newline="")))


def write_rows(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def edited(
    source: Path, tmp: Path, column: str, value: str, *,
    record: int = TARGET, lines: int | None = None, name: str | None = None,
) -> Path:
    """A copy of `source` (its first `lines` lines) with one cell changed (record index from 0)."""
    rows = read_rows(source)[: lines or None]
    rows[record + 1][rows[0].index(column)] = value
    return write_rows(tmp / (name or source.name), rows)


def cell(source: Path, column: str, record: int = TARGET) -> str:
    rows = read_rows(source)
    return rows[record + 1][rows[0].index(column)]


def mapping_rows() -> list[tuple[str, str]]:
    """Every school of the outcomes slice with its local authority as the district (real URNs)."""
    rows = read_rows(OFSTED_SLICE)
    urn, la = rows[0].index("URN"), rows[0].index("Local authority")
    return [(r[urn], r[la]) for r in rows[1:]]


def mapping_csv(
    path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...] = ("URN", "District")
) -> Path:
    return write_rows(path, [list(header), *[list(r) for r in rows]])


def mapping_xlsx(path: Path, rows: list[list[object]], *, shared_strings: bool = False) -> Path:
    """An XLSX of `rows` (openpyxl writes texts inline; xlsxwriter, like Excel, in a shared-string table)."""
    if shared_strings:
        import xlsxwriter

        with xlsxwriter.Workbook(str(path)) as book:
            sheet = book.add_worksheet()
            for number, row in enumerate(rows):
                sheet.write_row(number, 0, row)
        return path
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def refused(
    caught: pytest.ExceptionInfo[ImportRejected], path: Path, reason: str,
    row: int | None = None, column: str | None = None,
) -> None:
    """The message names the file, the reason, the row and the column; the report has the same problem."""
    message = str(caught.value)
    assert path.name in message, message
    assert reason in message, message
    matching = [p for p in caught.value.problems if reason in p.reason]
    assert matching, caught.value.problems
    if row is not None:
        assert f"row {row}" in message, message
        assert any(p.row == row for p in matching), matching
    if column is not None:
        assert f"column '{column}'" in message, message
        assert any(p.column == column for p in matching), matching
    assert list(caught.value.report().columns) == ["file", "row", "column", "reason"]
    assert "Traceback" not in message


@pytest.fixture
def loaded_store(empty_store: Engine) -> Engine:
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    ofsted_history.import_file(empty_store, HISTORY_SLICE)
    return empty_store


def backend(engine: Engine) -> str:
    return "sqlite" if engine.dialect.name == "sqlite" else "postgresql"


@dataclass(frozen=True)
class Case:
    make: Callable[[Path], Path]
    load: Callable[[Engine, Path], object]
    reason: str
    row: int | None = None
    column: str | None = None
    error: type[ImportRejected] = ImportRejected


def outcomes(engine: Engine, path: Path) -> object:
    return ofsted_outcomes.import_file(engine, path)


def history(engine: Engine, path: Path) -> object:
    return ofsted_history.import_file(engine, path)


def mapping(engine: Engine, path: Path) -> object:
    return districts.import_file(engine, path, scheme="localities")


def run_case(case: Case, store: Engine, tmp_path: Path) -> ImportRejected:
    path = case.make(tmp_path)
    before = snapshot(store)
    with pytest.raises(case.error) as caught:
        case.load(store, path)
    refused(caught, path, case.reason, case.row, case.column)
    assert snapshot(store) == before, "a refused file changed the store"
    return caught.value


OS, HS = OFSTED_SLICE, HISTORY_SLICE
START, PUBLISHED, PUPILS = "Inspection start date", "Publication date", "Total number of pupils"


def _census(tmp: Path, column: str, value: str) -> Path:
    return edited(CENSUS_FILE, tmp, column, value, record=2, lines=20, name="england_census.csv")


def _publication_before_start(tmp: Path) -> Path:
    start = date(*reversed([int(x) for x in cell(OS, START).split("/")]))
    before = start.replace(day=1) if start.day > 1 else start.replace(month=start.month - 1 or 12)
    return edited(OS, tmp, PUBLISHED, f"{before:%d/%m/%Y}")


def _la_number(tmp: Path) -> Path:
    book = openpyxl.load_workbook(LA_CODES_FILE)
    sheet = book.worksheets[0]
    assert sheet.cell(row=3, column=1).value == 302  # Barnet
    sheet.cell(row=3, column=1).value = 30200
    book.save(tmp / "la_code_list.xlsx")
    return tmp / "la_code_list.xlsx"


UNGRADED_COUNT = "Number of ungraded inspections since the last graded inspection"
OUTSIDE = "outside the plausible range"
IMPLAUSIBLE: dict[str, Case] = {
    "inspection in the future": Case(
        lambda t: edited(OS, t, START, "01/01/2031"), outcomes, "in the future", TARGET_ROW, START),
    "inspection far in the past": Case(
        lambda t: edited(OS, t, START, "01/01/1960"), outcomes, "implausibly early", TARGET_ROW, START),
    "publication before its inspection": Case(
        _publication_before_start, outcomes, "before the inspection started", TARGET_ROW, PUBLISHED),
    "publication in the future": Case(
        lambda t: edited(OS, t, PUBLISHED, "12/12/2041"), outcomes, "in the future", TARGET_ROW, PUBLISHED),
    "school opening in the future": Case(
        lambda t: edited(OS, t, "School open date", "01/09/2099"), outcomes, "in the future", TARGET_ROW,
        "School open date"),
    "absurd pupil count": Case(
        lambda t: edited(OS, t, PUPILS, "250000"), outcomes, OUTSIDE, TARGET_ROW, PUPILS),
    "seven-digit URN": Case(
        lambda t: edited(OS, t, "URN", "1004720"), outcomes, OUTSIDE, TARGET_ROW, "URN"),
    "negative count": Case(
        lambda t: edited(OS, t, UNGRADED_COUNT, "-3"), outcomes, "negative", TARGET_ROW, UNGRADED_COUNT),
    "history row in the future": Case(
        lambda t: edited(HS, t, "Inspection Date", "20310101"), history, "in the future", TARGET_ROW,
        "Inspection Date"),
    "history row before Ofsted": Case(
        lambda t: edited(HS, t, "Inspection Date", "19200101"), history, "implausibly early", TARGET_ROW,
        "Inspection Date"),
    "percentage over 100": Case(
        lambda t: _census(t, "PNUMFSMEVER", "150"),
        lambda e, p: dfe_census.import_file(e, p, year=2019), OUTSIDE, 4, "PNUMFSMEVER"),
    "negative percentage": Case(
        lambda t: _census(t, "PSENELK", "-0.5"),
        lambda e, p: dfe_census.import_file(e, p, year=2019), "negative", 4, "PSENELK"),
    "absurd Progress 8": Case(
        lambda t: edited(PERF_2016_2018_DIR / "ks4_perf_2018.csv", t, "Progress 8", "-45.2", record=1,
                         lines=30, name="ks4_perf_2018.csv"),
        dfe_ks4.import_file, OUTSIDE, 3, "Progress 8"),
    "academic year far ahead in the file": Case(
        lambda t: edited(PERF_2016_2018_DIR / "ks2_perf_2018.csv", t, "Academic Year", "2099", record=0,
                         lines=30, name="ks2_perf_2018.csv"),
        dfe_ks2.import_file, OUTSIDE, 2, "Academic Year"),
    "--year far ahead": Case(
        lambda t: _census(t, "NOR", "285"), lambda e, p: dfe_census.import_file(e, p, year=2150),
        "year 2150 is out of range", error=InvalidOption),
    "--year far back": Case(
        lambda t: _census(t, "NOR", "285"), lambda e, p: dfe_census.import_file(e, p, year=1066),
        "year 1066 is out of range", error=InvalidOption),
    "GIAS link dated far ahead": Case(
        lambda t: edited(GIAS_LINKS_FILE, t, "LinkEstablishedDate", "01-01-2099", record=3, lines=40),
        gias_links.import_file, "too far in the future", 5, "LinkEstablishedDate"),
    "district mapping URN out of range": Case(
        lambda t: mapping_csv(t / "districts.csv", [*mapping_rows()[:3], ("12", "Rutland")]),
        mapping, OUTSIDE, 5, "URN"),
    "LA number of five digits": Case(_la_number, lait.import_las, OUTSIDE, 3, "LA Number"),
}


@pytest.mark.parametrize("kind", list(IMPLAUSIBLE))
def test_implausible_values_are_refused_and_change_nothing(
    kind: str, loaded_store: Engine, tmp_path: Path
) -> None:
    run_case(IMPLAUSIBLE[kind], loaded_store, tmp_path)


def test_every_importer_declares_its_ranges() -> None:
    """A parser given ranges refuses to parse an undeclared number column (a programming error, found by the
    first test that runs the importer); the context importers cover every measure."""
    from analytics.ingest.context import MEASURE_RANGES
    from analytics.measures import MEASURES

    assert set(MEASURE_RANGES) == set(MEASURES)
    parser = common.ColumnParser(common.read_csv_strict(OFSTED_SLICE, []), {"URN": common.URN})
    with pytest.raises(common.UndeclaredRange, match="Total number of pupils"):
        parser.integer("Total number of pupils")
    for module in (ofsted_outcomes, ofsted_history, gias_links):
        assert module.RANGES, module.__name__


# ------------------------------------------------------------------------------------------ release dates


def test_release_dated_in_the_future_is_refused(loaded_store: Engine, tmp_path: Path) -> None:
    future = tmp_path / OFSTED_SLICE.name.replace("31_August_2025", "31_August_2099")
    future.write_bytes(OFSTED_SLICE.read_bytes())
    run_case(Case(lambda _t: future, outcomes, "in the future"), loaded_store, tmp_path)
    before = snapshot(loaded_store)
    with pytest.raises(InvalidOption) as caught:
        ofsted_outcomes.import_file(loaded_store, OFSTED_SLICE, as_at=date(2099, 8, 31))
    refused(caught, OFSTED_SLICE, "is in the future")
    assert snapshot(loaded_store) == before


def _release(tmp: Path, label: str, drop: int | None = None) -> Path:
    rows = read_rows(OFSTED_SLICE)
    if drop is not None:
        rows.pop(drop)
    return write_rows(tmp / OFSTED_SLICE.name.replace("31_August_2025", label), rows)


def test_a_wrongly_dated_release_can_be_replaced(empty_store: Engine, tmp_path: Path) -> None:
    """The August 2025 release loaded as if it were 31 October 2026 (a slip in the file name, not in the
    future on the day of the import) outranks every genuine release (an older release only fills gaps)
    until the right one replaces it."""
    ofsted_outcomes.import_file(empty_store, _release(tmp_path, "31_October_2026"))
    inspections_before = read_frame(empty_store, select(Inspection.__table__))  # type: ignore[attr-defined]
    september = _release(tmp_path, "30_September_2025", drop=4)  # one school has closed
    gone = int(read_rows(OFSTED_SLICE)[4][1])
    assert read_rows(OFSTED_SLICE)[0][1] == "URN"
    merged = ofsted_outcomes.import_file(empty_store, september)
    assert any("--replace-later" in note for note in merged.notes), merged.notes
    schools = read_frame(empty_store, select(SCHOOLS)).set_index("urn")
    assert str(schools["as_at"].max()) == "2026-10-31", "without --replace-later the later-dated facts stay"
    assert bool(schools.loc[gone, "is_open"]), "an older release cannot close what a newer one listed"

    ofsted_outcomes.import_file(empty_store, september, replace_later=True)
    schools = read_frame(empty_store, select(SCHOOLS)).set_index("urn")
    listed = schools.loc[schools["as_at"].notna()]
    assert {str(d) for d in listed["as_at"]} == {"2025-09-30"}, "no school keeps the wrong date"
    assert not bool(schools.loc[gone, "is_open"]), "the school this release no longer lists is closed"
    assert int(schools["is_open"].sum()) == len(read_rows(OFSTED_SLICE)) - 2
    after = read_frame(empty_store, select(Inspection.__table__))  # type: ignore[attr-defined]
    assert set(inspections_before["inspection_number"]) <= set(after["inspection_number"])

    # From now on genuine releases import as usual; the replaced date is gone for good.
    ofsted_outcomes.import_file(empty_store, _release(tmp_path, "31_October_2025"))
    assert str(read_frame(empty_store, select(SCHOOLS))["as_at"].max()) == "2025-10-31"


# ------------------------------------------------------------------------------------------------ encoding


def test_a_stray_byte_in_a_utf8_file_is_refused_naming_row_and_column(
    loaded_store: Engine, tmp_path: Path
) -> None:
    """The slice is UTF-8 (with UTF-8 en dashes in four rows); one Windows-1252 apostrophe (0x92) typed into a
    school name must not make the whole file decode as Windows-1252."""
    raw = OFSTED_SLICE.read_bytes()
    name = b"St Anne's & Avondale Park Nursery School"  # first in its row under 'School name'
    assert b"\xc2\x96" in raw
    line = raw[: raw.index(name)].count(b"\n") + 1
    path = tmp_path / OFSTED_SLICE.name
    path.write_bytes(raw.replace(name, name.replace(b"'", b"\x92"), 1))
    stray = Case(lambda _t: path, outcomes, "byte 0x92", line, "School name")
    error = run_case(stray, loaded_store, tmp_path)
    assert "not UTF-8" in str(error)


def test_a_genuine_windows_1252_file_imports_like_its_utf8_twin(empty_store: Engine, tmp_path: Path) -> None:
    """Ofsted publishes Windows-1252: the same release in that encoding (its en dashes as byte 0x96) gives the
    same store as the UTF-8 slice, whose en dashes are U+0096 controls (a Latin-1 misreading), repaired."""
    text = OFSTED_SLICE.read_text(encoding="utf-8")
    cp1252 = tmp_path / OFSTED_SLICE.name
    cp1252.write_bytes(text.replace("\u0096", "\u2013").encode("cp1252"))
    assert b"\x96" in cp1252.read_bytes()
    ofsted_outcomes.import_file(empty_store, cp1252)
    first = snapshot(empty_store, skip=NO_LOG)
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    assert snapshot(empty_store, skip=NO_LOG) == first
    groupings = {
        str(path.name): set(common.read_csv_strict(path, [])["Event type grouping"])
        for path in (cp1252, OFSTED_SLICE)
    }
    assert all("Schools \u2013 Section 8 conversion" in found for found in groupings.values())
    assert not any("\u0096" in text for found in groupings.values() for text in found)


# -------------------------------------------------------------------------------- invisible characters


def test_invisible_characters_and_lookalike_spaces_make_no_second_la(
    empty_store: Engine, tmp_path: Path
) -> None:
    rows = read_rows(OFSTED_SLICE)
    la = rows[0].index("Local authority")
    rutland = [i for i, r in enumerate(rows) if r[la] == "Rutland"]
    rows[rutland[0]][la] = "Rut\u200bland"  # zero-width space
    rows[rutland[1]][la] = "Rutland\u00a0"  # no-break space
    rows[rutland[2]][la] = "\ufeffRutland\u200d"  # BOM and zero-width joiner
    name = rows[0].index("School name")
    rows[rutland[3]][name] = rows[rutland[3]][name].replace(" ", "\u2003", 1)  # em space inside a name
    hostile = write_rows(tmp_path / OFSTED_SLICE.name, rows)
    ofsted_outcomes.import_file(empty_store, hostile)
    schools = read_frame(empty_store, select(SCHOOLS))
    expected = {r[la] for r in read_rows(OFSTED_SLICE)[1:]}
    assert set(schools["la_name"].dropna()) == expected
    assert (schools["la_name"] == "Rutland").sum() == len(rutland)
    state = snapshot(empty_store, skip=NO_LOG)
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)  # the clean file is the same data
    assert snapshot(empty_store, skip=NO_LOG) == state


def test_nul_bytes_and_overlong_names_are_refused(loaded_store: Engine, tmp_path: Path) -> None:
    original = cell(OS, "School name")
    run_case(Case(lambda t: edited(OS, t, "School name", original[:4] + "\x00" + original[4:]), outcomes,
                  "NUL", TARGET_ROW, "School name"), loaded_store, tmp_path)
    run_case(Case(lambda t: edited(OS, t, "School name", "Academy " * 40), outcomes, "at most 255",
                  TARGET_ROW, "School name"), loaded_store, tmp_path)
    run_case(Case(lambda t: mapping_csv(t / "d.csv", [(mapping_rows()[0][0], "Oakham" * 30)]), mapping,
                  "at most 100", 2, "District"), loaded_store, tmp_path)


SPOOFS = [
    "constituency", "Constituency", "constituency\u200b", "Parliamentary constituency",
    "Parliamentary  CONSTITUENCY", "\uff43\uff4f\uff4e\uff53\uff54\uff49\uff54\uff55\uff45\uff4e\uff43\uff59",
    " parliamentary-constituency ",
]


@pytest.mark.parametrize("scheme", SPOOFS)
def test_the_reserved_scheme_name_cannot_be_spoofed(
    scheme: str, loaded_store: Engine, tmp_path: Path
) -> None:
    path = mapping_csv(tmp_path / "districts.csv", mapping_rows())
    before = snapshot(loaded_store)
    with pytest.raises(InvalidOption) as caught:
        districts.import_file(loaded_store, path, scheme=scheme)
    refused(caught, path, "cannot be used as a mapping name")
    assert snapshot(loaded_store) == before


def test_scheme_names_of_other_scripts_and_district_lookalikes(loaded_store: Engine, tmp_path: Path) -> None:
    path = mapping_csv(tmp_path / "districts.csv", mapping_rows())
    with pytest.raises(InvalidOption) as caught:
        districts.import_file(loaded_store, path, scheme="\u0441onstituency")  # Cyrillic es
    refused(caught, path, "only letters, digits, spaces")
    rows = [(urn, "Oakham\u200b" if i % 2 else "Oakham") for i, (urn, _la) in enumerate(mapping_rows())
            if _la == "Rutland"]
    districts.import_file(loaded_store, mapping_csv(tmp_path / "oakham.csv", rows), scheme=" Rutland  towns ")
    with loaded_store.connect() as connection:
        stored = connection.execute(select(District.scheme, District.name)).all()  # type: ignore[call-overload]
    assert set(stored) == {("Rutland towns", "Oakham")}


# ------------------------------------------------------------------------------------------ ambiguous headers


def test_headers_differing_only_in_case_are_refused(loaded_store: Engine, tmp_path: Path) -> None:
    def outcomes_with_urn_twice(tmp: Path) -> Path:
        rows = read_rows(OFSTED_SLICE)
        rows[0][rows[0].index("Admissions policy")] = "urn"
        return write_rows(tmp / OFSTED_SLICE.name, rows)

    run_case(Case(outcomes_with_urn_twice, outcomes, "differ only in case", 1, "urn"), loaded_store, tmp_path)
    two = [(urn, la, la.upper()) for urn, la in mapping_rows()]
    run_case(Case(lambda t: mapping_csv(t / "d.csv", two, ("URN", "District", "DISTRICT")), mapping,  # type: ignore[arg-type]
                  "differ only in case", 1, "DISTRICT"), loaded_store, tmp_path)
    run_case(Case(lambda t: mapping_xlsx(t / "d.xlsx", [["URN", "District", "district"],
                                                         *[[int(u), d, d] for u, d in mapping_rows()]]),
                  mapping, "differ only in case", 1, "district"), loaded_store, tmp_path)


# ----------------------------------------------------------------------- the same refusal on both backends


def test_values_postgresql_cannot_store_are_refused_before_writing_on_both(
    loaded_store: Engine, tmp_path: Path
) -> None:
    """PostgreSQL raised on an integer beyond 32 bits and on a NUL byte where SQLite stored them: now both
    refuse the row before writing, with the same message."""
    trust = "Multi-academy trust UID"
    messages = []
    for column, value, reason in (
        (trust, str(2**31 + 7), "outside the plausible range"),
        ("LAESTAB", str(2**40), "outside the plausible range"),
        ("Postcode", "FY1\x00 2AB", "NUL"),
    ):
        error = run_case(Case(lambda t, c=column, v=value: edited(OS, t, c, v), outcomes, reason, TARGET_ROW,
                              column), loaded_store, tmp_path)
        messages.append(str(error))
    assert "'2,147,483,655' is outside" not in messages[0] and f"'{2**31 + 7}' is outside" in messages[0]
    mapped = [*mapping_rows()[:3], (str(2**32), "Rutland")]
    big_urn = Case(lambda t: mapping_csv(t / "d.csv", mapped), mapping, OUTSIDE, 5, "URN")
    run_case(big_urn, loaded_store, tmp_path)


# --------------------------------------------------------------------------- crashes and misleading messages


def test_classic_mac_line_endings_import_like_the_original(empty_store: Engine, tmp_path: Path) -> None:
    path = tmp_path / OFSTED_SLICE.name
    path.write_bytes(OFSTED_SLICE.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    assert b"\n" not in path.read_bytes()
    result = ofsted_outcomes.import_file(empty_store, path)
    assert result.rows_read == len(read_rows(OFSTED_SLICE)) - 1
    state = snapshot(empty_store, skip=NO_LOG)
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    assert snapshot(empty_store, skip=NO_LOG) == state


def _fifo(tmp: Path) -> Path:
    path = tmp / "districts.csv"
    os.mkfifo(path)
    return path


def _formula(tmp: Path) -> Path:
    rows: list[list[object]] = [["URN", "District"], *[[int(u), d] for u, d in mapping_rows()[:5]]]
    rows[3][1] = "=B2"
    return mapping_xlsx(tmp / "districts.xlsx", rows)


def _megabyte_field(tmp: Path) -> Path:
    return edited(OS, tmp, "Web Link (opens in new window)", "https://example.invalid/" + "x" * (1 << 20))


def _double_bom(tmp: Path) -> Path:
    path = tmp / OFSTED_SLICE.name
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + OFSTED_SLICE.read_bytes())
    return path


CRASHES: dict[str, Case] = {
    "URN beyond 64 bits": Case(
        lambda t: edited(OS, t, "URN", "1234567890" * 3), outcomes, OUTSIDE, TARGET_ROW, "URN"),
    "double BOM": Case(_double_bom, outcomes, "two byte-order marks", 1),
    "/dev/zero": Case(lambda _t: Path("/dev/zero"), outcomes, "not a regular file"),
    "a named pipe": Case(_fifo, mapping, "not a regular file"),
    "a folder": Case(lambda t: t, mapping, "not a regular file"),
    "formula cell in XLSX": Case(_formula, mapping, "holds a formula", 4, "District"),
    "field over 1 MB": Case(_megabyte_field, outcomes, "at most 32,767", TARGET_ROW,
                            "Web Link (opens in new window)"),
    "quote never closed": Case(lambda t: _unclosed_quote(t), outcomes, "the row has 2 fields", len(
        OFSTED_SLICE.read_bytes().splitlines()) + 1),
}


def _unclosed_quote(tmp: Path) -> Path:
    path = tmp / OFSTED_SLICE.name
    data = OFSTED_SLICE.read_bytes()
    path.write_bytes(data + b'100999,"never closed\n')
    return path


@pytest.mark.parametrize("kind", list(CRASHES))
def test_hostile_inputs_get_plain_refusals(kind: str, loaded_store: Engine, tmp_path: Path) -> None:
    run_case(CRASHES[kind], loaded_store, tmp_path)


def test_a_full_disk_is_reported_in_plain_words(loaded_store: Engine, tmp_path: Path) -> None:
    """SQLite: the database capped at its current size (max_page_count) fails the write with SQLITE_FULL, the
    same error a full disk gives; the import is refused in plain words and the store is unchanged."""
    if backend(loaded_store) != "sqlite":
        pytest.skip("a full disk cannot be provoked on the shared PostgreSQL server without mounting a "
                    "filesystem; the mapping of its SQLSTATE 53100 is checked in the next test")
    before = snapshot(loaded_store)
    with loaded_store.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()

    def cap(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {int(pages)}")

    event.listen(loaded_store, "connect", cap)
    loaded_store.dispose()
    try:
        path = PERF_2016_2018_DIR / "ks2_perf_2018.csv"  # 90,000 values: many new pages
        with pytest.raises(ImportRejected) as caught:
            dfe_ks2.import_file(loaded_store, path)
        refused(caught, path, "the disk holding the database is full")
    finally:
        event.remove(loaded_store, "connect", cap)
        loaded_store.dispose()
    assert snapshot(loaded_store) == before


def test_database_errors_are_described_without_values() -> None:
    import psycopg
    from sqlalchemy.exc import DBAPIError

    from analytics.ingest.runner import describe_database_error

    def wrapped(error: Exception) -> DBAPIError:
        return DBAPIError.instance("INSERT ...", {"name": "secret value"}, error, type(error))

    full = describe_database_error(wrapped(psycopg.errors.DiskFull("could not extend file")))
    assert full.startswith("the disk holding the database is full") and "secret" not in full
    locked = describe_database_error(wrapped(psycopg.errors.LockNotAvailable("lock timeout")))
    assert "another import kept the database locked" in locked
    sqlite_full = sqlite3.OperationalError("database or disk is full")
    assert describe_database_error(wrapped(sqlite_full)).startswith("the disk holding the database is full")


# --------------------------------------------------------------------------------- denial of service limits


def test_a_csv_with_100000_columns_is_refused_before_parsing(loaded_store: Engine, tmp_path: Path) -> None:
    def wide(tmp: Path) -> Path:
        rows = read_rows(OFSTED_SLICE)[:3]
        rows[0] += [f"x{i}" for i in range(100_000)]
        for row in rows[1:]:
            row += ["1"] * 100_000
        return write_rows(tmp / OFSTED_SLICE.name, rows)

    run_case(Case(wide, outcomes, "100,076 columns; at most 1,000", 1), loaded_store, tmp_path)


def _xlsx_with_part(tmp: Path, part: bytes) -> Path:
    rows: list[list[object]] = [["URN", "District"], *[[int(u), d] for u, d in mapping_rows()]]
    path = mapping_xlsx(tmp / "districts.xlsx", rows)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.xml", part)
    return path


def test_xlsx_bombs_and_oversized_workbooks_are_refused_before_parsing(
    loaded_store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = Case(lambda t: _xlsx_with_part(t, b"<a>" + b" " * (8 << 20) + b"</a>"), mapping, "expands")
    error = run_case(bomb, loaded_store, tmp_path)
    assert "padding.xml" in str(error)
    # Past the inflated-size limit without a suspicious ratio (random digits compress about 2:1): the limit
    # is lowered for the test so the file stays small.
    monkeypatch.setattr(common, "MAX_XLSX_INFLATED_BYTES", 2 << 20)
    digits = "".join(random.Random(12).choices("0123456789", k=3 << 20)).encode()
    big = Case(lambda t: _xlsx_with_part(t, digits), mapping, "the workbook expands to")
    run_case(big, loaded_store, tmp_path)


def test_xlsx_shared_string_and_cell_limits(
    loaded_store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows: list[list[object]] = [["URN", "District"]]
    rows += [[int(u), f"{d} {i}"] for i, (u, d) in enumerate(mapping_rows())]
    monkeypatch.setattr(common, "MAX_XLSX_SHARED_STRINGS", 100)
    texts = Case(lambda t: mapping_xlsx(t / "d.xlsx", rows, shared_strings=True), mapping,
                 "distinct texts (shared strings)")
    run_case(texts, loaded_store, tmp_path)
    monkeypatch.setattr(common, "MAX_XLSX_SHARED_STRINGS", 250_000)
    monkeypatch.setattr(common, "MAX_XLSX_CELLS", 100)
    run_case(Case(lambda t: mapping_xlsx(t / "districts.xlsx", rows), mapping, "more than 100 cells"),
             loaded_store, tmp_path)


def test_duplicate_check_names_the_first_row_of_every_repeat(tmp_path: Path) -> None:
    """The linear duplicate check reports each repeat against the first row with its key (here a mapping of
    20,000 rows cut from the real URNs, every URN three times)."""
    urns = [u for u, _ in mapping_rows()]
    rows = [(urns[i % len(urns)], f"District {i % 7}") for i in range(20_000)]
    path = mapping_csv(tmp_path / "districts.csv", rows)
    with pytest.raises(ImportRejected) as caught:
        districts.parse(path)
    problems = caught.value.problems
    assert len(problems) == 20_000 - len(urns)
    first_row = {urn: i + 2 for i, urn in reversed(list(enumerate(u for u, _ in rows)))}
    for problem in problems:
        urn = rows[problem.row - 2][0]  # type: ignore[operator]
        assert problem.reason == f"duplicate URN '{urn}' (first at row {first_row[urn]})"


def test_twenty_thousand_row_mapping_imports(empty_store: Engine, tmp_path: Path) -> None:
    """All of the national file's URNs would be 22,000; the slice's schools are repeated under other URNs
    only in the benchmark. Here: every slice school, in a 20,000-row file whose other rows are refused."""
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    rows = mapping_rows()
    districts.import_file(empty_store, mapping_csv(tmp_path / "ok.csv", rows), scheme="localities")
    with empty_store.connect() as connection:
        count = connection.execute(select(District.name)).all()  # type: ignore[call-overload]
    assert {name for (name,) in count} == {la for _u, la in rows}
    unknown = [*rows, *[(str(200_000 + i), "Elsewhere") for i in range(20_000 - len(rows))]]
    before = snapshot(empty_store)
    with pytest.raises(ImportRejected) as caught:
        districts.import_file(empty_store, mapping_csv(tmp_path / "big.csv", unknown), scheme="localities")
    assert len(caught.value.problems) == 20_000 - len(rows)
    assert snapshot(empty_store) == before



# ------------------------------------------------------------------------------------------ command line


@pytest.fixture
def cli_store(loaded_store: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The CLI pointed at the loaded store (DATABASE_URL), for in-process runs."""
    from analytics.config import get_settings
    from analytics.store import reset_engine_cache

    monkeypatch.setenv("DATABASE_URL", loaded_store.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    reset_engine_cache()
    yield loaded_store
    get_settings.cache_clear()
    reset_engine_cache()


def cli(*args: str) -> Result:
    from analytics.cli import app

    return CliRunner().invoke(app, ["import", *args])


def test_cli_exit_codes_say_bad_argument_or_rejected_file(cli_store: Engine, tmp_path: Path) -> None:
    before = snapshot(cli_store)
    hostile = edited(OS, tmp_path, "URN", "1234567890" * 3)
    bom_folder = tmp_path / "bom"
    bom_folder.mkdir()
    census = _census(tmp_path, "NOR", "285")
    cases = [
        (["ofsted-outcomes", str(hostile)], 3, "outside the plausible range"),
        (["ofsted-outcomes", "/dev/zero"], 3, "not a regular file"),
        (["ofsted-outcomes", str(_double_bom(bom_folder))], 3, "two byte-order marks"),
        (["ofsted-outcomes", str(OFSTED_SLICE), "--as-at", "31/13/2025"], 2, "--as-at must be a date"),
        (["ofsted-outcomes", str(OFSTED_SLICE), "--as-at", "01/01/2099"], 2, "is in the future"),
        (["ofsted-outcomes", str(OFSTED_SLICE), "--year", "2019"], 2, "does not take --year"),
        (["ofsted-history", str(HISTORY_SLICE), "--replace-later"], 2, "does not take --replace-later"),
        (["dfe-census", str(census), "--year", "2150"], 2, "year 2150 is out of range"),
        (["districts", str(tmp_path / "missing.csv")], 2, "file not found"),
        (["districts", str(mapping_csv(tmp_path / "d.csv", mapping_rows())), "--scheme", "Constituency"], 2,
         "cannot be used as a mapping name"),
    ]
    for args, code, reason in cases:
        result = cli(*args)
        assert result.exit_code == code, (args, result.output)
        assert reason in result.output, (args, result.output)
        assert isinstance(result.exception, SystemExit), (args, result.exception)
    assert snapshot(cli_store) == before


def test_cli_replace_later(cli_store: Engine, tmp_path: Path) -> None:
    wrong = _release(tmp_path, "31_October_2026")
    assert cli("ofsted-outcomes", str(wrong)).exit_code == 0
    right = _release(tmp_path, "30_September_2025")
    merged_run = cli("ofsted-outcomes", str(right))
    assert merged_run.exit_code == 0 and "--replace-later" in merged_run.output
    assert cli("ofsted-outcomes", str(right), "--replace-later").exit_code == 0
    assert str(read_frame(cli_store, select(SCHOOLS))["as_at"].max()) == "2025-09-30"


def test_cli_never_prints_a_traceback(loaded_store: Engine, tmp_path: Path) -> None:
    """A real process: a field over 1 MB and a formula cell are refused in plain words with exit code 3."""
    env = {**os.environ, "DATABASE_URL": loaded_store.url.render_as_string(hide_password=False)}
    for args in (["ofsted-outcomes", str(_megabyte_field(tmp_path))],
                 ["districts", str(_formula(tmp_path)), "--scheme", "areas"]):
        run = subprocess.run([sys.executable, "-m", "analytics", "import", *args], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 3, run.stderr
        assert "Traceback" not in run.stderr and Path(args[1]).name in run.stderr
