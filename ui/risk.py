"""Cached access to the stored early-warning model for the risk pages and the register.

Every loader takes the database (with its data version where the result depends on the data) and the stored
model's id as ordinary (hashed) parameters: an import bumps the version and a retrained model gets a new id,
so the next rerun of every session shows them. Both are read on every run (two cheap queries).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from analytics.risk import school_risk, store
from analytics.risk.listing import risk_listing
from analytics.scope import Scope
from ui.read import DataKey, Reader, engine
from ui.text import escape

TRAIN_HINT = (
    "No early-warning model is stored yet. `python -m analytics init-demo` trains it on first run (about a "
    "minute); an analyst can retrain it at any time with `python -m analytics train`."
)


def plain(text: object) -> str:
    """Text from the data made safe for Streamlit elements that interpret Markdown (titles, captions)."""
    return escape(text)


def when(iso: str) -> str:
    """A stored timestamp for people: '30 Nov 2026 09:50 UTC'."""
    stamp = datetime.fromisoformat(iso)
    return f"{stamp.day} {stamp:%b %Y %H:%M} UTC"


def model_id() -> int | None:
    """Id of the newest stored model (None when none is stored): the one place the pages read it, on every run
    (one cheap query); the cached loaders take it as their key."""
    return store.latest_id(engine())


@st.cache_data(show_spinner=False, max_entries=4)
def metadata(data: DataKey, model: int) -> dict[str, Any] | None:
    """Metadata of the newest stored model (backtests, coefficients, reliability, cautions); the database, its
    data version and the model id are the cache key."""
    del data, model
    return store.latest_metadata(engine())


@st.cache_data(show_spinner="Loading risk scores...", max_entries=4)
def scores(database: str, model: int) -> pd.DataFrame:
    """Every scored open school of England from the stored model `model` of `database`, riskiest first, with
    every stored column (callers project the ones they need). The one loader of the scores: a stored model's
    scores never change and a new model has a new id, so the database and the model id are the whole key (an
    import does not re-read them; the database is there because two stores served by one process, as in the
    tests, may both have a model 1)."""
    del database
    return store.scores_of(engine(), model)


@st.cache_data(show_spinner=False, max_entries=256)
def school_card(database: str, model: int, urn: int) -> pd.DataFrame | None:
    """One school's stored score, likely range and drivers (`analytics.risk.school_risk`), model `model`."""
    del database, model
    return school_risk(engine(), urn)


def register(rm: Reader, model: int, la: str) -> pd.DataFrame:
    """The LA's open schools (in the viewer's scope) with their risk, likely range, rank in the LA,
    caution and due date (the read model's due table, as on the school page)."""
    return _register(rm.data, rm.scope, model, la)


@st.cache_data(show_spinner="Loading the LA's schools...", max_entries=16)
def _register(data: DataKey, scope: Scope, model: int, la: str) -> pd.DataFrame:
    """Keyed on the scope, not the viewer: every director shares one entry (per viewer, twenty directors
    recomputed it twenty times per data version and evicted each other)."""
    rm = Reader(data, scope)
    headlines = rm.schools(la)
    table = risk_listing(headlines, scores(data.database, model), rm.due())
    sector = headlines.set_index("urn")["sector"]
    table.insert(4, "Sector", sector.reindex(table["URN"]).to_numpy())
    return table
