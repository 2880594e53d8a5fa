"""The app under test: point it at one database for AppTests (AppTest runs app.py in the test process), and
run its command line in a new process.

Streamlit's data caches (`st.cache_data`) are not cleared between tests, as in a long-running server: every
cached frame is keyed on the database and its data version (and the viewer's scope), so a cached result can
never cross stores, and a test that finds one crossing is finding a real bug. The settings (read from the
environment once) and the engines (`st.cache_resource` and the store's per-URL cache) are reset, so that each
test's engine is made for its own database file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import streamlit as st

from analytics.config import get_settings
from analytics.store import reset_engine_cache

ROOT = Path(__file__).resolve().parents[1]


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


def environment_for(database_url: str) -> dict[str, str]:
    """This process's environment with DATABASE_URL set: for running the command line on one database."""
    return {**os.environ, "DATABASE_URL": database_url}


def analytics_cli(env: Mapping[str, str], *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """`python -m analytics ARGS` in a new process with the environment `env` (any exit status returns)."""
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
