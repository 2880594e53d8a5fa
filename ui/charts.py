"""Chart conventions: colour-blind-safe palette, never colour alone, a table/text alternative and exports."""

from __future__ import annotations

import io

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

# Okabe-Ito palette (colour-blind safe); grades also carry their label and a marker, never colour alone.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
GRADE_COLOURS = {
    "Outstanding": "#0072B2", "Good": "#009E73", "Requires improvement": "#E69F00", "Satisfactory": "#E69F00",
    "Inadequate": "#D55E00", "Not inspected": "#999999",
}
GRADE_SYMBOLS = {"Outstanding": "star", "Good": "circle", "Requires improvement": "triangle-up",
                 "Satisfactory": "triangle-up", "Inadequate": "x", "Not inspected": "circle-open"}


def to_xlsx(frame: pd.DataFrame, sheet: str = "data") -> bytes:
    """Values only: text such as '=1+2' or a URL stays text (not a formula or link) in the workbook."""
    buffer = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        frame.to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()


def download_buttons(frame: pd.DataFrame, name: str, key: str) -> None:
    """CSV and XLSX downloads of exactly the figures shown."""
    left, right = st.columns(2)
    left.download_button("Download CSV", frame.to_csv(index=False).encode("utf-8"), f"{name}.csv", "text/csv",
                         key=f"{key}-csv", icon=":material/download:")
    right.download_button("Download XLSX", to_xlsx(frame), f"{name}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}-xlsx", icon=":material/download:")


def chart_with_alternative(fig: go.Figure, table: pd.DataFrame, summary: str, *, name: str, key: str) -> None:
    """Draw a chart with a text summary under it and its data as a table (toggle) plus CSV/XLSX exports."""
    fig.update_layout(colorway=OKABE_ITO, font={"size": 14}, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    st.plotly_chart(fig, width="stretch", key=f"{key}-chart", config={"displaylogo": False})
    st.caption(summary)
    if st.toggle("Show the data as a table", key=f"{key}-table"):
        st.dataframe(table, hide_index=True, width="stretch")
    download_buttons(table, name, key)
