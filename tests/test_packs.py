"""Meeting papers (issue 14) on the real demo data for two LAs: every pack's PDF text carries the figures of
`python -m analytics kpis`; the members' summary hides every pupil count that suppression must hide (checked
against an own count from the store's schools, with a raised threshold so that suppression bites) and names no
school; the SCC pack's XLSX holds the meeting view's tables; the command line refuses unknown choices (exit 2,
nothing written); the download buttons build the packs on their pages."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from app_under_test import analytics_cli as run
from app_under_test import serve
from pypdf import PdfReader
from signin import signed_in_app
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from analytics.config import get_settings
from analytics.queries import Scope, school_headlines
from analytics.register import entries, interventions, meeting, reviews
from analytics.reports import gather
from analytics.reports.html import render_html
from analytics.reports.pdf import render_pdf
from analytics.reports.xlsx import render_xlsx
from analytics.store.engine import make_engine, migrate

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
LAS = {"Blackpool": "Blackpool South", "Rutland": "Rutland and Stamford"}
EDITOR = "director@blackpool.gov.uk"
#: (KPI key, the SCC/district pack's row label, the members' pack's row label, unit)
ROWS = [
    ("schools_with_grade", "Schools with a grade", "Schools with an inspection grade", ""),
    (
        "pct_schools_good_or_outstanding",
        "% schools good or outstanding",
        "Schools that are good or outstanding (%)",
        "%",
    ),
    (
        "pupils_in_good_or_outstanding",
        "Pupils in good or outstanding schools",
        "Pupils in good or outstanding schools",
        "",
    ),
    (
        "pct_pupils_good_or_outstanding",
        "% pupils in good or outstanding schools",
        "Pupils in good or outstanding schools (%)",
        "%",
    ),
    ("schools_requires_improvement", "Requires improvement", "Schools that require improvement", ""),
    ("schools_inadequate", "Inadequate", "Schools judged inadequate", ""),
    ("schools_serious_weaknesses", "Serious weaknesses", None, ""),
    ("schools_special_measures", "Special measures", None, ""),
    (
        "pct_schools_in_category",
        "% in an adverse category (SWK or SM)",
        "Schools in special measures or with serious weaknesses (%)",
        "%",
    ),
    ("schools_declined", "Declined at the latest graded inspection", None, ""),
    ("schools_stuck_below_good", "Stuck below good", None, ""),
]


@pytest.fixture(scope="module")
def store(
    demo_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, dict[str, str]]]:
    """A private copy of the demo database with a register for Blackpool: a meeting held 40 days ago, two
    schools placed on the register since, one intervention."""
    path = tmp_path_factory.mktemp("packs") / "packs.db"
    shutil.copyfile(demo_sqlite, path)
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    today = date.today()
    heads = school_headlines(engine, Scope.la("Blackpool"))
    urns = [int(u) for u in heads.loc[heads["grade"] >= 3, "urn"].sort_values()][:2]
    reviews.record_meeting(engine, "Blackpool", today - pd.Timedelta(days=40), by=EDITOR)
    entries.record_level(
        engine, urns[0], scheme="support-levels", level="Intensive", reason="RI twice", by=EDITOR
    )
    entries.record_level(
        engine, urns[1], scheme="support-levels", level="Targeted", reason="falling roll", by=EDITOR
    )
    interventions.add_intervention(
        engine, urns[0], type="Task group", start=today - pd.Timedelta(days=200), planned_days=10, by=EDITOR
    )
    yield engine, {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    engine.dispose()


def cli_kpis(env: dict[str, str], la: str) -> dict[str, Any]:
    done = run(env, "kpis", "--la", la, "--format", "json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def shown(value: Any, unit: str) -> str:
    """A figure as a reader sees it: '83.7%', '15,614'."""
    return f"{float(value):.1f}%" if unit == "%" else f"{int(value):,}"


def pdf_text(path_or_bytes: Path | bytes) -> str:
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else path_or_bytes.read_bytes()
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def page_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


@pytest.mark.parametrize("la", list(LAS))
def test_scc_pack_carries_the_cli_kpis(store: tuple[Engine, dict[str, str]], tmp_path: Path, la: str) -> None:
    _, env = store
    kpis = cli_kpis(env, la)
    out, sheets = tmp_path / "scc.pdf", tmp_path / "scc.xlsx"
    done = run(env, "pack", "scc", "--la", la.upper(), "--out", str(out), "--xlsx", str(sheets))
    assert done.returncode == 0, done.stderr
    words = pdf_text(out)
    assert "OFFICIAL-SENSITIVE" in words and f"Local authority: {la}" in words
    assert "Contents" in words and "Page 2" in words
    for key, label, _, unit in ROWS:
        assert f"{label} {shown(kpis[key], unit)}" in words, (key, kpis[key])
    book = openpyxl.load_workbook(sheets)
    rows = list(book["KPIs"].iter_rows(values_only=True))
    assert rows[0][:2] == ("Measure", la)
    by_label = {r[0]: r[1] for r in rows[1:]}
    for key, label, _, unit in ROWS:
        assert by_label[label] == shown(kpis[key], unit)
    fonts = {str(f) for page in PdfReader(out).pages for f in page["/Resources"]["/Font"].values()}
    assert fonts, "fonts are listed"
    for page in PdfReader(out).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert "DejaVuSans" in str(font["/BaseFont"])  # no unembedded standard font


@pytest.mark.parametrize("la", list(LAS))
def test_members_and_district_packs_carry_the_cli_kpis(
    store: tuple[Engine, dict[str, str]], tmp_path: Path, la: str
) -> None:
    engine, env = store
    kpis = cli_kpis(env, la)
    term = gather.current_term(gather.Sources(engine).data_date)
    out, page = tmp_path / "members.pdf", tmp_path / "members.html"
    done = run(env, "pack", "members", "--la", la, "--term", term, "--out", str(out), "--html", str(page))
    assert done.returncode == 0, done.stderr
    words, html = pdf_text(out), page.read_text(encoding="utf-8")
    for key, _, label, unit in ROWS:
        if label is None:
            continue
        assert f"{label} {shown(kpis[key], unit)}" in words, (key, kpis[key])
        assert re.search(
            rf"<th scope=\"row\">{re.escape(label)}</th><td>{re.escape(shown(kpis[key], unit))}<", html
        ), key
    district = LAS[la]
    out = tmp_path / "district.pdf"
    done = run(env, "pack", "district", "--la", la, "--district", district.lower(), "--out", str(out))
    assert done.returncode == 0, done.stderr
    words = pdf_text(out)
    assert f"District: {district}" in words
    for key, label, _, unit in ROWS:  # the county column: after the district's own figure
        assert re.search(rf"{re.escape(label)} \S+ {re.escape(shown(kpis[key], unit))}", words), key


def own_district_pupils(engine: Engine, la: str) -> dict[str, tuple[int, int]]:
    """Per constituency: pupils in good-or-outstanding schools and in schools with a 1-4 grade, counted here
    from the store's school rows (own rule: grade 1 or 2 is good or outstanding)."""
    heads = school_headlines(engine, Scope.la(la))
    out: dict[str, tuple[int, int]] = {}
    for name, group in heads.groupby(heads["constituency"].fillna("(no constituency)")):
        graded = group.loc[group["grade"].notna()]
        pupils = pd.to_numeric(graded["pupils"], errors="coerce").fillna(0)
        out[str(name)] = (int(pupils[graded["grade"] <= 2].sum()), int(pupils.sum()))
    return out


