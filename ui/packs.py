"""Download buttons for the meeting papers: one click builds the pack (with a progress bar and a spinner),
then the files are offered for download. Built files are kept in session_state for the same choice and data
version, so a rerun does not rebuild them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import streamlit as st

from analytics.register.meeting import MeetingView
from analytics.reports import gather
from analytics.reports.model import Pack
from ui import admission
from ui.charts import safe_filename
from ui.read import engine, reader

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML = "text/html"


def renderer(kind: str) -> tuple[Callable[[Pack], bytes | str], str, str]:
    """The writer of a pack format, its file suffix and MIME type. Imported here, when a pack is built: the
    writers import reportlab and openpyxl, which the pages that offer a pack do not otherwise need."""
    if kind == "PDF":
        from analytics.reports.pdf import render_pdf

        return render_pdf, "pdf", PDF
    if kind == "XLSX":
        from analytics.reports.xlsx import render_xlsx

        return render_xlsx, "xlsx", XLSX
    if kind == "HTML":
        from analytics.reports.html import render_html

        return render_html, "html", HTML
    raise ValueError(f"no writer for a pack in {kind!r}")


@dataclass(frozen=True)
class File:
    label: str
    payload: bytes
    name: str
    mime: str


def offer(
    key: str, label: str, choice: tuple, stem: str, gather_pack: Callable[[], Pack], formats: tuple[str, ...]
) -> None:
    """A 'Prepare' button that builds the pack in the formats asked for, then their download buttons."""
    ident = (reader().data, choice)
    stored = st.session_state.get(key)
    if st.button(label, key=f"{key}-build", icon=":material/description:"):
        bar = st.progress(0.0, text="Gathering the figures...")
        with st.spinner("Building the pack..."), admission.outside_queue():
            pack = gather_pack()
            files = []
            for number, kind in enumerate(formats, start=1):
                bar.progress(number / (len(formats) + 1), text=f"Writing the {kind}...")
                render, suffix, mime = renderer(kind)
                payload = render(pack)
                data = payload.encode("utf-8") if isinstance(payload, str) else payload
                files.append(File(kind, data, f"{safe_filename(stem)}.{suffix}", mime))
        bar.progress(1.0, text="Ready.")
        stored = (ident, files)
        st.session_state[key] = stored
    if stored and stored[0] == ident:
        columns = st.columns(len(stored[1]))
        for column, file in zip(columns, stored[1], strict=True):
            column.download_button(
                f"Download {file.label}",
                file.payload,
                file.name,
                file.mime,
                key=f"{key}-{file.label}",
                icon=":material/download:",
            )


def scc_pack(la: str, as_at: date, since: date, view: MeetingView | None = None) -> None:
    """The meeting view's SCC pack (PDF + XLSX) for the LA, compared with the chosen last meeting (`view`: the
    page's own meeting view, reused rather than computed again)."""
    offer(
        "pack-scc",
        "Prepare the meeting pack (PDF and XLSX)",
        (la, as_at, since),
        f"scc-pack-{la}-{as_at:%Y-%m-%d}",
        lambda: gather.scc_pack(engine(), la, as_at, since, view=view),
        ("PDF", "XLSX"),
    )


def members_pack(la: str, data_date: date) -> None:
    """The Overview's termly members' summary (PDF + accessible HTML), for a chosen term."""
    terms = gather.term_names(data_date)[:9]
    chosen = st.selectbox(
        "Term",
        terms,
        index=0,
        key="pack-members-term",
        help="The termly summary for elected members: small numbers suppressed",
    )
    term = chosen or terms[0]
    offer(
        "pack-members",
        "Prepare the members' summary (PDF and HTML)",
        (la, term),
        f"members-summary-{la}-{term}",
        lambda: gather.members_pack(engine(), la, term),
        ("PDF", "HTML"),
    )


def district_pack(la: str, district: str, scheme: str | None) -> None:
    """The Districts page's profile of one district (PDF)."""
    offer(
        "pack-district",
        "Prepare the district profile (PDF)",
        (la, district, scheme),
        f"district-profile-{la}-{district}",
        lambda: gather.district_pack(engine(), la, district, scheme),
        ("PDF",),
    )
