"""Issue 15, a director's first hour, point by point in headless Chromium (one shared server).

Expected figures come from the published Ofsted file (read here with csv), or, for the funnel plot, from the
plotted points with limits recomputed here with scipy; never from the app's own code.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlparse

import pytest
from browser_support import (
    ROOT,
    AppServer,
    assert_accessible,
    assert_no_exception,
    open_page,
    wait_idle,
)
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from scipy.stats import binom

pytestmark = pytest.mark.browser

OFSTED_CSV = next((ROOT / "data" / "ofsted-state-funded-inspections-outcomes-2025-08").glob("*.csv"))
LA = "Telford and Wrekin"
GRADED = {"1", "2", "3", "4", "Not judged"}
#: The Telford school of the issue: Inadequate, serious weaknesses (inherited from URN 139536), whose older
#: predecessor 123582 has no name in any bundled file (GIAS links name only its successor).
SWK_URN, UNNAMED_PREDECESSOR = 150716, 123582
MAIN = "[data-testid='stMain']"


def open_app(page: Page, path: str, server: AppServer) -> None:
    """Every page opening of this module goes through here (a sign-in step can be added in one place)."""
    open_page(page, path)
    # A fresh server's first session may flash Streamlit's "Page not found" dialog before its page list is
    # known, although the page itself is drawn: close it so that it does not block the page.
    dialog = page.get_by_role("dialog").filter(has_text="Page not found")
    if dialog.count():
        dialog.get_by_role("button", name="Close").click()
    assert_no_exception(page, path, server)


def rows(where: Callable[[dict[str, str]], bool]) -> list[dict[str, str]]:
    with OFSTED_CSV.open(encoding="utf-8-sig", newline="") as handle:
        return [row for row in csv.DictReader(handle) if where(row)]


def la_rows(la: str = LA) -> list[dict[str, str]]:
    return rows(lambda r: r["Local authority"] == la)


def main_text(page: Page) -> str:
    return page.locator(MAIN).inner_text()


def card(page: Page, key: str) -> Locator:
    return page.locator(f".st-key-card-{key}")


def table_cells(frame: Locator) -> list[list[str]]:
    """The rendered rows (header first) of a dataframe, from the grid's accessible table."""
    frame.scroll_into_view_if_needed()
    frame.locator("table tr").nth(1).wait_for(state="attached")  # the grid draws its rows after the frame
    return [r.locator("th, td").all_inner_texts() for r in frame.locator("table tr").all()]


def download(page: Page, scope: Locator, label: str = "Download CSV") -> tuple[str, list[list[str]]]:
    with page.expect_download() as info:
        scope.get_by_role("button", name=label).first.click()
    got = info.value
    text = Path(got.path()).read_text(encoding="utf-8")
    return got.suggested_filename, list(csv.reader(io.StringIO(text)))


def element_of(page: Page, key: str) -> Locator:
    """The element container Streamlit tags with a widget key (class st-key-KEY)."""
    return page.locator(f".st-key-{key}")


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


# ------------------------------------------------------------------ 1. a list behind every count


def test_1_count_cards_open_their_schools_and_school_header_names_the_category(
    app_page: Page, app_server: AppServer, axe_source: Path
) -> None:
    swk = rows(lambda r: r["Local authority"] == LA and r["Category of concern"] == "SWK")
    assert [int(r["URN"]) for r in swk] == [SWK_URN], "the bundled file's Telford SWK school"
    open_app(app_page, f"/?la={quote_plus(LA)}", app_server)
    swk_card = card(app_page, "schools_serious_weaknesses")
    swk_card.get_by_role("button", name=re.compile(r"^List the 1 school$")).click()
    wait_idle(app_page)
    assert query(app_page)["list"] == ["schools_serious_weaknesses"], "the open list is in the URL"
    listing = app_page.locator(MAIN).locator("[data-testid='stDataFrame']").first
    cells = table_cells(listing)
    assert cells[0][:2] == ["URN", "School"]
    assert [c[:2] for c in cells[1:]] == [[str(SWK_URN), swk[0]["School name"]]]
    assert cells[0][-1] == "School page" and cells[1][-1].endswith(("Open", f"/school?urn={SWK_URN}")), cells
    assert_accessible(app_page, axe_source, "overview with a count's list open")

    # District counts open the same kind of list: Telford constituency, serious weaknesses.
    district = swk[0]["Parliamentary constituency"]
    open_app(
        app_page,
        f"/districts?la={quote_plus(LA)}&district={quote_plus(district)}&count=Serious+weaknesses",
        app_server,
    )
    assert f"Serious weaknesses: {district}" in main_text(app_page)
    frames = app_page.locator(MAIN).locator("[data-testid='stDataFrame']")
    cells = table_cells(frames.last)
    assert [c[:2] for c in cells[1:]] == [[str(SWK_URN), swk[0]["School name"]]]

    # The school page header names the category of concern (not only "Inadequate (inherited)").
    open_app(app_page, f"/school?urn={SWK_URN}", app_server)
    outcome = app_page.locator(MAIN).locator("h3", has_text="Latest graded outcome").inner_text()
    assert "serious weaknesses" in outcome.lower() and "Inadequate" in outcome, outcome


