"""DfE context importers on the real files, on SQLite and PostgreSQL.

Expected values are read independently with the csv module: every (URN, year, measure) value of the file
must be stored exactly, suppression codes as NULL with `suppressed` set, "not applicable" codes and blanks
as no row.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from analytics.ingest import dfe_absence, dfe_census, dfe_finance, dfe_ks2, dfe_ks4, dfe_ks4_info
from analytics.ingest.common import ImportRejected
from analytics.ingest.registry import (
    ABSENCE_FILE,
    CENSUS_FILE,
    IMPORTERS,
    KS4_2019_FILE,
    KS4_INFO_FILE,
    PERF_2016_2018_DIR,
)
from analytics.measures import MEASURES
from analytics.queries import context_values

SUPPRESSION = {"SUPP", "LOWCOV", "NE", "NP", "c", "x", "u", "low"}
NOT_APPLICABLE = {"", "NA", "z", "nan"}


def expected_values(
    path: Path,
    urn_col: str,
    columns: dict[str, str],
    year: int | Callable[[dict[str, str]], int],
    skip: Callable[[dict[str, str]], bool] = lambda row: False,
) -> dict[tuple[int, int, str], tuple[float | None, bool]]:
    """(urn, year, measure) -> (value, suppressed), read with the csv module."""
    out: dict[tuple[int, int, str], tuple[float | None, bool]] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if skip(row):
                continue
            row_year = year(row) if callable(year) else year
            for column, measure in columns.items():
                raw = row[column].strip()
                if raw in NOT_APPLICABLE:
                    continue
                key = (int(row[urn_col]), row_year, measure)
                out[key] = (None, True) if raw in SUPPRESSION else (float(raw.rstrip("%")), False)
    return out


def stored_values(engine: Engine) -> dict[tuple[int, int, str], tuple[float | None, bool]]:
    frame = context_values(engine)
    return {
        (int(r.urn), int(r.year), r.measure): (
            None if pd.isna(r.value) else float(r.value),
            bool(r.suppressed),
        )
        for r in frame.itertuples()
    }


def assert_same(got: dict[Any, Any], expected: dict[Any, Any]) -> None:
    assert set(got) == set(expected)
    for key, (value, suppressed) in expected.items():
        got_value, got_suppressed = got[key]
        assert got_suppressed == suppressed, key
        assert (got_value is None) == (value is None), key
        if value is not None:
            assert got_value == pytest.approx(value, rel=1e-9), key


def test_census(empty_store: Engine) -> None:
    columns = {
        "NOR": "pupils",
        "PNUMFSMEVER": "pct_fsm_ever",
        "PSENELK": "pct_sen_support",
        "PSENELSE": "pct_ehcp",
        "PNUMEAL": "pct_eal",
    }
    expected = expected_values(CENSUS_FILE, "URN", columns, 2019, skip=lambda row: row["URN"] == "NAT")
    result = dfe_census.import_file(empty_store, CENSUS_FILE, year=2019)
    got = stored_values(empty_store)
    assert_same(got, expected)
    assert result.rows_inserted == len(expected)
    # Spot checks read by eye from the file: URN 100000 has NOR 285 and PNUMFSMEVER 16.2.
    assert got[(100000, 2019, "pupils")] == (285.0, False)
    assert got[(100000, 2019, "pct_fsm_ever")] == (16.2, False)
    assert (100001, 2019, "pct_fsm_ever") not in got  # 'NA' (independent school): not applicable
    assert set(context_values(empty_store)["source"]) == {"dfe-census"}
    again = dfe_census.import_file(empty_store, CENSUS_FILE, year=2019)
    assert again.rows_inserted == 0
    assert stored_values(empty_store) == got


def test_absence_supp_is_suppressed(empty_store: Engine) -> None:
    columns = {"PERCTOT": "pct_absence", "PPERSABS10": "pct_persistent_absence"}
    expected = expected_values(ABSENCE_FILE, "URN", columns, 2018, skip=lambda row: row["LA"] == "NAT")
    dfe_absence.import_file(empty_store, ABSENCE_FILE, year=2018)
    got = stored_values(empty_store)
    assert_same(got, expected)
    assert got[(100027, 2018, "pct_persistent_absence")] == (None, True)
    assert got[(100027, 2018, "pct_absence")] == (2.2, False)
    assert sum(1 for _v, s in got.values() if s) == 864


def test_ks4_raw_dfe_layout(empty_store: Engine) -> None:
    columns = {
        "TPUP": "ks4_pupils",
        "ATT8SCR": "ks4_attainment8",
        "P8MEA": "ks4_progress8",
        "PTL2BASICS_95": "ks4_eng_maths_grade5",
        "PTEBACC_E_PTQ_EE": "ks4_ebacc_entry",
    }
    expected = expected_values(
        KS4_2019_FILE, "URN", columns, 2019, skip=lambda row: row["RECTYPE"] in {"4", "5", "7"}
    )
    dfe_ks4.import_file(empty_store, KS4_2019_FILE, year=2019)
    got = stored_values(empty_store)
    assert_same(got, expected)
    # Trinity Academy (140966): P8 'LOWCOV' -> suppressed; '43.3%' -> 43.3.
    assert got[(140966, 2019, "ks4_progress8")] == (None, True)
    assert got[(140966, 2019, "ks4_eng_maths_grade5")] == (23.3, False)


def test_ks4_extract_skips_2016_grade5(empty_store: Engine) -> None:
    path = PERF_2016_2018_DIR / "ks4_perf_2016.csv"
    columns = {
        "KS4 Pupils": "ks4_pupils",
        "Attainment 8": "ks4_attainment8",
        "Progress 8": "ks4_progress8",
        "Entering EBacc": "ks4_ebacc_entry",
    }
    expected = expected_values(path, "URN", columns, lambda row: int(row["Academic Year"]))
    dfe_ks4.import_file(empty_store, path)
    assert_same(stored_values(empty_store), expected)
    path = PERF_2016_2018_DIR / "ks4_perf_2018.csv"
    dfe_ks4.import_file(empty_store, path)
    expected |= expected_values(path, "URN", columns | {"Eng Maths Grade 5": "ks4_eng_maths_grade5"}, 2018)
    assert_same(stored_values(empty_store), expected)


def test_ks2_extract(empty_store: Engine) -> None:
    path = PERF_2016_2018_DIR / "ks2_perf_2018.csv"
    columns = {
        "KS2 Pupils": "ks2_pupils",
        "Overall Meet Std": "ks2_rwm_expected",
        "Overall Exceed Std": "ks2_rwm_higher",
        "Reading Progress": "ks2_reading_progress",
        "Writing Progress": "ks2_writing_progress",
        "Maths Progress": "ks2_maths_progress",
    }
    expected = expected_values(path, "URN", columns, lambda row: int(row["Academic Year"]))
    dfe_ks2.import_file(empty_store, path)
    got = stored_values(empty_store)
    assert_same(got, expected)
    # First data row: 138305,26,...,Reading Progress 3.1, ..., Overall Meet 88%, Exceed 8%, 2018.
    assert got[(138305, 2018, "ks2_rwm_expected")] == (88.0, False)
    assert got[(138305, 2018, "ks2_reading_progress")] == (3.1, False)


def test_finance_skips_rows_without_urn(empty_store: Engine) -> None:
    path = PERF_2016_2018_DIR / "financials_2017.csv"
    columns = {"Income": "income", "Expenditure": "expenditure", "Balance": "balance"}
    expected = expected_values(path, "URN", columns, 2017, skip=lambda row: row["URN"] == "nan")
    dfe_finance.import_file(empty_store, path)
    got = stored_values(empty_store)
    assert_same(got, expected)
    assert got[(100000, 2017, "balance")] == (-35818.78, False)


def test_ks4_school_information_ees(empty_store: Engine) -> None:
    columns = {
        "t_allks_pupils": "pupils",
        "t_pupils": "ks4_pupils",
        "pt_disadvantaged": "pct_disadvantaged",
        "pt_language_not_english": "pct_eal",
        "pt_sen_no_ehcp": "pct_sen_support",
        "pt_sen_with_ehcp": "pct_ehcp",
    }
    expected = expected_values(KS4_INFO_FILE, "school_urn", columns, 2024)
    dfe_ks4_info.import_file(empty_store, KS4_INFO_FILE)
    got = stored_values(empty_store)
    assert_same(got, expected)
    assert got[(141605, 2024, "pct_disadvantaged")] == (None, True)  # "c" (cohort of 5)
    assert got[(141605, 2024, "ks4_pupils")] == (5.0, False)
    assert (100544, 2024, "pct_disadvantaged") not in got  # 'z'


def test_every_bundled_file_is_registered_with_known_measures() -> None:
    bundled = {
        b.path.name
        for kind in ("dfe-census", "dfe-absence", "dfe-ks4", "dfe-ks2", "dfe-finance", "dfe-ks4-info")
        for b in IMPORTERS[kind].bundled
    }
    assert bundled == {
        "england_census.csv",
        "england_abs.csv",
        "england_ks4provisional.csv",
        "ks4_school_info_2024.csv",
        *(f"ks4_perf_{y}.csv" for y in (2016, 2017, 2018)),
        *(f"ks2_perf_{y}.csv" for y in (2016, 2017, 2018)),
        *(f"financials_{y}.csv" for y in range(2014, 2019)),
    }
    for module in (dfe_absence, dfe_census, dfe_finance, dfe_ks2, dfe_ks4, dfe_ks4_info):
        for layout in module.LAYOUTS:
            assert set(layout.measures.values()) <= set(MEASURES)


# ---------------------------------------------------------- rejected files (small cuts of the real ones)


def _cut(source: Path, target: Path, lines: int, replace: tuple[str, str] | None = None) -> Path:
    text = source.read_text(encoding="utf-8-sig").splitlines()[:lines]
    body = "\n".join(text) + "\n"
    if replace:
        body = body.replace(*replace, 1)
    target.write_text(body, encoding="utf-8")
    return target


def test_year_needed_when_the_file_has_none(tmp_path: Path, empty_store: Engine) -> None:
    path = _cut(CENSUS_FILE, tmp_path / "england_census.csv", 20)
    with pytest.raises(ImportRejected, match="no year column"):
        dfe_census.import_file(empty_store, path)
    assert context_values(empty_store).empty


def test_year_option_contradicting_the_file(tmp_path: Path, empty_store: Engine) -> None:
    path = _cut(PERF_2016_2018_DIR / "ks2_perf_2018.csv", tmp_path / "ks2.csv", 20)
    with pytest.raises(ImportRejected, match="the file says '2018' but year 2019 was given"):
        dfe_ks2.import_file(empty_store, path, year=2019)
    assert context_values(empty_store).empty


def test_bad_cell_names_row_and_column(tmp_path: Path, empty_store: Engine) -> None:
    # Row 3 of the absence file is 202,2000,136807,4.3,11: make PERCTOT unreadable.
    path = _cut(ABSENCE_FILE, tmp_path / "abs.csv", 30, replace=("136807,4.3,", "136807,4.3O,"))
    with pytest.raises(ImportRejected) as caught:
        dfe_absence.import_file(empty_store, path, year=2018)
    problem = caught.value.problems[0]
    assert (problem.row, problem.column) == (3, "PERCTOT")
    assert "'4.3O' is not a number" in problem.reason
    assert context_values(empty_store).empty


def test_missing_measure_column(tmp_path: Path, empty_store: Engine) -> None:
    path = _cut(ABSENCE_FILE, tmp_path / "abs.csv", 10, replace=("PPERSABS10", "PPERSABS"))
    with pytest.raises(ImportRejected) as caught:
        dfe_absence.import_file(empty_store, path, year=2018)
    assert [(p.row, p.column, p.reason) for p in caught.value.problems] == [
        (1, "PPERSABS10", "required column is missing")
    ]


def test_cli_passes_year(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from analytics.cli import app
    from analytics.config import get_settings
    from analytics.store import reset_engine_cache

    path = _cut(CENSUS_FILE, tmp_path / "england_census.csv", 11)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    reset_engine_cache()
    try:
        result = CliRunner().invoke(app, ["import", "dfe-census", str(path), "--year", "2019"])
        assert result.exit_code == 0, result.output
        assert "dfe-census: england_census.csv" in result.output
        refused = CliRunner().invoke(app, ["import", "dfe-census", str(path)])
        assert refused.exit_code == 3
    finally:
        get_settings.cache_clear()
        reset_engine_cache()
