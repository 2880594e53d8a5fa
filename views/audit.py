"""Audit trail of the register: every change (who, when, what, old, new, reason), filtered and exported."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from ui import filters
from ui import register as ui
from ui.charts import download_buttons
from ui.read import reader

ENTITIES = ["entry", "intervention", "note", "review", "meeting", "setting", "import"]


def _filtered(
    frame: pd.DataFrame, entities: list[str], since: date | None, until: date | None
) -> pd.DataFrame:
    out = frame
    if entities:
        out = out.loc[out["entity"].isin(entities)]
    when = pd.to_datetime(out["at"], utc=True).dt.date
    if since is not None:
        out = out.loc[when >= since]
    if until is not None:
        out = out.loc[when <= until]
    return out


def render() -> None:
    chosen = filters.county_filters(reader(), with_phase=False)
    st.title("Audit trail")
    if chosen is None:
        st.info("No data has been imported yet, or none that you may see.")
        return
    st.text(
        f"Local authority: {chosen.la}. Every change to a level, stage, intervention, review, note, "
        "meeting or setting, newest first. Rows are never changed or deleted (the Type filter does not "
        "apply)."
    )
    left, middle, right, far = st.columns(4)
    urn_text = left.text_input("URN (optional)", key="audit_urn")
    entities = middle.multiselect("What", ENTITIES, key="audit_entities", placeholder="Any change")
    since = right.date_input("From", value=None, format="DD/MM/YYYY", key="audit_since")
    until = far.date_input("To", value=None, format="DD/MM/YYYY", key="audit_until")
    urn = int(urn_text) if urn_text.strip().isdigit() else None
    if urn_text.strip() and urn is None:
        st.error("A URN is a number, e.g. 100000.")
    frame = ui.audit_log(chosen.la, urn, ui.register_version())
    shown = _filtered(frame, entities, since, until)
    if shown.empty:
        st.info("No audit rows match.")
        return
    view = shown.assign(at=ui.utc_text(shown["at"]))
    st.dataframe(
        view,
        hide_index=True,
        width="stretch",
        column_config={
            "old_value": st.column_config.TextColumn("old", width="medium"),
            "new_value": st.column_config.TextColumn("new", width="medium"),
        },
    )
    st.text(f"{len(shown)} of {len(frame)} audit rows for this LA shown.")
    download_buttons(view, f"audit-{chosen.la}", "audit")


render()
