"""Model card of the early-warning model: data, time-split backtests, targets, groups, calibration, limits."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics.risk.cards import (
    KNOWN_LIMITS,
    at_k_table,
    backtest_table,
    calibration_sentence,
    calibration_table,
    coefficient_table,
    features_table,
    group_metrics_table,
    mainstream_note,
    overall_target_statements,
    target_statements,
    window_label,
)
from analytics.risk.training import TARGET_WINDOW
from ui import risk
from ui.charts import chart_with_alternative
from ui.read import reader


def _summary(meta: dict[str, Any]) -> None:
    st.write(
        "Predicts whether a school's next graded inspection will be Requires improvement or Inadequate "
        f"(2024/25 grades derived from key judgements). Chosen model: {meta['kind']}, trained at "
        f"{risk.when(meta['trained_at'])} on {meta['n_train']:,} graded inspections "
        f"({meta['first_example']} to {meta['last_example']}) that had an earlier graded inspection at the "
        f"same school or its predecessor, on the data as at import number {meta.get('data_version')}. Every "
        f"open school with a graded inspection was scored on {meta.get('scored_on', '?')}. Training took "
        f"{meta.get('train_seconds', '?')} s in all (final fit {meta.get('fit_seconds', '?')} s)."
    )


def _targets(backtests: list[dict[str, Any]]) -> None:
    st.subheader("Targets for groups of schools")
    st.caption(
        "Targets: the model should rank schools within every phase with at least 40 inspections in the "
        "window clearly better than chance (AUC at least 0.65; 0.5 is chance, 1 is perfect), and its mean "
        "predicted risk should be within 2 percentage points of the observed rate in every IDACI quintile, "
        "on the 2023/24 window and every later one, without lowering the overall figures of the model "
        "before these targets were set."
    )
    for backtest in backtests:
        statements = target_statements(backtest)
        if backtest["test_from"] == str(TARGET_WINDOW[0].date()):
            statements += overall_target_statements(backtest)
        st.markdown(f"**{window_label(backtest)}** ({backtest['n_test']:,} inspections)")
        for met, sentence in statements:
            if met:
                st.success(risk.plain(sentence), icon=":material/check:")
            else:
                st.error(risk.plain(sentence), icon=":material/close:")


def _calibration_chart(result: dict[str, Any]) -> None:
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
        f"Ten equal groups by score; largest gap between predicted and observed rate {worst:.0%}. Brier "
        f"score {result['brier']:.3f} (mean squared error of the probabilities; lower is better).",
        name="calibration",
        key="card-cal",
    )


def _at_k_chart(result: dict[str, Any]) -> None:
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


def _groups(result: dict[str, Any]) -> None:
    st.subheader("By phase and by deprivation of the area")
    st.caption(
        "For each group of the window's inspections: how many there were and how many turned out RI or "
        "Inadequate, the observed rate against the model's mean predicted risk, and how well the model "
        "ranked schools within the group (AUC: 0.5 is chance, 1 is perfect; unreliable with few inspections)."
    )
    st.dataframe(group_metrics_table(result, "phase"), hide_index=True, width="stretch")
    st.dataframe(group_metrics_table(result, "idaci_quintile"), hide_index=True, width="stretch")


def _model_choice(meta: dict[str, Any]) -> None:
    st.subheader("Model choice, calibration and the interpretable model")
    validation = meta.get("validation_auc", {})
    st.write(
        "Candidates compared on the last academic year before the training cut-off (validation AUC, higher "
        "is better): " + ", ".join(f"{name} {value:.3f}" for name, value in validation.items()) + "."
    )
    st.write(calibration_sentence(meta))
    st.dataframe(coefficient_table(meta.get("logit_coefficients", [])), hide_index=True, width="stretch")
    st.caption(
        "Logistic regression (statsmodels) on the same data: odds ratios with 95% confidence intervals. "
        "The drivers shown for each school on the risk register come from this model."
    )


def render() -> None:
    st.title("Model card: early-warning model")
    data, model = reader().data, risk.model_id()
    meta = risk.metadata(data, model) if model is not None else None
    if model is None or meta is None:
        st.info(risk.TRAIN_HINT)
        return
    _summary(meta)
    backtests = meta.get("backtests", [])
    st.subheader("Time-split backtests")
    st.caption(
        "Each backtest trains only on inspections that started before the window and scores the graded "
        "inspections inside it. Baseline: previous grade, worst first, then longest time since it."
    )
    st.dataframe(backtest_table(backtests), hide_index=True, width="stretch")
    if backtests:
        _targets(backtests)
        labels = [window_label(b) for b in backtests]
        chosen = st.segmented_control("Window", labels, default=labels[0], key="card_window") or labels[0]
        result = backtests[labels.index(chosen)]
        _calibration_chart(result)
        _at_k_chart(result)
        _groups(result)
    _model_choice(meta)
    st.subheader("Data and model inputs")
    st.dataframe(features_table(meta.get("features", [])), hide_index=True, width="stretch")
    st.caption(mainstream_note())
    st.subheader("Known limits")
    for limit in KNOWN_LIMITS:
        st.markdown(f"- {limit}")
    versions = pd.DataFrame(list(meta.get("versions", {}).items()), columns=["library", "version"])
    st.dataframe(versions, hide_index=True)


render()
