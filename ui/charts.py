"""Chart and table conventions: colour-blind-safe palette, never colour alone, a table/text alternative, and
exports that hold values only (never formulas or links) under file names without spaces."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy import Engine

from analytics.reports.xlsx import FORMULA_STARTS  # the one rule: exports prefix such cells with a quote

# Okabe-Ito palette (colour-blind safe); grades also carry their label and a marker, never colour alone.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
GRADE_COLOURS = {
    "Outstanding": "#0072B2",
    "Good": "#009E73",
    "Requires improvement": "#E69F00",
    "Satisfactory": "#E69F00",
    "Inadequate": "#D55E00",
    "Not inspected": "#999999",
}
GRADE_SYMBOLS = {
    "Outstanding": "star",
    "Good": "circle",
    "Requires improvement": "triangle-up",
    "Satisfactory": "triangle-up",
    "Inadequate": "x",
    "Not inspected": "circle-open",
}


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell that a spreadsheet would run as a formula made plain text ('=1+1' ->
    "'=1+1"). Numbers (negative ones included) are left as numbers."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out[column] = values.map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v
            ).astype(object)
    out.columns = [
        ("'" + c if isinstance(c, str) and c.startswith(FORMULA_STARTS) else c) for c in out.columns
    ]
    return out


def safe_filename(name: str) -> str:
    """A download file name of letters, digits, '-', '_' and '.' only (no spaces, slashes or quotes)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return cleaned[:120] or "download"


def to_csv(frame: pd.DataFrame) -> bytes:
    return neutralised(frame).to_csv(index=False).encode("utf-8")


def to_xlsx(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """One sheet of values: strings are never turned into formulas or hyperlinks."""
    buffer = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        neutralised(frame).to_excel(
            writer, sheet_name=re.sub(r"[\[\]:*?/\\]", " ", sheet)[:31] or "data", index=False
        )
    return buffer.getvalue()


def download_buttons(frame: pd.DataFrame, name: str, key: str) -> None:
    """CSV and XLSX downloads of exactly the figures shown (values only).

    Each file is written, and its download logged, when its button is pressed (Streamlit calls the function
    then, on a thread of its own), not on every run of the page: an XLSX of a few hundred rows costs more
    than the rest of a page run. A press does not rerun the page either."""
    from ui.read import current_viewer, engine

    person = current_viewer()
    export = partial(_exported, engine(), person.email if person else "(not signed in)", frame.copy())
    stem = safe_filename(name)
    left, right = st.columns(2)
    left.download_button(
        "Download CSV", partial(export, to_csv, f"{stem}.csv"), f"{stem}.csv", "text/csv",
        key=f"{key}-csv", icon=":material/download:", on_click="ignore",
    )
    right.download_button(
        "Download XLSX", partial(export, to_xlsx, f"{stem}.xlsx"), f"{stem}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}-xlsx", icon=":material/download:", on_click="ignore",
    )


def _exported(
    engine: Engine, who: str, frame: pd.DataFrame, write: Callable[[pd.DataFrame], bytes], filename: str
) -> bytes:
    """The file, its download logged (who, when, which file): every export is logged."""
    from analytics.access import log_event

    payload = write(frame)
    log_event(engine, who, "export", f"{filename} ({len(frame)} rows)")
    return payload


def chart_with_alternative(fig: go.Figure, table: pd.DataFrame, summary: str, *, name: str, key: str) -> None:
    """Draw a chart with a text summary under it (plain text) and its data as a table plus CSV/XLSX
    exports."""
    # Attribute by attribute: a third of what one update_layout call costs (under load every run draws its
    # charts again).
    fig.layout.colorway = OKABE_ITO
    fig.layout.font.size = 14
    margin = fig.layout.margin
    margin.l, margin.r, margin.t, margin.b = 10, 10, 40, 10
    st.plotly_chart(fig, width="stretch", key=f"{key}-chart", config={"displaylogo": False})
    st.text(summary)
    if st.toggle("Show the data as a table", key=f"{key}-table"):
        st.dataframe(table, hide_index=True, width="stretch")
    download_buttons(table, name, key)


def plain_label(text: object) -> str:
    """Text from the data made safe for a plotly label (plotly renders a subset of HTML in labels)."""
    return (
        str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") if text is not None else ""
    )
