"""Shared by the browser tests and fixtures: paths, launch flags, the pages app.py declares, waiting."""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from signin import DIRECTOR, PASSWORD

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SKELETON = "[data-testid='stSkeleton']"  # a placeholder Streamlit shows until an element of the run arrives
EXCEPTION = "[data-testid='stException']"
BLOCKING_IMPACTS = {"serious", "critical"}
TIMEOUT_MS = 60_000
#: The date the app under test takes as today (ANALYTICS_TODAY): the data-age line is the same on every run.
BROWSER_TODAY = "2026-11-30"


def missing(what: str) -> None:
    """Fail in CI (a missing prerequisite must not look like a pass), skip elsewhere with the reason."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (required when CI=true)", pytrace=False)
    pytest.skip(what)


@dataclass(frozen=True)
class AppServer:
    """The running app: its base URL and the server log (tracebacks are redacted in the browser)."""

    url: str
    log: Path
    database_url: str = ""

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]


@dataclass(frozen=True)
class DeclaredPage:
    """A page as declared by `st.Page(...)` in app.py."""

    path: str
    title: str
    url_path: str
    default: bool


def _literal_keywords(call: ast.Call) -> dict[str, Any]:
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords
            if kw.arg and isinstance(kw.value, ast.Constant)}


def declared_pages(app: Path = APP) -> list[DeclaredPage]:
    """Parse app.py (without running it) for every `st.Page(...)` call, in source order."""
    tree = ast.parse(app.read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "Page"]
    pages = []
    for node in sorted(calls, key=lambda call: (call.lineno, call.col_offset)):
        keywords = _literal_keywords(node)
        path = ast.literal_eval(node.args[0]) if node.args else keywords["page"]
        pages.append(DeclaredPage(path=path, title=keywords.get("title") or Path(path).stem,
                                  url_path=keywords.get("url_path") or Path(path).stem,
                                  default=bool(keywords.get("default", False))))
    return pages


def wait_idle(page: Page) -> None:
    """Wait until the script run triggered by the last interaction has finished."""
    page.wait_for_load_state("domcontentloaded")
    page.locator(IDLE).wait_for(state="attached")
    # The state flips to running shortly after an interaction; give it a beat, then wait for idle again.
    page.wait_for_timeout(300)
    page.locator(IDLE).wait_for(state="attached")
    # On a loaded machine the run can start after that beat: placeholders left mean it has not finished.
    if page.locator(SKELETON).count():
        page.locator(SKELETON).first.wait_for(state="detached")
        page.locator(IDLE).wait_for(state="attached")


def sign_in_if_asked(page: Page, login: tuple[str, str] = (DIRECTOR, PASSWORD)) -> bool:
    """When the page shows the sign-in form, sign in through it (default: the director over every LA that the
    `app_server` fixture creates); True if it did. The app then shows the page the address asked for."""
    form = page.locator("[data-testid='stForm']").filter(has=page.get_by_label("Password", exact=True))
    if form.count() == 0:
        return False
    email, password = login
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_idle(page)
    page.get_by_label("Password", exact=True).wait_for(state="detached")
    wait_idle(page)
    return True


def open_page(page: Page, path: str, login: tuple[str, str] | None = (DIRECTOR, PASSWORD)) -> None:
    """Go to `path` (a new browser session each time) and, unless `login` is None, sign in through the form
    as that (email, password): the page at `path` then shows, its query parameters kept."""
    page.goto(path)
    wait_idle(page)
    if login is not None:
        sign_in_if_asked(page, login)
    close_page_not_found(page)


def close_page_not_found(page: Page) -> None:
    """A fresh server's first session may flash Streamlit's "Page not found" dialog before its page list is
    known, although the page itself is drawn: close it so that it does not cover the page or the menu."""
    dialog = page.get_by_role("dialog").filter(has_text="Page not found")
    if dialog.count():
        dialog.get_by_role("button", name="Close").click()
        wait_idle(page)


def assert_no_exception(page: Page, where: str, server: AppServer) -> None:
    """No exception box. The browser shows a redacted message (showErrorDetails), so report the log."""
    count = page.locator(EXCEPTION).count()
    assert count == 0, f"{where} shows {count} exception box(es); server log tail:\n{server.log_tail()}"


def axe_violations(page: Page, axe: Path) -> list[dict[str, Any]]:
    # Colours mid-transition (e.g. a segmented control just selected) would make the contrast check flaky.
    page.add_style_tag(content="* { transition: none !important; animation: none !important; }")
    page.add_script_tag(path=str(axe))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})")
    return list(result["violations"])


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = "; ".join(" ".join(map(str, node["target"])) for node in v["nodes"][:5])
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} node(s): {targets})")
    return "\n".join(lines)


def assert_accessible(page: Page, axe: Path, where: str) -> None:
    """Zero serious or critical axe-core violations on the page as it is now."""
    blocking = [v for v in axe_violations(page, axe) if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core: serious/critical violations on {where}:\n{describe_violations(blocking)}"
