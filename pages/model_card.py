"""Model card of the early-warning model: data, time-split backtests, calibration, baseline, limits."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics.risk.cards import (
    KNOWN_LIMITS,
    at_k_table,
    backtest_table,
    calibration_table,
    coefficient_table,
    group_table,
)
from ui import risk
from ui.charts import chart_with_alternative

st.title("Model card: early-warning model")
meta = risk.metadata()
if meta is None:
    st.info(risk.TRAIN_HINT)
    st.stop()

st.write(
    f"Predicts whether a school's next graded inspection will be Requires improvement or Inadequate "
    f"(2024/25 grades derived from key judgements). Chosen model: {meta['kind']}, trained at "
    f"{meta['trained_at']} "
    f"on {meta['n_train']:,} graded inspections ({meta['first_example']} to "
    f"{meta['last_example']}) that had an "
    f"earlier graded inspection at the same school or its predecessor. Fit time "
    f"{meta.get('fit_seconds', '?')} s."
)
st.subheader("Time-split backtests")
st.caption(
    "Each backtest trains only on inspections that started before the window and scores the graded "
    "inspections inside it. Baseline: previous grade, worst first, then longest time since it."
)
backtests = meta.get("backtests", [])
st.dataframe(backtest_table(backtests), hide_index=True, width="stretch")
if not backtests:
    st.stop()
labels = [f"{b['test_from']} to {b['test_to']}" for b in backtests]
chosen = st.segmented_control("Window", labels, default=labels[0], key="card_window") or labels[0]
result = backtests[labels.index(chosen)]

calibration = calibration_table(result)
fig = go.Figure()
fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration", line={"dash": "dash"})
fig.add_scatter(
    x=calibration["Mean predicted risk"],
    y=calibration["Observed RI/Inadequate rate"],
    mode="lines+markers",
    name="model (tenths of the score)",
    marker={"symbol": "circle", "size": 9},
)
fig.update_layout(
    title="Calibration",
    xaxis_title="mean predicted risk",
    yaxis_title="observed adverse rate",
    xaxis_tickformat=".0%",
    yaxis_tickformat=".0%",
)
worst = (calibration["Observed RI/Inadequate rate"] - calibration["Mean predicted risk"]).abs().max()
chart_with_alternative(
    fig,
    calibration,
    f"Ten equal groups by score; largest gap between predicted and observed "
    f"rate {worst:.0%}. Brier score {result['brier']:.3f}.",
    name="calibration",
    key="card-cal",
)

at_k = at_k_table(result)
fig = go.Figure()
for column, symbol, dash in (
    ("Model recall", "circle", "solid"),
    ("Baseline recall", "square", "dot"),
    ("Model precision", "triangle-up", "solid"),
    ("Baseline precision", "x", "dot"),
):
    fig.add_scatter(
        x=at_k["Riskiest share flagged"],
        y=at_k[column],
        mode="lines+markers",
        name=column,
        marker={"symbol": symbol, "size": 9},
        line={"dash": dash},
    )
fig.update_layout(
    title="Precision and recall at k",
    xaxis_title="riskiest share of schools flagged",
    yaxis_title="share",
    xaxis_tickformat=".0%",
    yaxis_tickformat=".0%",
)
row20 = at_k.loc[at_k["Riskiest share flagged"] == 0.2].iloc[0]
chart_with_alternative(
    fig,
    at_k,
    f"Flagging the riskiest 20% catches {row20['Model recall']:.0%} of the RI/Inadequate outcomes "
    f"(baseline {row20['Baseline recall']:.0%}).",
    name="precision-recall-at-k",
    key="card-atk",
)

left, right = st.columns(2)
left.markdown("**By IDACI quintile** (1 least deprived)")
left.dataframe(group_table(result, "by_idaci_quintile", "IDACI quintile"), hide_index=True, width="stretch")
right.markdown("**By phase**")
right.dataframe(group_table(result, "by_phase", "Phase"), hide_index=True, width="stretch")
st.caption(
    "Recall at 20% within a group = share of that group's RI/Inadequate outcomes inside the riskiest 20% "
    "of all schools in the window."
)

st.subheader("Model choice and the interpretable model")
validation = meta.get("validation_auc", {})
st.write(
    "Validation AUC on the last year before the cut-off (used to choose): "
    + ", ".join(f"{k} {v:.3f}" for k, v in validation.items())
)
st.dataframe(coefficient_table(meta.get("logit_coefficients", [])), hide_index=True, width="stretch")
st.caption(
    "Logistic regression (statsmodels) on the same data: odds ratios with 95% confidence intervals. "
    "Per-school drivers on the risk register come from this model."
)

st.subheader("Data and features")
st.write("Features: " + ", ".join(meta.get("features", [])))
st.subheader("Known limits")
for limit in KNOWN_LIMITS:
    st.markdown(f"- {limit}")
versions = pd.DataFrame(list(meta.get("versions", {}).items()), columns=["library", "version"])
st.dataframe(versions, hide_index=True)
