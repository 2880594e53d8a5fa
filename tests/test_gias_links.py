"""GIAS links importer and lineage on the real links file; expected values read with the csv module."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine

from analytics import lineage
from analytics.ingest import gias_links
from analytics.ingest.registry import GIAS_LINKS_FILE, IMPORTERS
from analytics.queries import school_links


def _csv_rows() -> list[dict[str, str]]:
    with GIAS_LINKS_FILE.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def links_frame() -> pd.DataFrame:
    """The parsed file in the shape `school_links` returns (parsing validated separately below)."""
    return gias_links.parse(GIAS_LINKS_FILE)


def test_import_real_file_on_both_backends(empty_store: Engine) -> None:
    rows = _csv_rows()
    result = gias_links.import_file(empty_store, GIAS_LINKS_FILE)
    assert result.rows_read == len(rows) == 34044
    assert result.rows_inserted == len(rows)
    stored = school_links(empty_store)
    assert len(stored) == len(rows)
    by_key = stored.set_index(["urn", "link_urn", "link_type"])
    # Windows-1252 characters the GIAS download replaced by U+FFFD stay as published.
    thomas = next(r for r in rows if r["URN"] == "108299" and r["LinkURN"] == "138950")
    got = by_key.loc[(108299, 138950, thomas["LinkType"])]
    assert got["link_name"] == thomas["LinkName"] and "\ufffd" in got["link_name"]
    assert got["link_date"] == date(2012, 10, 31)
    blank = next(r for r in rows if r["URN"] == "100016" and r["LinkURN"] == "132245")
    assert blank["LinkEstablishedDate"] == ""
    assert pd.isna(by_key.loc[(100016, 132245, "Successor"), "link_date"])
    # Re-importing changes nothing.
    again = gias_links.import_file(empty_store, GIAS_LINKS_FILE)
    assert again.rows_inserted == 0
    assert len(school_links(empty_store)) == len(rows)


def test_registered_for_init_demo_and_cli() -> None:
    importer = IMPORTERS["gias-links"]
    assert [b.path for b in importer.bundled] == [GIAS_LINKS_FILE]


def test_goose_green_chain(links_frame: pd.DataFrame) -> None:
    # From the CSV: 100792 Grove Vale School -> 132022 Goose Green Primary School
    # -> 138842 (academy, 01-10-2012) -> 145130 Goose Green Primary and Nursery School
    # (01-09-2017; the predecessor's row says 31-08-2017: the later date is kept).
    back = lineage.predecessors(links_frame, 145130)
    assert back["urn"].tolist() == [138842, 132022, 100792]
    assert back["generation"].tolist() == [1, 2, 3]
    assert back["name"].tolist() == [
        "Goose Green Primary School", "Goose Green Primary School", "Grove Vale School"
    ]
    assert back["link_date"].tolist()[:2] == [date(2017, 9, 1), date(2012, 10, 1)]
    assert pd.isna(back["link_date"].iloc[2])
    assert set(back["link_type"]) == {"Predecessor"}
    forward = lineage.successors(links_frame, 100792)
    assert forward["urn"].tolist() == [132022, 138842, 145130]
    assert forward["link_type"].tolist() == ["Successor"] * 3
    current = lineage.current_urn_map(links_frame)
    assert current.loc[[100792, 132022, 138842]].tolist() == [145130] * 3
    assert 145130 not in current.index


def test_two_predecessors_merge(links_frame: pd.DataFrame) -> None:
    # Kingsgate Infant (100017) and Junior (100016) both became Kingsgate Primary School (132245).
    back = lineage.predecessors(links_frame, 132245)
    assert sorted(back["urn"]) == [100016, 100017]
    assert set(back["generation"]) == {1}
    assert back.set_index("urn")["name"].to_dict() == {100016: "Kingsgate Junior School",
                                                       100017: "Kingsgate Infant School"}
    current = lineage.current_urn_map(links_frame)
    assert current.loc[[100016, 100017]].tolist() == [132245, 132245]
    assert 132245 not in current.index  # no successor in the CSV


def test_cycles_are_safe(links_frame: pd.DataFrame) -> None:
    # 101144 and 101146 are each recorded as the other's 'Successor - merged' (31-08-2022).
    assert lineage.successors(links_frame, 101144)["urn"].tolist() == [101146]
    assert lineage.predecessors(links_frame, 101144)["urn"].tolist() == [101146]
    current = lineage.current_urn_map(links_frame)
    assert current.loc[101144] == 101146
    assert 101146 not in current.index


def test_unknown_urn_has_empty_chains(links_frame: pd.DataFrame) -> None:
    assert lineage.predecessors(links_frame, 1).empty
    assert list(lineage.successors(links_frame, 1).columns) == lineage.CHAIN_COLUMNS


def test_current_urn_map_matches_naive_walk_on_simple_chains(links_frame: pd.DataFrame) -> None:
    """Where every step has one successor and no cycle the answer is unambiguous: walk it in plain Python."""
    succ: dict[str, set[str]] = defaultdict(set)
    for row in _csv_rows():
        if row["LinkType"].startswith("Successor"):
            succ[row["URN"]].add(row["LinkURN"])
        elif row["LinkType"].startswith("Predecessor"):
            succ[row["LinkURN"]].add(row["URN"])
    expected = {}
    for start in succ:
        node, seen, simple = start, {start}, True
        while node in succ:
            if len(succ[node]) != 1:
                simple = False
                break
            (node,) = succ[node]
            if node in seen:
                simple = False
                break
            seen.add(node)
        if simple:
            expected[int(start)] = int(node)
    assert len(expected) > 15000
    current = lineage.current_urn_map(links_frame)
    got = current.reindex(list(expected)).to_dict()
    assert got == expected
