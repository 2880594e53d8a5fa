"""In Chromium: record a level on the Register page, then see it on the school page and in the meeting view.

The school is a real one from the published Ofsted file (csv module): the first school of Hartlepool judged
Requires improvement at its own latest graded inspection.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from browser_support import ROOT, AppServer, assert_accessible, assert_no_exception, open_page, wait_idle
from playwright.sync_api import Page
from signin import PASSWORD, ensure_account

pytestmark = pytest.mark.browser

OFSTED_CSV = next((ROOT / "data" / "ofsted-state-funded-inspections-outcomes-2025-08").glob("*.csv"))
LA = "Hartlepool"
EDITOR = "dsim@hartlepool.gov.uk"
REASON = "Browser test: RI, leadership changes, attendance slipping"


def _school() -> tuple[str, str]:
    with OFSTED_CSV.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            own = row["Does the latest graded inspection relate to the URN of the current school?"] == "Yes"
            if row["Local authority"] == LA and row["Overall effectiveness"] == "3" and own:
                return row["URN"].strip(), row["School name"].strip()
    raise AssertionError(f"no school judged RI in {LA}")


def test_record_a_level_and_see_it_everywhere(
    app_page: Page, app_server: AppServer, axe_source: Path
) -> None:
    urn, name = _school()
    ensure_account(app_server.database_url, "director", la=LA, email=EDITOR)
    open_page(app_page, f"/register?la={LA}", login=(EDITOR, PASSWORD))  # signed in: changes record EDITOR
    assert_no_exception(app_page, "/register", app_server)
    app_page.get_by_text("Record a decision", exact=True).click()
    wait_idle(app_page)
    app_page.get_by_role("combobox", name=re.compile("^School")).click()
    app_page.keyboard.type(urn)
    app_page.keyboard.press("Enter")
    wait_idle(app_page)
    app_page.get_by_role("combobox", name=re.compile("^Level")).click()
    app_page.get_by_role("option", name="Intensive (red)").click()
    app_page.get_by_label("Reason (required)").fill(REASON)
    assert_accessible(app_page, axe_source, "/register (decision form)")
    app_page.get_by_role("button", name="Record the decision").click()
    wait_idle(app_page)
    assert_no_exception(app_page, "/register after saving", app_server)
    main = app_page.locator("[data-testid='stMain']")
    assert main.get_by_text("Saved.").count() == 1, app_server.log_tail()
    assert main.get_by_text(f"URN {urn}: Intensive (red) recorded (version 1).").count() == 1

    open_page(app_page, f"/school?urn={urn}")
    assert_no_exception(app_page, f"/school?urn={urn}", app_server)
    main = app_page.locator("[data-testid='stMain']")
    assert main.get_by_text("LA category history, notes of visit and interventions").count() == 1
    assert main.get_by_text("Intensive (red)", exact=True).count() >= 1
    assert main.get_by_text(REASON, exact=True).count() >= 1

    open_page(app_page, f"/meeting?la={LA}")
    assert_no_exception(app_page, "/meeting", app_server)
    main = app_page.locator("[data-testid='stMain']")
    assert main.get_by_text("Changes since the last meeting").count() == 1
    assert main.get_by_text("new entry", exact=True).count() >= 1
    assert main.get_by_text(name, exact=True).count() >= 1
    assert main.get_by_text(re.compile(r"Intensive \(red\): 0 then, 1 now")).count() == 1
    assert_accessible(app_page, axe_source, "/meeting with a change")
