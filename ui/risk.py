"""Cached access to the stored risk model's metadata and scores for the risk pages."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analytics.risk import store

TRAIN_HINT = (
    "No early-warning model has been trained yet. An analyst can train it with `python -m analytics train` "
    "(about a minute on all of England); this page then shows its results."
)


def metadata() -> dict[str, Any] | None:
    """Metadata of the newest stored model (a small JSON file; read on every run so a new model
    shows at once)."""
    return store.latest_metadata()


@st.cache_data(show_spinner="Loading risk scores...", max_entries=2)
def scores(path: str) -> pd.DataFrame:
    del path  # cache key: a new model file means new scores
    found = store.latest_scores()
    return (
        found
        if found is not None
        else pd.DataFrame(columns=["urn", "risk", "band", "national_share", "drivers"])
    )
