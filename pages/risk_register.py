"""Risk register: every open school in the LA ranked by the early-warning model's risk, with its drivers."""

from __future__ import annotations

import streamlit as st

from analytics.risk.listing import NOT_SCORED, band_counts, risk_listing
from ui import filters, risk
from ui.charts import download_buttons
from ui.read import reader
from ui.text import escape

rm = reader()
version = rm.version
chosen = filters.county_filters(rm)
if chosen is None:
    st.title("Risk register")
    st.info("No data has been imported yet, or none that you may see.")
    st.stop()
st.title(f"Risk register: {escape(chosen.la)}")
meta = risk.metadata()
if meta is None:
    st.info(risk.TRAIN_HINT)
    st.stop()

local = rm.schools(chosen.la, chosen.phase, chosen.sector)
table = risk_listing(local, risk.scores(meta["path"]), rm.due())
st.caption(
    f"{chosen.describe()}. Risk = the model's probability that the school's next graded "
    f"inspection is Requires "
    f"improvement or Inadequate, scored on {meta.get('scored_on', '?')} with the model trained at "
    f"{meta['trained_at']} (see the Model card). Bands rank all of England: high = riskiest 10%, elevated = "
    "next 10%. Due dates are approximate (DESIGN rules; see the school page for the rule used)."
)
if meta.get("data_version") not in (None, version):
    st.warning(
        "Data have been imported since the model was trained: retrain (`python -m analytics train`) "
        "to score the schools on the new data."
    )

counts = band_counts(table)
cols = st.columns(4)
cols[0].metric("High risk (England top 10%)", counts["high"])
cols[1].metric("Elevated (next 10%)", counts["elevated"])
cols[2].metric("Lower", counts["lower"])
cols[3].metric("Not scored (never graded)", counts[NOT_SCORED])

bands = st.multiselect(
    "Bands",
    ["high", "elevated", "lower", NOT_SCORED],
    default=["high", "elevated", "lower"],
    key="risk_bands",
)
search = st.text_input("Find a school (name or URN)", key="risk_search")
shown = table.loc[table["Band"].isin(bands)]
if search:
    text = search.strip().lower()
    shown = shown.loc[
        shown["School"].str.lower().str.contains(text, regex=False)
        | shown["URN"].astype(str).str.contains(text, regex=False)
    ]

view = shown.copy()
view.insert(0, "Flag", ["HIGH RISK" if b == "high" else "" for b in view["Band"]])


def _highlight(row: object) -> list[str]:
    high = getattr(row, "Band", "") == "high"
    return ["background-color: #FBE3D6; font-weight: bold" if high else "" for _ in view.columns]


st.dataframe(
    view.style.apply(_highlight, axis=1),
    hide_index=True,
    width="stretch",
    column_config={
        "Risk": st.column_config.ProgressColumn("Risk", format="percent", min_value=0.0, max_value=1.0),
        "Riskiest share of England": st.column_config.NumberColumn(format="percent"),
        "Link": st.column_config.LinkColumn("School page", display_text="Open"),
        "Drivers": st.column_config.TextColumn(width="large"),
    },
)
st.caption(f"{len(shown)} of {len(table)} schools shown. 'HIGH RISK' rows are also shaded.")
download_buttons(shown, f"risk-register-{chosen.la}", "risk-register")