# ------------------------------------------------------------ 2. proportion in a category, last month


def test_2_adverse_proportion_and_since_last_month(app_page: Page, app_server: AppServer) -> None:
    telford = la_rows()
    graded = [r for r in telford if r["Overall effectiveness"] in GRADED]
    adverse = [r for r in graded if r["Category of concern"] in ("SWK", "SM")]
    expected = f"{100 * len(adverse) / len(graded):.1f}%"
    open_app(app_page, f"/?la={quote_plus(LA)}", app_server)
    adverse_card = card(app_page, "pct_schools_in_category")
    assert adverse_card.locator("[data-testid='stMetricValue']").inner_text() == expected
    assert "adverse category" in adverse_card.locator("[data-testid='stMetricLabel']").inner_text()
    compare = app_page.get_by_role("combobox", name=re.compile("Compare with"))
    compare.click()
    options = app_page.get_by_role("option").all_inner_texts()
    last_month = [o for o in options if o.startswith("Last month")]
    assert last_month, f"no 'since last month' choice in {options}"
    app_page.get_by_role("option", name=last_month[0]).click()
    wait_idle(app_page)
    day = last_month[0].split("(")[-1].rstrip(")")
    assert adverse_card.locator("[data-testid='stCaptionContainer']").inner_text().startswith(day)
    assert query(app_page)["since"] == [last_month[0]]


# --------------------------------------------------------------- 3. which good schools are at risk?


def test_3_risk_register_defaults_to_good_schools_with_rank_and_plain_drivers(
    app_page: Page, app_server: AppServer
) -> None:
    open_app(app_page, f"/risk?la={quote_plus(LA)}", app_server)
    _name, table = download(app_page, app_page.locator(MAIN))
    columns = table[0]
    assert "Rank in LA" in columns and "Current grade" in columns and len(table) > 1
    listed = {int(r[columns.index("URN")]) for r in table[1:]}
    assert SWK_URN not in listed, "the Inadequate school is not in the default list"
    assert all(
        not r[columns.index("Current grade")].startswith(("Requires", "Inadequate")) for r in table[1:]
    )
    ranks = [int(r[columns.index("Rank in LA")]) for r in table[1:] if r[columns.index("Rank in LA")]]
    assert ranks == sorted(ranks) and ranks[0] >= 1
    raw = re.compile(r"\b(ctx|lag|prev|rate)_[a-z0-9_]+")
    assert not [d for d in (r[columns.index("Drivers")] for r in table[1:]) if raw.search(d)]
    # The filter brings the rest back.
    app_page.get_by_role("combobox", name=re.compile("Current grade")).click()
    app_page.get_by_role("option", name="Requires improvement or Inadequate").click()
    app_page.keyboard.press("Escape")
    app_page.locator("h1").first.click()
    wait_idle(app_page)
    _name, table = download(app_page, app_page.locator(MAIN))
    assert SWK_URN in {int(r[table[0].index("URN")]) for r in table[1:]}
    open_app(app_page, "/model", app_server)
    text = main_text(app_page)
    assert not re.findall(r"\b[a-z]+_[a-z0-9]+(?:_[a-z0-9]+)*\b", text), "raw feature names on the model card"


# -------------------------------------------------------------------- 4. values typed into the URL


