"""The members' termly summary as HTML passes axe-core in Chromium (no serious or critical violation), for
two LAs of the demo data; it is opened as a page of its own (it is a file members receive)."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import assert_accessible
from playwright.sync_api import Page

from analytics.reports import gather
from analytics.reports.html import render_html
from analytics.store.engine import make_engine

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("la", ["Blackpool", "Rutland"])
def test_members_summary_html_is_accessible(
    app_page: Page, demo_sqlite: Path, axe_source: Path, tmp_path: Path, la: str
) -> None:
    engine = make_engine(f"sqlite:///{demo_sqlite}")
    try:
        src = gather.Sources(engine)
        html = render_html(gather.members_pack(engine, la, gather.current_term(src.data_date), src=src))
    finally:
        engine.dispose()
    page_file = tmp_path / "summary.html"
    page_file.write_text(html, encoding="utf-8")
    app_page.goto(page_file.as_uri())
    assert app_page.locator("h1").count() == 1
    assert app_page.locator("main").count() == 1
    assert app_page.locator("table caption").count() >= 3
    assert app_page.locator("img:not([alt])").count() == 0
    assert_accessible(app_page, axe_source, f"members' summary HTML for {la}")