@pytest.mark.parametrize("limit", [5, 12_000])
@pytest.mark.parametrize("la", list(LAS))
def test_members_pack_hides_every_small_pupil_count(
    store: tuple[Engine, dict[str, str]], monkeypatch: pytest.MonkeyPatch, la: str, limit: int
) -> None:
    engine, _ = store
    monkeypatch.setenv("SUPPRESSION_THRESHOLD", str(limit))
    get_settings.cache_clear()
    try:
        src = gather.Sources(engine)
        pack = gather.members_pack(engine, la, gather.current_term(src.data_date), src=src)
        words, html = pdf_text(render_pdf(pack)), render_html(pack)
    finally:
        get_settings.cache_clear()
    table = next(t.frame for t in pack.tables() if t.name == "By district").set_index("District")
    own = own_district_pupils(engine, la)
    county = tuple(sum(v[i] for v in own.values()) for i in (0, 1))
    columns = ["Pupils in good or outstanding schools", "Pupils in schools with a grade"]
    for index, column in enumerate(columns):
        cells = {**{d: v[index] for d, v in own.items()}, "Whole county": county[index]}
        hidden = [d for d in cells if table.at[d, column] == "c"]
        for district, count in cells.items():
            if 1 <= count <= limit:  # primary suppression
                assert district in hidden, (district, column, count)
            if district in hidden:
                assert table.at[district, "% pupils in good or outstanding schools"] == "c"
            else:
                assert table.at[district, column] == f"{count:,}"
        assert len(hidden) != 1, "a single hidden cell is recoverable from the county total"
        for district in hidden:  # a hidden count appears nowhere in the pack
            count = f"{cells[district]:,}"
            assert count not in words and count not in html, (district, count)
    names = school_headlines(engine, Scope.la(la))["name"].dropna().astype(str)
    places = " ".join([la, *own])
    for name in names:
        if name not in places:
            assert name not in words and name not in html, name