@pytest.mark.parametrize("path", ["/", "/movement", "/districts", "/risk", "/meeting"])
def test_4_url_values_matched_loosely_or_reported(app_page: Page, app_server: AppServer, path: str) -> None:
    open_app(app_page, f"{path}?la=telford+%26+wrekin", app_server)
    with contextlib.suppress(PlaywrightTimeout):  # the run rewrites the address: wait for it, then check
        app_page.wait_for_url(lambda url: parse_qs(urlparse(url).query).get("la") == [LA], timeout=30_000)
    assert query(app_page)["la"] == [LA], "'telford & wrekin' names Telford and Wrekin"
    assert "was not found" not in main_text(app_page)
    open_app(app_page, f"{path}?la=Telfrd+and+Wrekn&phase=primry&type=Academys", app_server)
    text = main_text(app_page)
    assert f"The local authority 'Telfrd and Wrekn' was not found. Did you mean: {LA}" in text
    if path != "/meeting":  # the meeting view has no phase filter
        assert "The phase 'primry' was not found. Did you mean: Primary" in text
    assert "The type 'Academys' was not found. Did you mean: Academy" in text
    open_app(app_page, f"{path}?la=Narnia", app_server)
    assert "The local authority 'Narnia' was not found" in main_text(app_page)


def test_4_period_matched_loosely_or_reported(app_page: Page, app_server: AppServer) -> None:
    open_app(app_page, f"/movement?la={quote_plus(LA)}&pkind=Academic+Year&period=2023-24", app_server)
    assert app_page.locator("h1").first.inner_text() == f"Movement: {LA}, 2023/24"
    open_app(app_page, f"/movement?la={quote_plus(LA)}&pkind=academic+year&period=1066/67", app_server)
    assert "The period '1066/67' was not found" in main_text(app_page)


# ---------------------------------------------------------------------------- 5. honest cards


def test_5_cards_zero_change_help_grammar_and_england_row(app_page: Page, app_server: AppServer) -> None:
    uninspected = [r for r in la_rows() if r["Overall effectiveness"] not in GRADED]
    seen = {"no change": 0, "changed": 0}
    helps: dict[str, str] = {}
    for since in ("Last+month", "31+Dec+2015"):  # the default (nothing changed in the bundled month), 2015
        open_app(app_page, f"/?la={quote_plus(LA)}&since={since}", app_server)
        cards = app_page.locator("[class*='st-key-card-']")
        assert cards.count() == 10
        for number in range(cards.count()):
            one = cards.nth(number)
            caption = one.locator("[data-testid='stCaptionContainer']").inner_text()
            delta = one.locator("[data-testid='stMetricDelta']")
            if ": no change" in caption:
                seen["no change"] += 1
                assert delta.count() == 0, f"arrow/colour on an unchanged card: {caption}"
            elif " was " in caption:
                seen["changed"] += 1
                delta.wait_for(state="attached", timeout=10_000)  # an arrow on a changed card
            label = one.locator("[data-testid='stMetricLabel']").inner_text().strip()
            if label not in helps:
                one.get_by_role("button", name=f"Help for {label}").hover()
                tip = app_page.locator("[data-testid='stTooltipContent']").last
                tip.wait_for(state="visible")
                helps[label] = tip.inner_text()
                app_page.mouse.move(0, 0)
                tip.wait_for(state="hidden")
    assert seen["no change"] >= 1 and seen["changed"] >= 1, seen
    assert len(set(helps.values())) == len(helps) == 10, "each card's help defines its own measure"
    assert "previous graded inspection" in helps["Stuck below good"]
    assert all("within Inadequate" in helps[c] for c in ("Serious weaknesses", "Special measures"))
    assert "no graded inspection" in helps["Uninspected"]
    good = helps["% schools good or outstanding"]
    assert "inherited" in good and "derived" in good
    text = main_text(app_page)
    count = len(uninspected)
    wording = (
        "1 uninspected school is excluded" if count == 1 else f"{count} uninspected schools are excluded"
    )
    assert wording in text
    neighbours = app_page.locator(MAIN).locator("[data-testid='stDataFrame']").last
    england = [r for r in table_cells(neighbours) if "England" in r]
    assert england and not [c for c in england[0] if c.strip() in ("None", "nan", "<NA>")], england


# ------------------------------------------------------------------------------- 6. funnel plot


