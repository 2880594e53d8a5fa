"""Data and imports: how current each source is, what each import added, the inspections the latest Ofsted
release added ("inspected since last month"), the browser import of Ofsted's monthly file, the import log."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.config import today
from analytics.freshness import describe
from ui.charts import download_buttons
from ui.freshness import inspected_table, release_label, sources_table
from ui.imports import import_panel
from ui.read import Reader, current_viewer, reader
from ui.tables import show_school_table


def render_sources(rm: Reader, log: pd.DataFrame) -> None:
    st.subheader("How current each source is")
    as_at = rm.ofsted_as_at()
    if as_at is not None:
        found = describe(as_at, today())
        st.text(f"{found.line}, newest Ofsted release in the store.")
    st.dataframe(sources_table(log), hide_index=True, width="stretch")


def render_releases(rm: Reader) -> None:
    """Every Ofsted release, and the inspections the chosen one was the first to record."""
    releases = rm.ofsted_releases()
    st.subheader("Ofsted releases")
    if releases.empty:
        st.info("No Ofsted release imported yet.")
        return
    shown = releases.rename(
        columns={
            "as_at": "As at", "kind": "Import kind", "file_name": "File", "imported_at": "Imported at",
            "rows_read": "Schools listed", "rows_added": "Rows added",
            "inspections_added": "Inspections added",
        }
    ).drop(columns=["import_id"])
    shown["Imported at"] = pd.to_datetime(shown["Imported at"]).dt.strftime("%d/%m/%Y %H:%M")
    st.dataframe(shown, hide_index=True, width="stretch")
    st.subheader("Inspected since last month")
    labels = {release_label(row): int(row["import_id"]) for _, row in releases.iterrows()}
    chosen = st.selectbox(
        "Release", list(labels), index=0, key="data-release",
        help="The inspections this release was the first to record (the newest release is chosen first)",
    )
    added = rm.inspections_added(labels[str(chosen)])
    if added.empty:
        st.text("This release recorded no inspection that the store did not already hold (for the schools "
                "you may see).")
        return
    graded = int(added["is_graded"].astype(bool).sum())
    st.text(f"{len(added):,} inspections first recorded by this release: {graded:,} graded (report cards "
            f"included), {len(added) - graded:,} ungraded.")
    show_school_table(inspected_table(added), name=f"inspected-since-{chosen}", key="data-inspected")


def render_import() -> None:
    person = current_viewer()
    if person is None or not person.may_import:
        return  # only analysts and directors may import (issue 13)
    st.subheader("Import Ofsted's monthly file")
    st.caption(
        "Ofsted's 'Management information - state-funded schools - latest inspections' CSV (report-card or "
        "earlier edition). The release is dated from the file name (e.g. '..._as_at_31_May_2026.csv'), "
        "else from the latest publication date in it. A later file never removes or blanks an inspection "
        "an earlier one recorded; a rejected file changes nothing and every problem is listed."
    )
    import_panel(
        "ofsted-mi", key="data-ofsted-mi", types=("csv",), label="Monthly management-information file"
    )


def render_log(log: pd.DataFrame, version: int) -> None:
    st.subheader("Import log")
    st.caption(f"Data version {version}: {len(log)} imports recorded. Every import is all-or-nothing.")
    table = log.rename(
        columns={
            "id": "Import", "kind": "Kind", "file_name": "File", "rows_read": "Rows read",
            "rows_inserted": "Rows added", "as_at": "As at", "imported_at": "Imported at",
            "imported_by": "Imported by",
        }
    )
    table["Imported at"] = pd.to_datetime(table["Imported at"]).dt.strftime("%d/%m/%Y %H:%M")
    st.dataframe(table, hide_index=True, width="stretch")
    download_buttons(table, "import-log", "data-import-log")


def render() -> None:
    st.title("Data and imports")
    rm = reader()
    log = rm.import_log()
    if log.empty:
        st.warning("No data has been imported yet. Run `python -m analytics init-demo` or `make run`.")
    else:
        render_sources(rm, log)
        render_releases(rm)
    render_import()
    if not log.empty:
        render_log(log, rm.version)
    st.markdown(
        "Sources: Ofsted and DfE official statistics, Crown copyright, Open Government Licence v3.0. "
        "See `data/*/PROVENANCE.md` for each file's origin and quirks."
    )


render()
