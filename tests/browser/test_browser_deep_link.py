"""A deep link to a school (`/school?urn=...`) opens that school's drilldown, which passes axe-core too."""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path

import pytest
from browser_support import ROOT, AppServer, assert_accessible, assert_no_exception, open_page
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser

OFSTED_CSV = next((ROOT / "data" / "ofsted-state-funded-inspections-outcomes-2025-08").glob("*.csv"))


def _real_school() -> tuple[str, str]:
    """An open school from the published Ofsted file: the first row with a URN and a graded inspection."""
    with OFSTED_CSV.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["URN"].strip().isdigit() and row["Inspection number of latest graded inspection"].strip():
                return row["URN"].strip(), row["School name"].strip()
    raise AssertionError(f"no school with a graded inspection in {OFSTED_CSV}")


def test_deep_link_shows_the_school(app_page: Page, app_server: AppServer) -> None:
    urn, name = _real_school()
    open_page(app_page, f"/school?urn={urn}")
    assert_no_exception(app_page, f"/school?urn={urn}", app_server)
    main = app_page.locator("[data-testid='stMain']")
    shown = main.get_by_text(name, exact=False)
    # The header is drawn before the timeline: wait for it rather than count mid-render.
    with contextlib.suppress(PlaywrightTimeout):
        shown.first.wait_for(state="visible", timeout=60_000)
    assert shown.count() >= 1, f"/school?urn={urn} does not show {name!r}"
    assert "urn=" + urn in app_page.url


def test_school_drilldown_accessibility(app_page: Page, app_server: AppServer, axe_source: Path) -> None:
    """The drilldown with a school selected (charts, tables, timeline) is far richer than the bare page."""
    urn, _name = _real_school()
    open_page(app_page, f"/school?urn={urn}")
    assert_no_exception(app_page, f"/school?urn={urn}", app_server)
    assert_accessible(app_page, axe_source, f"/school?urn={urn}")
