"""Every page shows how old the Ofsted data are, and warns when the newest release is over two months old.

The server takes 30 November 2026 as today (BROWSER_TODAY); the demo's newest Ofsted release is the 2026
management-information sample, dated by its newest publication date (its file name has no as-at date),
which is read here from the raw CSV.
"""

from __future__ import annotations

import csv
from datetime import date, datetime

import pytest
from browser_support import BROWSER_TODAY, ROOT, AppServer, assert_no_exception, declared_pages, open_page
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SAMPLE = ROOT / "data" / "ofsted-management-information-2026-05-sample" / (
    "ofsted_mi_latest_inspections_2026-05_sample.csv"
)


def sample_as_at() -> date:
    with SAMPLE.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = [c for c in rows[0] if "publication date" in c.lower()]
    return max(
        datetime.strptime(r[c], "%d/%m/%Y").date() for r in rows for c in columns if r[c] not in ("", "NULL")
    )


def show(page: Page, path: str, server: AppServer) -> None:
    """Open a page of the app (the one way this module opens pages)."""
    open_page(page, path)
    assert_no_exception(page, path, server)


#: Every declared page (the default one at "/"), and a school with a report card.
PATHS = ["/" if p.default else f"/{p.url_path}" for p in declared_pages()] + ["/school?urn=100025"]


@pytest.mark.parametrize("path", PATHS)
def test_data_age_line_and_warning(app_page: Page, app_server: AppServer, path: str) -> None:
    as_at = sample_as_at()
    today = date.fromisoformat(BROWSER_TODAY)
    months = (today.year - as_at.year) * 12 + today.month - as_at.month - (today.day < as_at.day)
    assert months > 2, "the test needs a stale release"
    show(app_page, path, app_server)
    main = app_page.locator("[data-testid='stMain']")
    line = f"Ofsted data as at {as_at:%d %B %Y} ({months} months old)"
    assert main.get_by_text(line, exact=True).count() == 1, line
    alert = main.locator("[data-testid='stAlert']").filter(has_text="newest Ofsted release in the store")
    assert alert.count() == 1
    assert f"as at {as_at:%d %B %Y}, more than 2 months ago" in alert.inner_text()
