"""Cached loaders for the school drilldown, keyed on the data version (every import bumps it)."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from analytics import queries
from analytics import school_profile as sp
from ui.data import engine


@st.cache_data(show_spinner="Building the school index...", max_entries=2)
def directory(_version: int) -> pd.DataFrame:
    """Every school in the store (open and closed predecessors) with its search key."""
    return sp.search_index(schools(_version))


@st.cache_data(show_spinner=False, max_entries=2)
def schools(_version: int) -> pd.DataFrame:
    return queries.schools(engine(), queries.Scope.england(), open_only=False)


@st.cache_data(show_spinner=False, max_entries=2)
def links(_version: int) -> pd.DataFrame:
    return queries.school_links(engine())


@st.cache_data(show_spinner="Computing LA and England averages...", max_entries=2)
def context_sums(_version: int) -> pd.DataFrame:
    """Sums of every context measure by LA, phase and year (see queries.context_sums_by_la)."""
    groups = sp.comparison_groups(schools(_version), links(_version))
    return queries.context_sums_by_la(engine(), groups, sp.WEIGHTS, sp.DIFFERENCES)


@st.cache_data(show_spinner=False, max_entries=16)
def benchmarks(_version: int, phase: str | None) -> pd.DataFrame:
    """LA and England averages over schools of the phase (see school_profile.benchmarks)."""
    return sp.benchmarks(context_sums(_version), phase)


@st.cache_data(show_spinner=False, max_entries=64)
def inspections(_version: int, urns: tuple[int, ...], numbers: tuple[str, ...]) -> pd.DataFrame:
    """Inspections of these URNs plus those Ofsted's pointers name (predecessors the links may miss)."""
    named = queries.inspections_by_number(engine(), list(numbers)) if numbers else None
    every = set(urns) | ({int(u) for u in named["urn"]} if named is not None else set())
    return queries.inspections(engine(), sorted(every))


@st.cache_data(show_spinner=False, max_entries=64)
def context(_version: int, urns: tuple[int, ...]) -> pd.DataFrame:
    return queries.context_values(engine(), list(urns), sp.BENCHMARK_INPUTS)


def school_url(urn: int) -> str:
    """Relative deep link to a school's drilldown, e.g. for `st.column_config.LinkColumn` in any school list
    (or use `st.page_link("pages/school.py", query_params={"urn": str(urn)})`)."""
    return f"/school?urn={int(urn)}"


def hook(module: str, name: str) -> Callable[..., Any] | None:
    """A per-school function another issue provides, if it has landed: `module.name(engine, urn)` returning
    a DataFrame to show (`analytics.risk.school_risk`: score and drivers;
    `analytics.register.school_register`: LA category history, notes, interventions). None until then; the
    page then says "not available yet"."""
    if importlib.util.find_spec(module) is None:
        return None
    found = getattr(importlib.import_module(module), name, None)
    return found if callable(found) else None
