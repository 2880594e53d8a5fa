"""LAIT importers (LA codes, statistical neighbours, indicators) and LA-name resolution on the real files.

Expected values are read with openpyxl / pyarrow / the csv module directly, not through the importers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select

from analytics.ingest import lait, ofsted_outcomes
from analytics.ingest.common import ImportRejected
from analytics.ingest.registry import (
    IMPORTERS,
    LA_CODES_FILE,
    LAIT_INDICATORS_FILE,
    NEIGHBOURS_FILE,
    OFSTED_FILE,
)
from analytics.localauthorities import lait_name, ofsted_names
from analytics.queries import local_authorities, read_frame, stat_neighbours
from analytics.store.models import LaIndicator, StatNeighbour


def _ofsted_la_names() -> set[str]:
    with OFSTED_FILE.open(encoding="cp1252", newline="") as handle:
        return {row["Local authority"] for row in csv.DictReader(handle) if row["Local authority"]}


def _code_list() -> dict[str, int]:
    """LA Name -> LA Number for the rows with a region (the LAs), read with openpyxl."""
    sheet = openpyxl.load_workbook(LA_CODES_FILE, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    number, name, region = header.index("LA Number"), header.index("LA Name"), header.index("Region")
    return {r[name]: int(r[number]) for r in rows[1:] if r[region] not in (None, "", "NA")}


def _neighbour_sheet() -> dict[int, list[tuple[int, str]]]:
    """LA num -> [(neighbour, closeness as written)] for the current groups (before 'Old SNs:')."""
    sheet = openpyxl.load_workbook(NEIGHBOURS_FILE, read_only=True).worksheets[0]
    out: dict[int, list[tuple[int, str]]] = {}
    for row in list(sheet.iter_rows(values_only=True))[3:]:
        if row[1] and str(row[1]).startswith("Old SNs"):
            break
        if row[0] is None:
            continue
        out[int(row[0])] = [(int(row[5 + 2 * k]), str(row[6 + 2 * k])) for k in range(10)]
    return out


def test_every_ofsted_la_resolves_to_a_lait_code() -> None:
    names = _ofsted_la_names()
    assert len(names) == 153
    codes = _code_list()
    unresolved = sorted(n for n in names if lait_name(n) not in codes)
    assert unresolved == []
    # The alias table goes both ways: LAIT names map back to the Ofsted spelling.
    back = ofsted_names(pd.Series(list(codes)), names)
    assert back.notna().sum() == 153
    assert set(back.dropna()) == names


def test_import_las_and_neighbours(empty_store: Engine) -> None:
    ofsted_outcomes.import_file(empty_store, OFSTED_FILE)
    las = lait.import_las(empty_store, LA_CODES_FILE)
    assert las.rows_inserted == len(_code_list()) == 158
    result = lait.import_neighbours(empty_store, NEIGHBOURS_FILE)
    sheet = _neighbour_sheet()
    assert len(sheet) == 153 and result.rows_inserted == 1530

    authorities = local_authorities(empty_store)
    assert authorities["ofsted_name"].notna().sum() == 153
    assert authorities.set_index("name").loc["Bristol, City of", "ofsted_name"] == "Bristol"
    assert authorities.set_index("name").loc["Bristol, City of", "code"] == 801

    stored = read_frame(empty_store, select(StatNeighbour.__table__))  # type: ignore[attr-defined]
    got = {
        (int(r.la_code), int(r.rank)): (int(r.neighbour_code), r.closeness) for r in stored.itertuples()
    }
    expected = {
        (la, rank + 1): (code, closeness.lower().capitalize())
        for la, group in sheet.items() for rank, (code, closeness) in enumerate(group)
    }
    assert got == expected

    # Ofsted spelling in, Ofsted spelling out: Bristol (801) -> first neighbour 846 Brighton and Hove.
    bristol = stat_neighbours(empty_store, "Bristol")
    assert bristol["rank"].tolist() == list(range(1, 11))
    assert bristol["neighbour_code"].tolist() == [code for code, _ in sheet[801]]
    assert bristol.iloc[0]["neighbour_ofsted_name"] == "Brighton and Hove"
    assert bristol["neighbour_ofsted_name"].notna().all()
    assert stat_neighbours(empty_store, "Bristol, City of")["neighbour_code"].tolist() == (
        bristol["neighbour_code"].tolist()
    )
    assert stat_neighbours(empty_store, "Atlantis").empty
    # Re-import changes nothing.
    assert lait.import_neighbours(empty_store, NEIGHBOURS_FILE).rows_inserted == 0
    assert lait.import_las(empty_store, LA_CODES_FILE).rows_inserted == 0


@pytest.mark.slow
def test_import_indicators(empty_store: Engine) -> None:
    table = pq.read_table(LAIT_INDICATORS_FILE).to_pandas()
    available = table.loc[table["Values"].notna() & (table["Values"].str.strip() != "-")]
    result = lait.import_indicators(empty_store, LAIT_INDICATORS_FILE)
    assert result.rows_inserted == len(available) == 547187
    sample = available.sample(50, random_state=7)
    stored = read_frame(
        empty_store,
        select(LaIndicator.__table__).where(  # type: ignore[attr-defined]
            LaIndicator.indicator.in_(sorted(set(sample["Short Desc"])))  # type: ignore[attr-defined]
        ),
    ).set_index(["la_code", "indicator", "year_label"])
    for row in sample.itertuples():
        key = (int(str(row._6).removesuffix(".0")), row._1, row.Years)
        assert stored.loc[key, "value"] == pytest.approx(float(row.Values)), key


def test_registered() -> None:
    assert [b.path for b in IMPORTERS["lait-las"].bundled] == [LA_CODES_FILE]
    assert [b.path for b in IMPORTERS["lait-neighbours"].bundled] == [NEIGHBOURS_FILE]
    assert [b.path for b in IMPORTERS["lait-indicators"].bundled] == [LAIT_INDICATORS_FILE]


def test_neighbour_not_in_file_rejected(tmp_path: Path, empty_store: Engine) -> None:
    book = openpyxl.load_workbook(NEIGHBOURS_FILE)
    sheet = book.worksheets[0]
    assert sheet.cell(row=4, column=6).value in (308, "308")  # Barking and Dagenham's SN1
    sheet.cell(row=4, column=6).value = 999
    bad = tmp_path / "sn.xlsx"
    book.save(bad)
    with pytest.raises(ImportRejected) as caught:
        lait.import_neighbours(empty_store, bad)
    assert [(p.row, p.column) for p in caught.value.problems] == [(4, "SN1")]
    assert "999 is not an LA listed in this file" in caught.value.problems[0].reason
    assert read_frame(empty_store, select(StatNeighbour.__table__)).empty  # type: ignore[attr-defined]


def test_not_a_workbook_rejected(tmp_path: Path, empty_store: Engine) -> None:
    bad = tmp_path / "la_code_list.xlsx"
    bad.write_text("LA Number,LA Name,Region\n301,Barking and Dagenham,Outer London\n")
    with pytest.raises(ImportRejected, match="not an XLSX workbook"):
        lait.import_las(empty_store, bad)
