"""District mappings: importer (CSV and XLSX cut from real URNs), query, and the `district_of` rule."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from analytics.districts import NO_CONSTITUENCY, UNMAPPED, district_of
from analytics.ingest import districts, ofsted_outcomes
from analytics.ingest.common import ImportRejected
from analytics.ingest.registry import OFSTED_FILE
from analytics.queries import Scope, district_mapping, district_schemes, schools
from analytics.store.models import District

LA = "Rutland"


def _rutland() -> list[dict[str, str]]:
    """Rutland's open schools, read from the real Ofsted file with the csv module."""
    with OFSTED_FILE.open(encoding="cp1252", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["Local authority"] == LA]


def _mapping_rows() -> list[tuple[str, str]]:
    """A made-up two-locality split of Rutland's real URNs (alphabetical by school name)."""
    rows = sorted(_rutland(), key=lambda r: r["School name"])
    half = len(rows) // 2
    return [(r["URN"], "Oakham" if i < half else "Uppingham") for i, r in enumerate(rows)]


def _write_csv(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def store(empty_store: Engine) -> Engine:
    ofsted_outcomes.import_file(empty_store, OFSTED_FILE)
    return empty_store


def test_import_replace_and_reject(store: Engine, tmp_path: Path) -> None:
    rows = _mapping_rows()
    assert len(rows) > 10
    # Lower-case 'urn', 'Locality' instead of District, and an extra column: all accepted.
    first = _write_csv(tmp_path / "localities.csv", ["urn", "School", "Locality"],
                       [(urn, "x", district) for urn, district in rows])
    result = districts.import_file(store, first, scheme="localities")
    assert result.rows_inserted == len(rows)
    got = district_mapping(store, "localities")
    assert dict(zip(got["urn"].astype(str), got["district"], strict=True)) == dict(rows)
    assert set(got["la_name"]) == {LA}
    assert district_schemes(store) == ["localities"]

    # A second scheme does not touch the first; re-importing a smaller file replaces its own scheme only.
    other = _write_csv(tmp_path / "other.csv", ["URN", "District"], [(urn, "All Rutland") for urn, _ in rows])
    districts.import_file(store, other)  # default scheme "imported"
    smaller = _write_csv(tmp_path / "smaller.csv", ["URN", "District"], rows[:5])
    districts.import_file(store, smaller, scheme="localities")
    assert len(district_mapping(store, "localities")) == 5
    assert len(district_mapping(store, "imported")) == len(rows)
    assert district_schemes(store) == ["imported", "localities"]
    with store.connect() as connection:
        query = select(District.name).where(District.scheme == "localities")  # type: ignore[call-overload]
        names = set(connection.execute(query).scalars())
    assert names == {d for _u, d in rows[:5]}  # districts no longer used are removed

    def unchanged() -> None:
        assert len(district_mapping(store, "localities")) == 5
        assert len(district_mapping(store, "imported")) == len(rows)

    # Unknown URN (row 4 of the file) -> rejected, nothing changed.
    unknown = _write_csv(tmp_path / "unknown.csv", ["URN", "District"], [*rows[:2], ("999999", "Oakham")])
    with pytest.raises(ImportRejected) as caught:
        districts.import_file(store, unknown, scheme="localities")
    assert [(p.row, p.column) for p in caught.value.problems] == [(4, "URN")]
    assert "999999 is not a school" in caught.value.problems[0].reason
    unchanged()

    # Duplicate URN -> rejected.
    duplicate = _write_csv(
        tmp_path / "dup.csv", ["URN", "District"], [rows[0], rows[1], (rows[0][0], "Elsewhere")]
    )
    with pytest.raises(ImportRejected, match="duplicate URN") as caught:
        districts.import_file(store, duplicate, scheme="localities")
    assert caught.value.problems[0].row == 4
    unchanged()

    # Blank district, malformed URN, missing column, reserved scheme name.
    blank = _write_csv(tmp_path / "blank.csv", ["URN", "District"], [(rows[0][0], ""), ("12x", "Oakham")])
    with pytest.raises(ImportRejected) as caught:
        districts.import_file(store, blank, scheme="localities")
    assert {(p.row, p.column) for p in caught.value.problems} == {(2, "District"), (3, "URN")}
    no_district = _write_csv(tmp_path / "nodistrict.csv", ["URN", "Area"], rows[:3])
    with pytest.raises(ImportRejected, match="required column is missing"):
        districts.import_file(store, no_district, scheme="localities")
    with pytest.raises(ImportRejected, match="cannot be used as a mapping name"):
        districts.import_file(store, first, scheme="constituency")
    unchanged()


def test_import_xlsx(store: Engine, tmp_path: Path) -> None:
    rows = _mapping_rows()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["URN", "DISTRICT"])
    for urn, district in rows:
        sheet.append([int(urn), district])
    path = tmp_path / "districts.xlsx"
    book.save(path)
    districts.import_file(store, path, scheme="xlsx")
    got = district_mapping(store, "xlsx")
    assert dict(zip(got["urn"].astype(str), got["district"], strict=True)) == dict(rows)


def test_district_of(store: Engine, tmp_path: Path) -> None:
    rutland = schools(store, Scope.la(LA))
    by_urn = {row["URN"]: row["Parliamentary constituency"] for row in _rutland()}
    default = district_of(rutland)
    assert list(default.index) == list(rutland.index)
    assert dict(zip(rutland["urn"].astype(str), default, strict=True)) == {
        urn: constituency or NO_CONSTITUENCY for urn, constituency in by_urn.items()
    }
    rows = _mapping_rows()
    districts.import_file(store, _write_csv(tmp_path / "d.csv", ["URN", "District"], rows[:-1]))
    mapped = district_of(rutland, district_mapping(store, "imported"))
    expected = dict(rows[:-1]) | {rows[-1][0]: UNMAPPED}
    assert dict(zip(rutland["urn"].astype(str), mapped, strict=True)) == expected


def test_district_of_pure() -> None:
    frame = pd.DataFrame({"urn": [1, 2, 3], "constituency": ["A", None, "B"]}, index=[10, 11, 12])
    assert district_of(frame).tolist() == ["A", NO_CONSTITUENCY, "B"]
    mapping = pd.DataFrame({"urn": [3, 1], "district": ["North", "South"]})
    assert district_of(frame, mapping).tolist() == ["South", UNMAPPED, "North"]
    assert district_of(frame, mapping).index.tolist() == [10, 11, 12]
