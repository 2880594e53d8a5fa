"""Movement: every school inspected (graded) in a period, previous grade -> new grade, transition matrix."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from analytics import movement
from ui import county, data, filters
from ui.charts import chart_with_alternative, download_buttons

version = data.version()
chosen = filters.county_filters()
as_at = county.data_date(version)
lineage = county.lineage(version)
first = lineage["start"].min().date()
choices = {kind: movement.periods(kind, first, as_at) for kind in movement.PERIOD_KINDS}
labels = {kind: [p.label for p in found] for kind, found in choices.items()}
kind, label = filters.period_choice(movement.PERIOD_KINDS, labels, "academic year")
period = next(p for p in choices[kind] if p.label == label)

schools = county.filtered(county.schools(version), chosen.la, chosen.phase, chosen.sector)
moves = movement.period_movement(lineage, schools, period.start, period.end, county.exact_from(version))
summary = movement.movement_summary(moves)

st.title(f"Movement: {chosen.la}, {period.label}")
st.caption(
    f"{chosen.describe()}. Every school with a graded inspection starting {period.start:%d %b %Y} to "
    f"{period.end:%d %b %Y} (its last one in the period), against the graded inspection before it. "
    "Terms: autumn Sep-Dec, spring Jan-Mar, summer Apr-Aug. Inspections of a predecessor school (before "
    "academy conversion or amalgamation) count for today's school and are marked inherited."
)
cols = st.columns(5)
for col, key in zip(cols, ["inspected", "improved", "static", "declined", "reprioritise"], strict=True):
    col.metric(key.capitalize(), f"{summary[key]:,}")
if moves.empty:
    st.info("No graded inspections in this period for these schools.")
    st.stop()

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
    )
)
heat.update_layout(
    title=f"Previous grade (rows) -> new grade (columns), {period.label}",
    xaxis={"title": "New grade", "side": "top"},
    yaxis={"title": "Previous grade", "autorange": "reversed"},
)
table = matrix.reset_index()
table.columns = [str(c) for c in table.columns]
text = (
    f"{summary['inspected']} schools inspected in {period.label}: {summary['improved']} improved, "
    f"{summary['static']} stayed the same, {summary['declined']} declined and "
    f"{summary['first graded inspection']} had their first graded inspection. {summary['reprioritise']} to "
    f"reprioritise (declined, or static below good). {summary['previous inherited']} previous grades are "
    "inherited from a predecessor school."
)
chart_with_alternative(
    heat, table, text, name=f"transition-{chosen.la}-{period.label}", key="movement-matrix"
)

st.subheader("Schools inspected")
show = moves.assign(
    school=[f"/school?urn={u}" for u in moves["urn"]],
    inspection_date=moves["start"].dt.date,
    previous_date=moves["previous_start"].dt.date,
    flag=["Reprioritise" if r else "" for r in moves["reprioritise"]],
    previous_inherited=["inherited" if i else "" for i in moves["previous_inherited"]],
)
columns = [
    "flag",
    "urn",
    "name",
    "school",
    "phase",
    "sector",
    "inspection_date",
    "new_grade",
    "grade_source",
    "previous",
    "previous_date",
    "previous_inherited",
    "movement",
    "previous_known_exactly",
]
only = st.segmented_control(
    "Show", ["All", "Reprioritise", "Improved", "Declined", "Static"], default="All", key="movement_show"
)
if only == "Reprioritise":
    show = show[show["reprioritise"]]
elif only in ("Improved", "Declined", "Static"):
    show = show[show["movement"] == only.lower()]
st.dataframe(
    show[columns],
    hide_index=True,
    width="stretch",
    column_config={
        "flag": st.column_config.TextColumn(
            "Flag", help="Declined, or static below good: reprioritise support"
        ),
        "school": st.column_config.LinkColumn("Drilldown", display_text="Open"),
        "name": "School",
        "new_grade": "New grade",
        "grade_source": "Grade source",
        "previous": "Previous grade",
        "previous_inherited": st.column_config.TextColumn(
            "Previous inherited", help="Predecessor school's grade"
        ),
        "previous_known_exactly": st.column_config.CheckboxColumn(
            "Previous certain", help="False where an unrecorded 2020-21 inspection could sit in between"
        ),
    },
)
download_buttons(show[columns], f"movement-{chosen.la}-{period.label}", key="movement-list")
