"""Movement: every school inspected (graded) in a period, previous grade -> new grade, transition matrix."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import movement
from analytics.grades import DERIVED
from analytics.school_calendar import PERIOD_KINDS, periods
from ui import filters
from ui.charts import chart_with_alternative
from ui.read import reader
from ui.tables import show_school_table
from ui.text import escape

SHOW = ["All", "Reprioritise", "Improved", "Declined", "Static"]
#: On-screen (and download) headers of the list of schools inspected.
HEADERS = {
    "flag": "Flag",
    "urn": "URN",
    "name": "School",
    "phase": "Phase",
    "sector": "Type",
    "inspection_date": "Inspected",
    "new_grade": "New grade",
    "previous": "Previous grade",
    "previous_date": "Previous inspected",
    "movement": "Movement",
    "previous_known_exactly": "Previous certain",
}


CARD_HEADERS = {
    "urn": "URN",
    "name": "School",
    "phase": "Phase",
    "inspection_date": "Inspected",
    "areas": "Area grades",
    "safeguarding": "Safeguarding",
    "category": "Category of concern",
    "previous": "Previous grade",
    "previous_date": "Previous inspected",
    "adverse_derived": "Adverse flag (derived)",
    "comparison_derived": "Against previous grade (derived)",
}


def render_report_cards(cards: pd.DataFrame, name: str) -> None:
    """Report-card inspections in the period ("new framework"): no single grade, so they are listed with
    their area grades and compared with the previous grade only through the labelled derived adverse flag."""
    if cards.empty:
        return
    st.subheader(f"New framework: {len(cards):,} report cards in this period")
    st.caption(
        "Report cards (from 10 November 2025) have no single grade: they are not in the counts or the matrix "
        "below. Each is compared with the previous grade only through the derived adverse flag (leadership "
        "and governance 'needs attention' or 'urgent improvement', any 'urgent improvement', or safeguarding "
        "not met; before: Requires improvement or Inadequate), labelled 'derived'."
    )
    show_school_table(cards[list(CARD_HEADERS)].rename(columns=CARD_HEADERS), name=f"report-cards-{name}",
                      key="movement-cards")


def render() -> None:
    rm = reader()
    chosen = filters.county_filters(rm)
    if chosen is None:
        st.title("Movement")
        st.info("No data has been imported yet, or none that you may see.")
        return
    as_at = rm.data_date()
    first = rm.first_graded() or as_at
    choices = {kind: periods(kind, first, as_at) for kind in PERIOD_KINDS}
    labels = {kind: [p.label for p in found] for kind, found in choices.items()}
    kind, label = filters.period_choice(PERIOD_KINDS, labels, "academic year")
    period = next(p for p in choices[kind] if p.label == label)

    moves = rm.period_movement(chosen.la, chosen.phase, chosen.sector, period.start, period.end)
    summary = movement.movement_summary(moves)

    st.title(f"Movement: {escape(chosen.la)}, {period.label}")
    st.text(
        f"{chosen.describe()}. Every school with a graded inspection starting {period.start:%d %b %Y} to "
        f"{period.end:%d %b %Y} (its last one in the period), against the graded inspection before it. "
        "Terms: autumn Sep-Dec, spring Jan-Mar, summer Apr-Aug. Inspections of a predecessor school (before "
        "academy conversion or amalgamation) count for today's school and are marked inherited."
    )
    cols = st.columns(5)
    for col, key in zip(cols, ["inspected", "improved", "static", "declined", "reprioritise"], strict=True):
        col.metric(key.capitalize(), f"{summary[key]:,}")
    cards = rm.report_cards_in_period(chosen.la, chosen.phase, chosen.sector, period.start, period.end)
    render_report_cards(cards, f"{chosen.la}-{period.label}")
    if moves.empty:
        st.info("No graded inspections on the 1-4 scale in this period for these schools.")
        return

    st.subheader("Transition matrix")
    matrix = movement.transition_matrix(moves)
    heat = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=list(matrix.columns),
            y=list(matrix.index),
            text=matrix.to_numpy(),
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
            hovertemplate="Previous %{y} -> new %{x}: %{z} schools<extra></extra>",
        ),
        layout={
            "title": f"Previous grade (rows) -> new grade (columns), {period.label}",
            "xaxis": {"title": "New grade", "side": "top"},
            "yaxis": {"title": "Previous grade", "autorange": "reversed"},
        },
    )
    table = matrix.reset_index()
    table.columns = [str(c) for c in table.columns]
    text = (
        f"{summary['inspected']} schools inspected in {period.label}: {summary['improved']} improved, "
        f"{summary['static']} stayed the same, {summary['declined']} declined and "
        f"{summary['first graded inspection']} had their first graded inspection. {summary['reprioritise']} "
        f"to "
        f"reprioritise (declined, or static below good). {summary['previous inherited']} previous grades are "
        "inherited from a predecessor school."
    )
    chart_with_alternative(
        heat, table, text, name=f"transition-{chosen.la}-{period.label}", key="movement-matrix"
    )

    st.subheader("Schools inspected")
    show = moves.assign(
        inspection_date=moves["start"].dt.date,
        previous_date=moves["previous_start"].dt.date,
        flag=["Reprioritise" if r else "" for r in moves["reprioritise"]],
        new_grade=[
            g + (" (derived)" if s == DERIVED else "")
            for g, s in zip(moves["new_grade"], moves["grade_source"], strict=True)
        ],
        previous=[
            p + (" (inherited)" if i else "")
            for p, i in zip(moves["previous"], moves["previous_inherited"], strict=True)
        ],
    )
    only = filters.remembered_segment("Show", SHOW, "show", "All")
    if only == "Reprioritise":
        show = show[show["reprioritise"]]
    elif only in ("Improved", "Declined", "Static"):
        show = show[show["movement"] == only.lower()]
    listing = show[list(HEADERS)].rename(columns=HEADERS)
    show_school_table(
        listing,
        name=f"movement-{chosen.la}-{period.label}",
        key="movement-list",
        column_config={
            "Flag": st.column_config.TextColumn(
                "Flag", help="Declined, or static below good: reprioritise support"
            ),
            "New grade": st.column_config.TextColumn(help="'derived': 2024/25 grade from the key judgements"),
            "Previous grade": st.column_config.TextColumn(help="'inherited': a predecessor school's grade"),
            "Previous certain": st.column_config.CheckboxColumn(
                help="False where an unrecorded 2020-21 inspection could sit in between"
            ),
            "School": st.column_config.TextColumn(width="medium"),
        },
    )


render()
