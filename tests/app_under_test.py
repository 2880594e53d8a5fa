"""Point the app at one database for AppTests (AppTest runs app.py in the test process).

Streamlit's data caches (`st.cache_data`) are not cleared between tests, as in a long-running server: every
cached frame is keyed on the database and its data version (and the viewer's scope), so a cached result can
never cross stores, and a test that finds one crossing is finding a real bug. The settings (read from the
environment once) and the engines (`st.cache_resource` and the store's per-URL cache) are reset, so that each
test's engine is made for its own database file.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st

from analytics.config import get_settings
from analytics.store import reset_engine_cache


def serve(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """In a fixture: `yield from serve(url, monkeypatch)`; the app reads `database_url` until it ends."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    _forget_settings_and_engines()
    yield database_url
    _forget_settings_and_engines()


def _forget_settings_and_engines() -> None:
    get_settings.cache_clear()
    reset_engine_cache()
    st.cache_resource.clear()
