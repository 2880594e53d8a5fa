"""Monthly SCC meeting view: the register as at the last meeting against now, and what the meeting must see.

New entries, exits, escalations and de-escalations; reviews due and overdue; interventions at their two-term
review or three-term escalation; schools inspected since the last meeting; high-risk schools not on the
register; spend to date by district; disagreements between the register and the data.
"""

from __future__ import annotations

import html
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics.register import interventions, reviews
from analytics.register.base import RegisterError
from ui import filters, packs, risk
from ui import register as ui
from ui.charts import OKABE_ITO, chart_with_alternative, download_buttons
from ui.read import engine, reader


def _since(la: str) -> date:
    """The comparison date: the LA's last recorded meeting, else a month ago; the user may pick another."""
    today = date.today()
    recorded = reviews.last_meeting(engine(), la, before=today + timedelta(days=1))
    default = recorded or today - timedelta(days=30)
    key = f"meeting_since_{la}"
    since = st.date_input(
        "Last meeting",
        value=st.session_state.get(key, default),
        max_value=today,
        format="DD/MM/YYYY",
        help="The register is compared as at this date with today",
    )
    st.session_state[key] = since
    if recorded:
        st.caption(f"Last meeting recorded for this LA: {recorded:%d/%m/%Y}.")
    else:
        st.caption("No meeting recorded for this LA yet: comparing with a month ago.")
    return since


def _record_meeting(la: str, who: str | None) -> None:
    if st.button(
        "Record today's meeting as held",
        key="meeting_record",
        disabled=who is None,
        help="The next meeting view then compares with today",
    ):
        assert who is not None
        try:
            reviews.record_meeting(engine(), la, date.today(), by=who)
        except RegisterError as error:
            ui.refused(error)
        else:
            ui.saved(f"Meeting of {date.today():%d/%m/%Y} recorded.")
    if who is None:
        st.caption("Only directors and DSIMs record meetings.")


def _table(frame: pd.DataFrame, title: str, empty: str, name: str, key: str) -> None:
    st.subheader(title)
    if frame.empty:
        st.text(empty)
        return
    st.dataframe(frame, hide_index=True, width="stretch")
    download_buttons(frame, name, key)


def _level_chart(counts: pd.DataFrame, la: str) -> None:
    st.subheader("The register then and now")
    if counts.empty:
        st.text("No school had a recorded level at the last meeting or has one now.")
        return
    labels = [html.escape(str(v)) for v in counts["level_label"]]
    fig = go.Figure(
        [
            go.Bar(
                name="At the last meeting",
                x=labels,
                y=counts["at the last meeting"],
                marker_color=OKABE_ITO[5],
                marker_pattern_shape="/",
            ),
            go.Bar(name="Now", x=labels, y=counts["now"], marker_color=OKABE_ITO[0]),
        ]
    )
    fig.update_layout(barmode="group", title="Schools per level", height=320, yaxis_title="Schools")
    summary = "; ".join(
        f"{lv}: {b} then, {n} now"
        for lv, b, n in zip(counts["level_label"], counts["at the last meeting"], counts["now"], strict=True)
    )
    chart_with_alternative(
        fig,
        counts,
        f"Schools per level. {summary}.",  # plain text (chart_with_alternative)
        name=f"register-levels-{la}",
        key="meeting-levels",
    )


def _spend_chart(spend: pd.DataFrame, la: str) -> None:
    st.subheader("Spend to date by district")
    if spend.empty:
        st.text("No interventions recorded: no spend.")
        return
    totals = spend.groupby("district")["cost_to_date"].sum().sort_values()
    fig = go.Figure()
    for number, (funder, rows) in enumerate(spend.groupby("funded_by")):
        by = rows.set_index("district")["cost_to_date"].reindex(totals.index).fillna(0)
        fig.add_trace(
            go.Bar(
                name=html.escape(str(funder)),
                y=[html.escape(str(d)) for d in by.index],
                x=by,
                orientation="h",
                marker_color=OKABE_ITO[number],
                marker_pattern_shape=["", "/"][number % 2],
            )
        )
    fig.update_layout(
        barmode="stack",
        title="Cost to date (GBP): used officer days x day rate + other costs",
        height=max(260, 40 * len(totals) + 120),
        xaxis_title="GBP",
    )
    summary = "; ".join(f"{d}: GBP {v:,.0f}" for d, v in totals.sort_values(ascending=False).items())
    chart_with_alternative(
        fig,
        spend,
        f"Total GBP {totals.sum():,.0f}. {summary}.",
        name=f"spend-{la}",
        key="meeting-spend",
    )


def render() -> None:
    rm = reader()
    chosen = filters.county_filters(rm, with_phase=False)
    who = ui.editor()
    st.title("Monthly meeting view")
    if chosen is None:
        st.info("No data has been imported yet, or none that you may see.")
        return
    ui.show_saved()
    la = chosen.la
    st.text(
        f"Local authority: {la}. The meeting view covers every school of the LA (the Type filter does not "
        "apply)."
    )
    since = _since(la)
    today = date.today()
    view = ui.meeting_view(la, since, today, rm.data, ui.register_version(), risk.model_id())
    _record_meeting(la, who)
    summary = view.summary()
    cols = st.columns(4)
    for number, (label, value) in enumerate(summary.items()):
        cols[number % 4].metric(label.capitalize(), value)
    st.text(f"Comparing the register as at {since:%d/%m/%Y} with today, {today:%d/%m/%Y}.")
    st.subheader("Meeting pack")
    st.caption("The papers for the meeting (OFFICIAL-SENSITIVE): county KPIs, inspections, movement, the "
               "register, high-risk schools and inspections expected, as a PDF, with its tables as XLSX.")
    packs.scc_pack(la, today, since, view)
    _level_chart(view.level_counts, la)
    _table(
        view.changes,
        "Changes since the last meeting",
        "No new entries, exits, escalations or de-escalations since the last meeting.",
        f"register-changes-{la}",
        "meeting-changes",
    )
    _table(
        view.reviews_due,
        "Reviews due (within a month) or overdue",
        "No reviews due or overdue.",
        f"reviews-due-{la}",
        "meeting-reviews",
    )
    st.subheader("Interventions at their two-term review or three-term escalation")
    st.caption(interventions.TERM_RULE)
    if view.interventions_due.empty:
        st.text("No intervention has reached its review or escalation date.")
    else:
        st.dataframe(view.interventions_due, hide_index=True, width="stretch")
        download_buttons(view.interventions_due, f"interventions-due-{la}", "meeting-interventions")
    data_note = (
        f" The store's latest Ofsted data are as at {view.data_date:%d/%m/%Y}." if view.data_date else ""
    )
    _table(
        view.inspected,
        "Schools inspected since the last meeting",
        "No inspection since the last meeting in the data." + data_note,
        f"inspected-{la}",
        "meeting-inspected",
    )
    if not view.inspected.empty and data_note:
        st.caption(data_note.strip())
    _table(
        view.high_risk_not_on_register,
        "High-risk schools not on the register",
        "None (or no early-warning model has been trained).",
        f"high-risk-off-register-{la}",
        "meeting-risk",
    )
    _spend_chart(view.spend_by_district, la)
    _table(
        view.disagreements,
        "Where the register and the data disagree",
        "No disagreements.",
        f"disagreements-{la}",
        "meeting-disagreements",
    )


render()
