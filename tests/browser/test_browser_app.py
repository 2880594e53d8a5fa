"""End-to-end in headless Chromium, signed in as a director over every LA (and an administrator for the Users
page): the menu shows the declared pages the role may open, each opens from it, axe-core passes."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from browser_support import (
    APP,
    IDLE,
    ROOT,
    AppServer,
    DeclaredPage,
    assert_accessible,
    assert_no_exception,
    declared_pages,
    open_page,
    wait_idle,
)
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from signin import DIRECTOR, PASSWORD, ensure_account

from analytics.access import Viewer

pytestmark = pytest.mark.browser

PAGES = declared_pages()
DIRECTOR_PAGES = [p for p in PAGES if Viewer("d@x.uk", "director").may_open("" if p.default else p.url_path)]
NAV_LINK = "[data-testid='stSidebarNav'] [data-testid='stSidebarNavLink']"


def _url(page_decl: DeclaredPage) -> str:
    return "/" if page_decl.default else f"/{page_decl.url_path}"


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("_", " ")).strip().casefold()


def _nav_labels(page: Page) -> list[str]:
    labels = page.locator(f"{NAV_LINK} [data-testid='stMarkdownContainer']")
    return [label.strip() for label in labels.all_inner_texts()]


def _nav_link(page: Page, title: str) -> Locator:
    label = page.locator("[data-testid='stMarkdownContainer']", has_text=re.compile(rf"^{re.escape(title)}$"))
    return page.locator(NAV_LINK).filter(has=label)


def test_app_py_declares_pages() -> None:
    """The parser sees every st.Page call (counted independently with a regex), each with a title."""
    source = APP.read_text(encoding="utf-8")
    assert len(PAGES) == len(re.findall(r"\bst\.Page\(", source)) >= 1
    assert sum(p.default for p in PAGES) == 1, "exactly one default (home) page"
    assert all(p.title for p in PAGES)
    for p in PAGES:
        assert (ROOT / p.path).is_file(), f"{p.path} declared in app.py does not exist"


def test_menu_lists_exactly_the_declared_pages(app_page: Page, app_server: AppServer) -> None:
    open_page(app_page, "/")
    assert_no_exception(app_page, "home", app_server)
    wanted = [p.title for p in DIRECTOR_PAGES]
    assert _nav_labels(app_page) == wanted, "menu differs from the director's pages declared in app.py"
    hrefs = [href or "" for href in (a.get_attribute("href") for a in app_page.locator(NAV_LINK).all())]
    assert [re.sub(r"^https?://[^/]+", "", h) for h in hrefs] == [_url(p) for p in DIRECTOR_PAGES]


@pytest.mark.parametrize("declared", DIRECTOR_PAGES, ids=[p.url_path for p in DIRECTOR_PAGES])
def test_navigate_to_page_through_menu(app_page: Page, app_server: AppServer, declared: DeclaredPage) -> None:
    start = next(p for p in DIRECTOR_PAGES if p != declared)  # start elsewhere so the click really navigates
    open_page(app_page, _url(start))
    link = _nav_link(app_page, declared.title)
    # The menu is drawn with the page: wait for the link before counting (a loaded machine draws slowly).
    with contextlib.suppress(PlaywrightTimeout):
        link.first.wait_for(state="visible", timeout=60_000)
    assert link.count() == 1, f"menu has no single link titled {declared.title!r}"
    link.click()
    app_page.wait_for_url(re.compile(rf"^https?://[^/]+{re.escape(_url(declared))}(\?.*)?$"))
    wait_idle(app_page)
    assert _nav_link(app_page, declared.title).get_attribute("aria-current") == "page"
    assert_no_exception(app_page, declared.title, app_server)
    heading = app_page.locator("h1").first
    heading.wait_for(state="visible")
    shown, wanted = _normalise(heading.inner_text()), _normalise(declared.title)
    assert shown and (wanted in shown or shown in wanted), f"{declared.title}: page heading is {shown!r}"


@pytest.mark.parametrize("declared", PAGES, ids=[p.url_path for p in PAGES])
def test_accessibility_scan(
    app_page: Page, app_server: AppServer, axe_source: Path, declared: DeclaredPage
) -> None:
    login = (DIRECTOR, PASSWORD)  # or an administrator for the pages only administrators open
    if declared not in DIRECTOR_PAGES:
        login = (ensure_account(app_server.database_url, "admin"), PASSWORD)
    open_page(app_page, _url(declared), login=login)
    app_page.locator(IDLE).wait_for(state="attached")
    assert_no_exception(app_page, declared.title, app_server)
    assert_accessible(app_page, axe_source, _url(declared))
