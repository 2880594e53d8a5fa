"""Cached access to the store for pages. Caches are keyed on the data version, which every import bumps."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from analytics import queries
from analytics.config import get_settings
from analytics.store import data_version, get_engine


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    return get_engine(get_settings().database_url)


def version() -> int:
    return data_version(engine())


@st.cache_data(show_spinner=False, max_entries=4)
def la_names(_version: int) -> list[str]:
    return queries.la_names(engine())


@st.cache_data(show_spinner="Loading schools...", max_entries=4)
def england_headlines(_version: int) -> pd.DataFrame:
    """Every open school in England with its headline grade (filtered per LA by callers, in memory)."""
    return queries.school_headlines(engine(), queries.Scope.england())


def default_la(names: list[str]) -> str:
    configured = get_settings().default_la
    return configured if configured in names else names[0]
