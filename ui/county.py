"""Cached national computations for the county pages (overview, movement, districts).

Each heavy frame is computed once for all of England per data version and filtered per LA in memory.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from analytics import comparison, queries, trends
from analytics.metrics import county_kpis, uninspected_count
from ui import data

TREND_START = date(2005, 9, 1)
GROUPS = ["la_name", "phase", "sector"]


@st.cache_data(show_spinner=False, max_entries=2)
def schools(_version: int) -> pd.DataFrame:
    """England headlines plus the maintained/academy sector."""
    frame = data.england_headlines(_version).copy()
    frame["sector"] = trends.sector_of(frame)
    return frame


@st.cache_data(show_spinner="Loading the inspection history...", max_entries=2)
def inspections(_version: int) -> pd.DataFrame:
    return queries.inspections(data.engine())


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
    dates = trends.as_at_dates(TREND_START, data_date(_version), freq)
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
        column = next(
            (c for c in found.columns if "neighbour" in c.lower() and "name" in c.lower()),
            next((c for c in found.columns if "name" in c.lower()), found.columns[0]),
        )
        return [str(n) for n in found[column].dropna()]
    return [str(n) for n in found or []]


def neighbour_names(la: str) -> list[str]:
    """The LA's ten statistical neighbours (LAIT), when the neighbour file has been imported."""
    return _neighbours(data.version(), la)


CONSTITUENCY = "Parliamentary constituency"


def district_schemes(_version: int, la: str) -> list[str]:
    """Constituency (always) and any imported URN-to-district mappings covering this LA."""
    return [CONSTITUENCY]


def district_of(_version: int, schools: pd.DataFrame, scheme: str) -> pd.Series:
    """Each school's district under a scheme, aligned to `schools`' index."""
    return schools["constituency"].fillna("(no constituency)").astype(str)


def district_table(schools: pd.DataFrame, district: pd.Series) -> pd.DataFrame:
    return comparison.district_kpis(schools, district)