def cell(value: Any) -> Any:
    """A value as compared between the page and the workbook."""
    if isinstance(value, datetime):
        return value.date()
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def sheet_rows(book: openpyxl.Workbook, name: str) -> list[tuple[Any, ...]]:
    rows = list(book[name].iter_rows(values_only=True))
    return [tuple(cell(v) for v in row) for row in rows[1:]]


def frame_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [tuple(cell(v) for v in row) for row in frame.astype(object).itertuples(index=False)]


def open_page(page: str, la: str) -> AppTest:
    """The page for an LA (the one place the AppTests here open a page)."""
    at = signed_in_app(timeout=180, query_params={"la": la})
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app_on_store(store: tuple[Engine, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    for _ in serve(store[1]["DATABASE_URL"], monkeypatch):
        yield store[0]


def test_meeting_view_offers_the_pack_and_its_xlsx_equals_the_page_tables(app_on_store: Engine) -> None:
    engine, la, today = app_on_store, "Blackpool", date.today()
    at = open_page("views/meeting.py", la)
    at.button(key="pack-scc-build").click().run()
    assert not at.exception, at.exception
    assert len(at.get("download_button")) >= 2 + 1  # the pack's PDF and XLSX beside the tables' own
    since = gather.meeting_since(engine, la, today)
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(gather.scc_pack(engine, la, today, since))))
    page = {tuple(d.value.columns): d.value for d in at.dataframe}
    view = meeting.meeting_view(engine, la, since, today)
    for sheet, frame in (
        ("Changes", view.changes),
        ("Reviews", view.reviews_due),
        ("Interventions", view.interventions_due),
        ("High risk", view.high_risk_not_on_register),
    ):
        on_page = page.get(tuple(frame.columns))
        if frame.empty:
            assert sheet_rows(book, sheet) == []
            continue
        assert on_page is not None, sheet
        assert sheet_rows(book, sheet) == frame_rows(gather._dates(on_page)), sheet
    assert len(sheet_rows(book, "Changes")) == 2  # the two schools placed on the register since the meeting
    assert {r[3] for r in sheet_rows(book, "Changes")} == {"new entry"}


def test_overview_and_districts_offer_their_packs(app_on_store: Engine) -> None:
    at = open_page("views/overview.py", "Rutland")
    at.button(key="pack-members-build").click().run()
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download PDF" in labels and "Download HTML" in labels
    at = open_page("views/districts.py", "Rutland")
    at.button(key="pack-district-build").click().run()
    assert not at.exception, at.exception
    assert "Download PDF" in [b.proto.label for b in at.get("download_button")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scc", "--la", "Blackpol"], "Did you mean: Blackpool"),
        (["members", "--la", "Rutland", "--term", "2025-autum"], "Did you mean: 2025-autumn"),
        (["members", "--la", "Rutland", "--term", "2031-autumn"], "Unknown term"),
        (["district", "--la", "Blackpool", "--district", "Blackpool Sth"], "Blackpool South"),
        (["district", "--la", "Narnia", "--district", "x"], "Unknown local authority"),
    ],
)
def test_cli_refuses_unknown_choices_and_writes_nothing(
    store: tuple[Engine, dict[str, str]], tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "pack.pdf"
    done = run(store[1], "pack", *args, "--out", str(out))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_refuses_a_wrong_file_kind(store: tuple[Engine, dict[str, str]], tmp_path: Path) -> None:
    done = run(store[1], "pack", "scc", "--la", "Rutland", "--out", str(tmp_path / "pack.docx"))
    assert done.returncode == 2 and ".pdf" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_renderers_write_values_and_plain_text_never_markup_or_formulas() -> None:
    from analytics.reports.model import Pack, Section, Table

    hostile = pd.DataFrame(
        {"School": ['=HYPERLINK("http://x")', "<script>alert(1)</script>", "A & B"], "Pupils": [1200, 35, 7]}
    )
    pack = Pack(
        kind="scc",
        title="T",
        la_name="L",
        as_at=date(2026, 1, 1),
        subtitle="<b>S</b>",
        sections=[Section("<i>Sec</i>", ["<img src=x>"], [Table("Sheet", "Tab", hostile)])],
    )
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(pack)))
    values = [row for row in book["Sheet"].iter_rows(values_only=True)]
    assert values[1] == ('\'=HYPERLINK("http://x")', 1200)
    assert all(c.data_type != "f" for row in book["Sheet"].iter_rows() for c in row)
    html = render_html(pack)
    assert "<script>" not in html and "<img src=x>" not in html and "<i>Sec</i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "A &amp; B" in html
    words = pdf_text(render_pdf(pack))
    assert "<script>alert(1)</script>" in words and "A & B" in words  # shown as text, not parsed
