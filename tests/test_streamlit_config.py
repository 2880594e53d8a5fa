"""The production settings (ENGINEERING-NOTES) are in .streamlit/config.toml and Streamlit applies them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".streamlit" / "config.toml"
EXPECTED: dict[str, Any] = {
    "client.showErrorDetails": "none",
    "client.toolbarMode": "viewer",
    "server.enableXsrfProtection": True,
    "server.enableCORS": True,
    "server.enableStaticServing": False,
    "browser.gatherUsageStats": False,
    "server.address": "127.0.0.1",
    "runner.postScriptGC": False,  # a full gc.collect after every run was ~19% of the CPU under load
    "runner.magicEnabled": False,  # a stray expression in a page is never rendered as Markdown
}
MAX_UPLOAD_MB = 50  # "small": well under Streamlit's 200 MB default


def _file_value(config: dict[str, Any], key: str) -> Any:
    section, name = key.split(".")
    return config.get(section, {}).get(name)


@pytest.fixture(scope="module")
def file_config() -> dict[str, Any]:
    return tomllib.loads(CONFIG.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def effective_config() -> dict[str, Any]:
    """The values Streamlit itself resolves when started from the repository root (no STREAMLIT_* env)."""
    keys = [*EXPECTED, "server.maxUploadSize"]
    code = ("import json, sys; from streamlit import config; config.get_config_options(force_reparse=True); "
            "print(json.dumps({k: config.get_option(k) for k in sys.argv[1:]}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    out = subprocess.run([sys.executable, "-c", code, *keys], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("key", list(EXPECTED))
def test_config_file_sets(file_config: dict[str, Any], key: str) -> None:
    assert _file_value(file_config, key) == EXPECTED[key], f"{CONFIG}: {key} should be {EXPECTED[key]!r}"


def test_config_file_upload_limit_is_small(file_config: dict[str, Any]) -> None:
    limit = _file_value(file_config, "server.maxUploadSize")
    assert isinstance(limit, int) and 1 <= limit <= MAX_UPLOAD_MB, f"server.maxUploadSize is {limit!r}"


@pytest.mark.parametrize("key", list(EXPECTED))
def test_streamlit_applies(effective_config: dict[str, Any], key: str) -> None:
    assert effective_config[key] == EXPECTED[key]


def test_streamlit_applies_upload_limit(effective_config: dict[str, Any]) -> None:
    assert 1 <= effective_config["server.maxUploadSize"] <= MAX_UPLOAD_MB


def test_no_unsafe_html_in_app_code() -> None:
    """Never `unsafe_allow_html` (ENGINEERING-NOTES): imported text must not be rendered as HTML."""
    files = [ROOT / "app.py", *(ROOT / "views").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]
    offenders = [str(p.relative_to(ROOT)) for p in files
                 if re.search(r"unsafe_allow_html\s*=\s*True", p.read_text(encoding="utf-8"))]
    assert not offenders, f"unsafe_allow_html used in {offenders}"
