"""Risk register: an LA's open schools ranked by the early-warning model, Good/Outstanding by default."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from analytics.risk.listing import DEFAULT_GRADE_GROUPS, GRADE_GROUPS, NOT_SCORED, band_counts
from ui import filters, risk
from ui.charts import download_buttons
from ui.read import ALL, reader

BANDS = ["high", "elevated", "lower", NOT_SCORED]


def _choose_rows(table: pd.DataFrame, chosen: filters.Filters) -> pd.DataFrame:
    """Rows for the sidebar's phase and type, the current-grade groups and bands chosen, and the search."""
    shown = table
    if chosen.phase != ALL:
        shown = shown.loc[shown["Phase"] == chosen.phase]
    if chosen.sector != ALL:
        shown = shown.loc[shown["Sector"] == chosen.sector]
    groups = st.multiselect(
        "Current grade",
        list(GRADE_GROUPS),
        default=list(DEFAULT_GRADE_GROUPS),
        key="risk_grades",
        help="By default the schools the register exists to watch: Good or Outstanding now (or with no grade "
        "on the 1-4 scale). Add 'Requires improvement or Inadequate' to see the rest.",
    )
    bands = st.multiselect("Bands", BANDS, default=BANDS[:3], key="risk_bands")
    search = st.text_input("Find a school (name or URN)", key="risk_search")
    shown = shown.loc[shown["Grade group"].isin(groups) & shown["Band"].isin(bands)]
    if search:
        text = search.strip().lower()
        shown = shown.loc[
            shown["School"].str.lower().str.contains(text, regex=False)
            | shown["URN"].astype(str).str.contains(text, regex=False)
        ]
    return shown


def _cautions(shown: pd.DataFrame) -> None:
    """A visible warning for the schools whose group the model ranks poorly (issue 16)."""
    flagged = shown.loc[shown["Caution"] != ""]
    if flagged.empty:
        return
    lines = [
        f"{count} school{'s' if count > 1 else ''}: {text}"
        for text, count in flagged["Caution"].value_counts().items()
    ]
    st.warning(risk.plain("\n\n".join(lines)), icon=":material/warning:")


def render() -> None:
    rm = reader()
    version, model = rm.version, risk.model_id()
    chosen = filters.county_filters(rm)
    st.title("Risk register")
    if chosen is None:
        st.info("No data has been imported yet, or none that you may see.")
        return
    st.text(f"Local authority: {chosen.describe()}")
    meta = risk.metadata(rm.data, model) if model is not None else None
    if model is None or meta is None:
        st.info(risk.TRAIN_HINT)
        return
    table = rm.detail_only(risk.register(rm, model, chosen.la), "URN")
    as_of = rm.data_date()
    st.caption(
        "Risk = the model's probability that the school's next graded inspection is Requires improvement or "
        "Inadequate. Likely range = where the risk of schools scored like this one lay in the backtests "
        "(95%). Rank in LA: 1 = the riskiest scored school of the LA. Bands rank all of England: high = "
        "riskiest 10%, elevated = next 10%. "
        f"Scored on {meta.get('scored_on', '?')} by the model trained at {risk.when(meta['trained_at'])} "
        f"(see the Model card). Due dates are approximate, as at {as_of:%d %b %Y} (see the school page for "
        "the rule used)."
    )
    if meta.get("data_version") != version:
        st.warning(
            "Data have been imported since the model was trained: retrain it (`python -m analytics train`) "
            "to score the schools on the new data."
        )
    shown = _choose_rows(table, chosen)
    counts = band_counts(shown)
    cols = st.columns(4)
    cols[0].metric("High risk (England top 10%)", counts["high"])
    cols[1].metric("Elevated (next 10%)", counts["elevated"])
    cols[2].metric("Lower", counts["lower"])
    cols[3].metric("Not scored (never graded)", counts[NOT_SCORED])
    _cautions(shown)
    view = shown.drop(columns=["Grade group", "Sector"])
    view.insert(0, "Flag", ["HIGH RISK" if b == "high" else "" for b in view["Band"]])
    st.dataframe(  # flagged in words, not by shading rows: a Styler cost more than the rest of the page
        view,
        hide_index=True,
        width="stretch",
        column_config={
            "Risk": st.column_config.ProgressColumn("Risk", format="percent", min_value=0.0, max_value=1.0),
            "Riskiest share of England": st.column_config.NumberColumn(format="percent"),
            "Link": st.column_config.LinkColumn("School page", display_text="Open"),
            "Drivers": st.column_config.TextColumn(width="large"),
            "Caution": st.column_config.TextColumn(width="large"),
        },
    )
    st.caption(
        f"{len(shown)} of {len(table)} schools of the LA shown. The Flag column marks HIGH RISK schools; a "
        "Reliability of 'use with caution' marks a group the model ranks poorly: read their risk with the "
        "caution."
    )
    name = "risk-register-" + re.sub(r"[^A-Za-z0-9]+", "-", chosen.la).strip("-")
    download_buttons(view.drop(columns=["Link"]), name, "risk-register")  # a URN column, no app links


render()