def test_6_funnel_labels_only_outside_limits_and_axis_fits(app_page: Page, app_server: AppServer) -> None:
    open_app(app_page, "/districts?la=Birmingham", app_server)
    plot = app_page.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    figure: dict[str, Any] = plot.evaluate(
        "gd => ({data: gd._fullData.map(t => ({name: t.name, x: Array.from(t.x || []),"
        " y: Array.from(t.y || []), text: t.text ? Array.from(t.text) : null})),"
        " layout: {yaxis: gd._fullLayout.yaxis.range}, shapes: gd._fullLayout.shapes.map(s => s.y0)})"
    )
    districts = next(t for t in figure["data"] if t["name"] == "Districts")
    p0 = figure["shapes"][0] / 100
    labelled = 0
    for n, y, label in zip(districts["x"], districts["y"], districts["text"], strict=True):
        k = round(y * n / 100)
        lower, upper = binom.ppf(0.025, n, p0) / n, binom.ppf(0.975, n, p0) / n
        outside = k / n < lower or k / n > upper
        assert bool(label) == outside, f"district with {k}/{n}: label {label!r}, outside {outside}"
        labelled += bool(label)
    low, high = figure["layout"]["yaxis"]
    values = [*districts["y"], 100 * p0]
    assert low >= min(values) - 10 and high <= max(values) + 10, (low, high, min(values), max(values))
    assert low > 0 or min(values) < 10, "the y-axis does not start at 0 when the data do not"
    plotted_labels = plot.locator(".scatterlayer .textpoint text")
    assert plotted_labels.count() == labelled


# ----------------------------------------------------------------------- 7. predecessor's name


def test_7_unnamed_predecessor_says_name_not_recorded(app_page: Page, app_server: AppServer) -> None:
    open_app(app_page, f"/school?urn={SWK_URN}", app_server)
    text = main_text(app_page)
    assert f"name not recorded (URN {UNNAMED_PREDECESSOR})" in text
    assert not re.search(r"\bnan\b", text)


# --------------------------------------------------------------------------------- 8. downloads


@pytest.mark.parametrize(
    "path, key",
    [
        ("/movement?la=Kent&pkind=academic+year&period=2023%2F24", "movement-list"),
        ("/districts?la=Kent", "districts-kpis"),
        ("/districts?la=Kent&count=Requires+improvement", "districts-schools"),
        ("/?la=Kent&list=schools_requires_improvement", "overview-list"),
    ],
)
def test_8_downloads_as_on_screen_and_tables_fit(
    app_page: Page, app_server: AppServer, path: str, key: str
) -> None:
    app_page.set_viewport_size({"width": 1440, "height": 900})
    open_app(app_page, path, app_server)
    button = element_of(app_page, f"{key}-csv")
    frame = button.locator("xpath=preceding::*[@data-testid='stDataFrame'][1]")
    header = table_cells(frame)[0]
    name, table = download(app_page, button)
    assert " " not in name and name.endswith(".csv"), name
    assert table[0] == [h for h in header if h != "School page"], "download headers differ from the screen"
    if "School" in table[0]:
        assert table[0][0] in ("URN", "Flag") and "URN" in table[0]
    assert not [c for r in table for c in r if "/school?urn=" in c], "app-relative links in the download"
    sizes = frame.evaluate(
        "d => { const s = d.querySelector('.dvn-scroller'); return [s.scrollWidth, s.clientWidth]; }"
    )
    assert sizes[0] <= sizes[1] + 4, f"table wider than the page at 1440 px: {sizes}"


# --------------------------------------------------------------------- 9. in-page choices in the URL


@pytest.mark.parametrize(
    "path, label, choice, key",
    [
        (f"/?la={quote_plus(LA)}", "Break down by", "Phase", "breakdown"),
        ("/movement?la=Kent&pkind=academic+year&period=2023%2F24", "Show", "Declined", "show"),
    ],
)
def test_9_in_page_choices_kept_in_shared_links(
    app_page: Page, app_server: AppServer, axe_source: Path, path: str, label: str, choice: str, key: str
) -> None:
    open_app(app_page, path, app_server)
    element_of(app_page, f"_w_{key}").get_by_role("radio", name=choice, exact=True).click()
    wait_idle(app_page)
    assert query(app_page)[key] == [choice]
    shared = app_page.url
    fresh = app_page.context.new_page()
    open_app(fresh, shared, app_server)
    chosen = element_of(fresh, f"_w_{key}").get_by_role("radio", name=choice, exact=True)
    assert chosen.get_attribute("aria-checked") == "true", f"{label} = {choice} not restored from the link"
    assert_accessible(fresh, axe_source, f"{path} with {label} = {choice}")
    fresh.close()
