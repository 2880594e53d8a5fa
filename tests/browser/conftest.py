"""Browser fixtures: Debian's Chromium (no Playwright download) against `streamlit run app.py` on demo data.

With CI=true a missing Chromium or axe-core fails the run; elsewhere the browser tests skip with the reason.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    APP,
    AXE,
    BROWSER_TODAY,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    TIMEOUT_MS,
    AppServer,
    missing,
)
from playwright.sync_api import Page

STARTUP_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:  # noqa: S310 (local URL)
            return bool(response.read().decode().strip() == "ok")
    except OSError:
        return False


@pytest.fixture(scope="session")
def app_server(demo_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """`streamlit run app.py` on a free port (demo SQLite: `init-demo` stored the early-warning model too);
    yields its URL, then stops it."""
    from signin import ensure_account

    database_url = f"sqlite:///{demo_sqlite}"
    ensure_account(database_url)  # the director over every LA that open_page signs in as
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    # "Today" fixed (the data-age line and its warning are then the same on every run).
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{demo_sqlite}", "ANALYTICS_TODAY": BROWSER_TODAY}
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = AppServer(url, log_path).log_tail()
                pytest.fail(f"streamlit did not become healthy at {url}:\n{tail}")
            time.sleep(0.5)
        yield AppServer(url, log_path, database_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser_type_launch_args(pytestconfig: pytest.Config) -> dict[str, Any]:
    """pytest-playwright launch options: Debian's Chromium with the closed-network flags."""
    if not CHROMIUM.exists():
        missing(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium; never `playwright install`)")
    return {"executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], app_server: AppServer) -> dict[str, Any]:
    return {**browser_context_args, "base_url": app_server.url, "viewport": {"width": 1400, "height": 900}}


@pytest.fixture
def app_page(page: Page) -> Page:
    """A fresh tab (one per test) with generous timeouts for first renders on the national data."""
    page.set_default_timeout(TIMEOUT_MS)
    return page


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE.exists():
        missing(f"axe-core not found at {AXE} (run `npm install --no-package-lock`, done by `make test`)")
    return AXE
