"""Streamlit import panel: upload a file, import it off the request path with progress, show the outcome.

    import_panel("districts", key="districts-import", options={"scheme": "localities"})

The import runs as a background job (`analytics.ingest.jobs`): the page stays responsive and other users are
not slowed. While it runs a fragment polls its progress; a second upload is refused while an import runs in
this process (across replicas the store's write lock makes it wait). A rejection shows every problem as a
file/row/column/reason table; a success reruns the whole app: every page reads the new data version (the
import log's newest id, on which every cached frame is keyed), in every session and replica.
Imported or uploaded text is only ever shown with `st.text` / `st.dataframe`, never as Markdown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from analytics.ingest import jobs
from analytics.ingest.common import ImportResult
from ui.read import engine

POLL_SECONDS = 0.5


def import_panel(
    kind: str,
    *,
    key: str,
    options: dict[str, Any] | None = None,
    types: Sequence[str] = ("csv", "xlsx"),
    label: str = "File to import",
    on_imported: Callable[[ImportResult], None] | None = None,
) -> None:
    """File uploader and Import button for importer `kind`; then the job's progress and outcome.

    `options` go to the importer (e.g. {"scheme": name} for districts); `on_imported` runs once, in this
    session, after a successful import (e.g. to select the new mapping).
    """
    job_key = f"{key}-job"
    mine = jobs.RUNNER.status(st.session_state.get(job_key))
    other = jobs.RUNNER.running()
    if other is not None and (mine is None or other.id != mine.id):
        st.info(_busy_text(other))
    upload = st.file_uploader(label, type=list(types), key=f"{key}-file")
    running = mine is not None and not mine.done
    start = st.button("Import", key=f"{key}-start", disabled=upload is None or running or other is not None)
    if start and upload is not None:
        try:
            job = jobs.start_import(kind, engine(), upload.getvalue(), upload.name, options)
        except jobs.ImportBusy as busy:
            st.warning(_busy_text(busy.running))
        else:
            st.session_state[job_key] = job.id
            st.session_state.pop(f"{key}-seen", None)
            mine = job.status()
    if mine is None:
        return
    every = POLL_SECONDS if not mine.done else None
    st.fragment(_job_view, run_every=every)(job_key, key, on_imported)


def _busy_text(running: jobs.JobStatus) -> str:
    return (
        f"Another import is running (started at {running.started:%H:%M:%S}): a new import can start when it "
        "has finished."
    )


def _job_view(job_key: str, key: str, on_imported: Callable[[ImportResult], None] | None) -> None:
    status = jobs.RUNNER.status(st.session_state.get(job_key))
    if status is None:
        return
    st.text(f"File: {status.file_name}")
    if not status.done:
        st.progress(status.fraction, text=f"Importing: {status.stage} ({status.fraction:.0%})")
        return
    seen_key = f"{key}-seen"
    if st.session_state.get(seen_key) != status.id:
        st.session_state[seen_key] = status.id
        if status.state == "imported" and status.result is not None and on_imported is not None:
            on_imported(status.result)
        st.rerun()  # the whole app: pages read the new data version, the progress poll stops
    if status.state == "imported" and status.result is not None:
        result = status.result
        st.success(
            f"Imported: {result.rows_read:,} rows read, {result.rows_inserted:,} rows added, "
            f"{result.rows_updated:,} already present."
        )
    elif status.state == "rejected":
        st.error("The file was rejected; nothing was changed. Every problem found:")
        st.dataframe(status.report, hide_index=True, width="stretch")
    else:
        st.error("The import failed; nothing was changed.")
        st.text(status.message)
