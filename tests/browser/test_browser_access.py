"""In Chromium, through the real sign-in form: a wrong password, then three roles (director, member,
headteacher without the memorandum) each see their own menu and data, and an address outside a role's pages
or scope says so plainly. Schools are real ones from the published Ofsted file (csv module)."""

from __future__ import annotations

import csv
import re

import pytest
from browser_support import ROOT, AppServer, assert_no_exception, open_page, wait_idle
from playwright.sync_api import Page
from signin import PASSWORD, ensure_account

pytestmark = pytest.mark.browser

OFSTED_CSV = next((ROOT / "data" / "ofsted-state-funded-inspections-outcomes-2025-08").glob("*.csv"))
LA = "Hartlepool"
NAV_LINK = "[data-testid='stSidebarNav'] [data-testid='stSidebarNavLink']"


def _schools(la: str) -> list[tuple[str, str]]:
    with OFSTED_CSV.open(encoding="utf-8-sig", newline="") as handle:
        return [(r["URN"].strip(), r["School name"].strip()) for r in csv.DictReader(handle)
                if r["Local authority"] == la]


def _menu(page: Page) -> list[str]:
    labels = page.locator(f"{NAV_LINK} [data-testid='stMarkdownContainer']")
    return [label.strip() for label in labels.all_inner_texts()]


def test_a_wrong_password_shows_no_data(app_page: Page, app_server: AppServer) -> None:
    email = ensure_account(app_server.database_url, "director", la=LA)
    open_page(app_page, f"/?la={LA}", login=None)
    app_page.get_by_label("Email", exact=True).fill(email)
    app_page.get_by_label("Password", exact=True).fill("not the password at all")
    app_page.get_by_role("button", name="Sign in").click()
    wait_idle(app_page)
    main = app_page.locator("[data-testid='stMain']")
    assert main.get_by_text("Email or password not recognised.").count() == 1
    assert app_page.locator(NAV_LINK).count() == 0
    assert app_page.locator("[data-testid='stMetric'], [data-testid='stDataFrame']").count() == 0


def test_director_member_and_headteacher(app_page: Page, app_server: AppServer) -> None:
    director = ensure_account(app_server.database_url, "director", la=LA)
    open_page(app_page, f"/?la={LA}", login=(director, PASSWORD))
    assert_no_exception(app_page, "director /", app_server)
    assert app_page.locator("h1").first.inner_text().strip() == f"Overview: {LA}"
    assert {"Register", "Access log", "Data and imports"} <= set(_menu(app_page))
    assert "Users" not in _menu(app_page)

    member = ensure_account(app_server.database_url, "member", la=LA)
    open_page(app_page, "/", login=(member, PASSWORD))
    assert_no_exception(app_page, "member /", app_server)
    assert _menu(app_page) == ["Overview", "Movement", "Districts"]
    open_page(app_page, "/register", login=(member, PASSWORD))
    main = app_page.locator("[data-testid='stMain']")
    assert main.get_by_text("Your role (member) may not open the Register page.", exact=False).count() == 1
    assert app_page.locator("[data-testid='stDataFrame']").count() == 0

    (own, own_name), (other, other_name) = _schools(LA)[:2]
    head = ensure_account(app_server.database_url, "headteacher", urn=int(own), memorandum="not-signed")
    open_page(app_page, f"/school?urn={own}", login=(head, PASSWORD))
    assert_no_exception(app_page, f"headteacher /school?urn={own}", app_server)
    main = app_page.locator("[data-testid='stMain']")
    assert main.get_by_text(own_name, exact=False).count() >= 1
    open_page(app_page, f"/school?urn={other}", login=(head, PASSWORD))
    main = app_page.locator("[data-testid='stMain']")
    refusal = re.compile(rf"No school with URN {other} is in the data you may see")
    assert main.get_by_text(refusal).count() == 1
    assert main.get_by_text(other_name, exact=True).count() == 0
