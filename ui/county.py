"""Cached national computations for the county pages (overview, movement, districts).

Each heavy frame is computed once for all of England per data version and filtered per LA in memory.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from analytics import comparison, queries, trends
from analytics.metrics import county_kpis, uninspected_count
from ui import data

TREND_START = date(2005, 9, 1)
MONTHLY_START = date(2018, 9, 1)  # month ends: the recent years, where monthly meetings look
GROUPS = ["la_name", "phase", "sector"]


@st.cache_data(show_spinner=False, max_entries=2)
def schools(_version: int) -> pd.DataFrame:
    """England headlines plus the maintained/academy sector."""
    frame = data.england_headlines(_version).copy()
    frame["sector"] = trends.sector_of(frame)
    return frame


@st.cache_data(show_spinner=False, max_entries=2)
def phases(_version: int) -> list[str]:
    return sorted(schools(_version)["phase"].dropna().unique())


@st.cache_data(show_spinner="Loading the inspection history...", max_entries=2)
def inspections(_version: int) -> pd.DataFrame:
    return queries.grade_history(data.engine())


@st.cache_data(show_spinner=False, max_entries=2)
def links(_version: int) -> pd.DataFrame:
    return trends.gias_links(queries.school_links(data.engine()))


def data_date(_version: int) -> date:
    """Date of the latest Ofsted release in the store (the headline 'as at' date)."""
    as_at = schools(_version)["as_at"].dropna()
    return pd.Timestamp(as_at.max()).date() if not as_at.empty else date.today()


@st.cache_data(show_spinner="Reconstructing grades over time...", max_entries=4)
def trend_counts(_version: int, freq: str = "term") -> pd.DataFrame:
    """Additive KPI counts for every as-at date x LA x phase x sector (all of England, computed once)."""
    frame = schools(_version)
    start = MONTHLY_START if freq == "month" else TREND_START
    dates = trends.as_at_dates(start, data_date(_version), freq)
    final = pd.Timestamp(data_date(_version))
    if not dates or dates[-1] != final:
        dates.append(final)
    panel = trends.grade_panel(frame, inspections(_version), dates, links(_version))
    return trends.panel_counts(panel, frame, GROUPS)


@st.cache_data(show_spinner=False, max_entries=2)
def lineage(_version: int) -> pd.DataFrame:
    """Every graded inspection tagged with today's URN and the lineage's previous grade (movement tables)."""
    return trends.movement_lineage(schools(_version), inspections(_version), links(_version))


@st.cache_data(show_spinner=False, max_entries=2)
def exact_from(_version: int) -> pd.Series:
    return trends.exact_from(schools(_version), inspections(_version)).rename_axis("urn")


def filtered(frame: pd.DataFrame, la: str | None, phase: str | None, sector: str | None) -> pd.DataFrame:
    """Rows of a school-level or counts frame for one LA (None = England), phase and sector ('All' = any)."""
    mask = pd.Series(True, index=frame.index)
    if la:
        mask &= frame["la_name"] == la
    if phase and phase != "All":
        mask &= frame["phase"] == phase
    if sector and sector != "All":
        mask &= frame["sector"] == sector
    return frame[mask]


def headline_kpis(frame: pd.DataFrame) -> dict[str, Any]:
    """The CLI's KPIs (`metrics.county_kpis`) plus the uninspected count."""
    kpis = county_kpis(frame)
    kpis["schools_uninspected"] = uninspected_count(frame)
    return kpis


@st.cache_data(show_spinner=False, max_entries=8)
def england_kpis(_version: int, phase: str, sector: str) -> dict[str, Any]:
    return headline_kpis(filtered(schools(_version), None, phase, sector))


@st.cache_data(show_spinner=False, max_entries=16)
def la_good_or_outstanding(_version: int, phase: str, sector: str) -> pd.DataFrame:
    return comparison.la_good_or_outstanding(filtered(schools(_version), None, phase, sector))


def neighbour_table(
    by_la: pd.DataFrame, la: str, neighbours: list[str], england_pct: float | None
) -> pd.DataFrame:
    return comparison.neighbour_table(by_la, la, neighbours, england_pct)


@st.cache_data(show_spinner=False, max_entries=64)
def _neighbours(_version: int, la: str) -> list[str]:
    finder = getattr(queries, "stat_neighbours", None)
    if finder is None:
        return []
    found = finder(data.engine(), la)
    if isinstance(found, pd.DataFrame):
        column = "neighbour_ofsted_name" if "neighbour_ofsted_name" in found else found.columns[-1]
        return [str(n) for n in found[column].dropna()]
    return [str(n) for n in found or []]


def neighbour_names(la: str) -> list[str]:
    """The LA's ten statistical neighbours (LAIT), when the neighbour file has been imported."""
    return _neighbours(data.version(), la)


CONSTITUENCY = "Parliamentary constituency"


@st.cache_data(show_spinner=False, max_entries=4)
def district_schemes(_version: int) -> list[str]:
    """Constituency (always) first, then the imported URN-to-district mappings in the store."""
    finder = getattr(queries, "district_schemes", None)
    return [CONSTITUENCY, *(finder(data.engine()) if finder else [])]


@st.cache_data(show_spinner=False, max_entries=8)
def _mapping(_version: int, scheme: str) -> pd.DataFrame | None:
    finder = getattr(queries, "district_mapping", None)
    return None if scheme == CONSTITUENCY or finder is None else finder(data.engine(), scheme)


def district_of(_version: int, schools: pd.DataFrame, scheme: str) -> pd.Series:
    """Each school's district under a scheme, aligned to `schools`' index."""
    try:
        from analytics.districts import district_of as assign
    except ImportError:  # the districts module is not in this build: constituency only
        return schools["constituency"].fillna("(no constituency)").astype(str)
    return assign(schools, _mapping(_version, scheme)).astype(str)


def import_districts(path: str, scheme: str) -> str:
    """Run the districts importer (all-or-nothing) on an uploaded file; returns its one-line result."""
    from analytics.ingest.registry import IMPORTERS

    result = IMPORTERS["districts"].load(data.engine(), Path(path), scheme=scheme)
    return f"{result.rows_read:,} rows read, {result.rows_inserted:,} schools mapped"


def can_import_districts() -> bool:
    from analytics.ingest.registry import IMPORTERS

    return "districts" in IMPORTERS


def district_table(schools: pd.DataFrame, district: pd.Series) -> pd.DataFrame:
    return comparison.district_kpis(schools, district)
