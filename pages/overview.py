"""Overview (home): LA headline KPIs with changes and England figures, trends, statistical neighbours."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import trends
from analytics.grades import DERIVED
from ui import county, data, filters
from ui.charts import OKABE_ITO, chart_with_alternative

version = data.version()
chosen = filters.county_filters()
schools = county.schools(version)
local = county.filtered(schools, chosen.la, chosen.phase, chosen.sector)
as_at = county.data_date(version)
if local.empty:
    st.title(f"{chosen.la}")
    st.info(f"No open schools match these filters ({chosen.describe()}).")
    st.stop()

st.title(f"Overview: {chosen.la}")
st.caption(
    f"{chosen.describe()}. Grades as at {as_at:%d %B %Y} (latest Ofsted release in the store): "
    "the outcome of each open school's latest graded inspection, a predecessor's where the school has not "
    "been inspected in its current form (inherited)."
)

kpis = county.headline_kpis(local)
england = county.england_kpis(version, chosen.phase, chosen.sector)
counts = county.trend_counts(version, "term")
local_counts = county.filtered(counts, chosen.la, chosen.phase, chosen.sector)
series = trends.kpi_series(local_counts)
dates = [d for d in series["as_at"] if d.date() < as_at]
labels = {f"{d:%d %b %Y}": d for d in reversed(dates)}
default_since = next((k for k, d in labels.items() if d.date() <= as_at.replace(year=as_at.year - 1)), None)
since_label = filters.comparison_choice(list(labels), default_since or next(iter(labels)))
past = series.set_index("as_at").loc[labels[since_label]]

CARDS = [
    (
        "% schools good or outstanding",
        "pct_schools_good_or_outstanding",
        "pct_schools_good_or_outstanding",
        "%",
        False,
    ),
    (
        "Pupils in good or outstanding schools",
        "pupils_in_good_or_outstanding",
        "pupils_good_or_outstanding",
        "",
        False,
    ),
    (
        "% pupils in good or outstanding schools",
        "pct_pupils_good_or_outstanding",
        "pct_pupils_good_or_outstanding",
        "%",
        False,
    ),
    ("Requires improvement", "schools_requires_improvement", "schools_requires_improvement", "", True),
    ("Inadequate", "schools_inadequate", "schools_inadequate", "", True),
    ("Serious weaknesses", "schools_serious_weaknesses", "schools_serious_weaknesses", "", True),
    ("Special measures", "schools_special_measures", "schools_special_measures", "", True),
    ("Stuck below good", "schools_stuck_below_good", "schools_stuck_below_good", "", True),
    ("Uninspected", "schools_uninspected", "schools_uninspected", "", True),
]


def _fmt(value: object, unit: str) -> str:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return "n/a"
    return f"{value:.1f}%" if unit == "%" else f"{int(value):,}"  # type: ignore[call-overload]


st.subheader("Headline figures")
columns = st.columns(3)
for number, (label, key, trend_key, unit, lower_is_better) in enumerate(CARDS):
    now, then = kpis[key], past[trend_key]
    delta = None if now is None or pd.isna(then) else round(float(now) - float(then), 1)
    with columns[number % 3].container(border=True):
        st.metric(
            label,
            _fmt(now, unit),
            delta=None if delta is None else (f"{delta:+.1f}" if unit else f"{delta:+,.0f}"),
            delta_color="inverse" if lower_is_better else "normal",
            help=f"Change since {since_label} (reconstructed grades as at that date)",
        )
        st.caption(f"England: {_fmt(england[key], unit)} · {since_label}: {_fmt(then, unit)}")
derived = int((local["grade_source"] == DERIVED).sum())
st.caption(
    f"Over {kpis['schools_with_grade']:,} schools with a grade; {kpis['schools_uninspected']:,} uninspected "
    f"schools are excluded and counted separately. {derived:,} grades are derived from the key judgements of "
    "2024/25 inspections (no overall grade), labelled 'derived'. 'Stuck' = RI or worse now and at the "
    "previous graded inspection. Grade known exactly for "
    f"{past['pct_known_exactly']:.1f}% of schools on {since_label} (see Trend). "
    "Pupil numbers are today's rolls."
)

st.subheader("Trend")
TREND_MEASURES = {
    "% schools good or outstanding": "pct_schools_good_or_outstanding",
    "% pupils in good or outstanding schools": "pct_pupils_good_or_outstanding",
    "Schools requires improvement": "schools_requires_improvement",
    "Schools inadequate": "schools_inadequate",
    "Schools stuck below good": "schools_stuck_below_good",
}
left, middle, right = st.columns(3)
measure_label = left.selectbox("Measure", list(TREND_MEASURES), key="overview_measure")
freq_label = middle.segmented_control(
    "Points",
    ["Term ends", "Month ends"],
    default="Term ends",
    key="overview_freq",
    help="Term ends since 2005 (31 Dec, 31 Mar, 31 Aug) or month ends since September 2018",
)
freq = "month" if freq_label == "Month ends" else "term"
split = right.segmented_control(
    "Break down by", ["None", "Phase", "Type"], default="None", key="overview_split"
)
measure = TREND_MEASURES[measure_label]
by = {"Phase": ["phase"], "Type": ["sector"]}.get(split or "None", [])
trend_counts = (
    local_counts
    if freq == "term"
    else county.filtered(county.trend_counts(version, freq), chosen.la, chosen.phase, chosen.sector)
)
trend = trends.kpi_series(trend_counts, by)
coverage = series if freq == "term" else trends.kpi_series(trend_counts)
fig = go.Figure()
symbols = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross"]
groups = [("All schools", trend)] if not by else [(str(k), g) for k, g in trend.groupby(by[0], dropna=False)]
for number, (name, group) in enumerate(groups):
    fig.add_trace(
        go.Scatter(
            x=group["as_at"],
            y=group[measure],
            name=name,
            mode="lines+markers",
            marker={"symbol": symbols[number % len(symbols)]},
            line={"color": OKABE_ITO[number % len(OKABE_ITO)]},
        )
    )
fig.add_trace(
    go.Scatter(
        x=coverage["as_at"],
        y=coverage["pct_known_exactly"],
        name="Grade known exactly (%)",
        mode="lines",
        line={"dash": "dot", "color": "#000000"},
        yaxis="y2",
    )
)
fig.update_layout(
    title=f"{measure_label}, {chosen.describe()}, at each {freq} end",
    yaxis={"title": measure_label},
    yaxis2={"title": "Grade known exactly (%)", "overlaying": "y", "side": "right", "range": [0, 101]},
    legend={"orientation": "h"},
)
table = trend[["as_at", *by, measure, "schools", "schools_with_grade", "pct_known_exactly"]].copy()
table["as_at"] = table["as_at"].dt.date
low = coverage[coverage["pct_known_exactly"] < 100]
gap_note = (
    f"Grade known exactly for as little as {low['pct_known_exactly'].min():.1f}% of schools between "
    f"{low['as_at'].min():%b %Y} and {low['as_at'].max():%b %Y} (no file records graded inspections between "
    "March 2020 and each school's previous graded inspection in the official file)."
    if not low.empty
    else "Grade known exactly for every school at every date shown."
)
latest_row, first_row = coverage.iloc[-1], coverage.iloc[0]
unit = "%" if "pct" in measure else ""
summary = (
    f"{measure_label} for {chosen.describe()}: {_fmt(first_row[measure], unit)} on "
    f"{first_row['as_at']:%d %b %Y}, {_fmt(latest_row[measure], unit)} on "
    f"{latest_row['as_at']:%d %b %Y}. {gap_note} Today's schools and their predecessors; schools that closed "
    "without a successor are not counted. Serious weaknesses / special measures are recorded only from the "
    "official file."
)
chart_with_alternative(fig, table, summary, name=f"trend-{chosen.la}", key="overview-trend")

st.subheader("Statistical neighbours")
neighbours = county.neighbour_names(chosen.la)
by_la = county.la_good_or_outstanding(version, chosen.phase, chosen.sector)
if not neighbours:
    st.info(
        "Statistical neighbours are not loaded yet (LAIT statistical-neighbour file): showing England only."
    )
compare = county.neighbour_table(by_la, chosen.la, neighbours, england["pct_schools_good_or_outstanding"])
bar = go.Figure(
    go.Bar(
        x=compare["pct_schools_good_or_outstanding"],
        y=compare["label"],
        orientation="h",
        text=[f"{v:.1f}%" for v in compare["pct_schools_good_or_outstanding"]],
        textposition="outside",
        marker={
            "color": [OKABE_ITO[{"selected": 3, "England": 7}.get(r, 0)] for r in compare["role"]],
            "pattern": {
                "shape": [
                    "/" if r == "selected" else ("." if r == "England" else "") for r in compare["role"]
                ]
            },
        },
    )
)
bar.update_layout(
    title="% schools good or outstanding: LA, statistical neighbours and England (ranked)",
    yaxis={"autorange": "reversed"},
    xaxis={"title": "% schools good or outstanding", "range": [0, 105]},
)
rank = compare.loc[compare["role"] != "England"]
position = (
    int(rank.loc[rank["role"] == "selected", "rank"].iloc[0]) if (rank["role"] == "selected").any() else None
)
chart_with_alternative(
    bar,
    compare.drop(columns=["label"]),
    f"{chosen.la} ranks {position} of {len(rank)} among itself and its statistical neighbours "
    f"({chosen.describe()}); England {england['pct_schools_good_or_outstanding']}%."
    if position
    else "",
    name=f"neighbours-{chosen.la}",
    key="overview-neighbours",
)
st.dataframe(
    compare.drop(columns=["label"]),
    hide_index=True,
    width="stretch",
    column_config={
        "rank": "Rank",
        "la_name": "Local authority",
        "role": "Role",
        "schools_with_grade": "Schools with a grade",
        "schools_good_or_outstanding": "Good or outstanding",
        "pct_schools_good_or_outstanding": st.column_config.NumberColumn(
            "% good or outstanding", format="%.1f"
        ),
    },
)
