"""Figures and summaries for the school drilldown (drawing only; data from analytics.school_profile)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.charts import GRADE_COLOURS, GRADE_SYMBOLS, OKABE_ITO

UNGRADED_ROW = 0
REPORT_CARD_ROW = 5
Y_TICKS = {
    UNGRADED_ROW: "Ungraded / monitoring",
    1: "1 Outstanding",
    2: "2 Good",
    3: "3 Requires improvement",
    4: "4 Inadequate",
    REPORT_CARD_ROW: "Report card (own scale)",
}
# Legend above the plot, right-aligned, clear of the x-axis labels.
LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0}
SERIES_STYLE = {  # never colour alone: each line also has its own dash and marker
    "School": (OKABE_ITO[0], "solid", "circle"),
    "LA": (OKABE_ITO[1], "dash", "square"),
    "England": (OKABE_ITO[2], "dot", "diamond"),
}


def _base_label(text: str) -> str:
    return text.replace(" (derived)", "")


def timeline_figure(timeline: pd.DataFrame) -> go.Figure:
    """Inspections over time: graded at their grade (1 at the top), ungraded and report cards in own rows."""
    traces = []
    graded = timeline.loc[timeline["Kind"].eq("Graded") & timeline["Grade"].notna()]
    for label, rows in graded.groupby(graded["Headline grade"].map(_base_label), sort=False):
        base = str(label)
        inherited = rows["Inherited"].astype(bool)
        traces.append(
            go.Scatter(
                x=rows["Start date"],
                y=rows["Grade"].astype(float),
                mode="markers+text",
                name=base,
                text=[
                    ("derived" if "derived" in h else "") + (" inherited" if i else "")
                    for h, i in zip(rows["Headline grade"], inherited, strict=True)
                ],
                textposition="top center",
                marker={
                    "size": 14,
                    "color": GRADE_COLOURS.get(base, "#999999"),
                    "symbol": [GRADE_SYMBOLS.get(base, "circle") + ("-open" if i else "") for i in inherited],
                    "line": {"width": 2, "color": GRADE_COLOURS.get(base, "#999999")},
                },
                hovertemplate="%{x|%d %b %Y}: " + base + " %{text}<extra></extra>",
            )
        )
    others = timeline.loc[~timeline.index.isin(graded.index)]
    for kind, rows in others.groupby("Kind", sort=False):
        is_card = rows["Headline grade"].str.startswith("Report card")
        traces.append(
            go.Scatter(
                x=rows["Start date"],
                y=[REPORT_CARD_ROW if c else UNGRADED_ROW for c in is_card],
                mode="markers",
                name=str(kind) if not is_card.all() else "Report card",
                text=rows["Ungraded outcome"].fillna(""),
                marker={"size": 12, "symbol": "diamond-open", "color": "#000000"},
                hovertemplate="%{x|%d %b %Y}: " + str(kind) + " %{text}<extra></extra>",
            )
        )
    return go.Figure(  # one construction: each update_layout costs about as much as the whole figure
        traces,
        layout={
            "yaxis": {
                "tickvals": list(Y_TICKS),
                "ticktext": list(Y_TICKS.values()),
                "autorange": False,
                # reversed: Outstanding above Inadequate
                "range": [REPORT_CARD_ROW + 0.5, UNGRADED_ROW - 0.5],
            },
            "title": "Inspection timeline (hollow markers: inherited from a predecessor)",
            "height": 380,
            "legend": LEGEND,
        },
    )


def timeline_summary(timeline: pd.DataFrame) -> str:
    graded = timeline.loc[timeline["Kind"].eq("Graded")]
    if timeline.empty:
        return "No inspections recorded."
    first, last = timeline["Start date"].min(), timeline["Start date"].max()
    inherited = int(timeline["Inherited"].astype(bool).sum())
    latest = graded.iloc[0]["Headline grade"] if not graded.empty else "none"
    return (
        f"{len(timeline)} inspections from {first:%d/%m/%Y} to {last:%d/%m/%Y}: {len(graded)} graded, "
        f"{len(timeline) - len(graded)} ungraded or monitoring; {inherited} inherited from predecessors. "
        f"Latest graded outcome: {latest}."
    )


def trend_figure(rows: pd.DataFrame, title: str) -> go.Figure:
    """One measure over time for the school, its LA and England."""
    traces = []
    for column, name in (("school", "School"), ("la", "LA"), ("england", "England")):
        colour, dash, symbol = SERIES_STYLE[name]
        values = pd.to_numeric(rows[column], errors="coerce")
        if values.notna().any():
            traces.append(
                go.Scatter(
                    x=rows["year"],
                    y=values,
                    name=name,
                    mode="lines+markers",
                    line={"color": colour, "dash": dash},
                    marker={"symbol": symbol, "size": 9},
                )
            )
    return go.Figure(
        traces,
        layout={"title": title, "height": 280, "legend": LEGEND,
                "xaxis": {"title": "Academic year ending", "dtick": 1}},
    )


def trend_summary(rows: pd.DataFrame, label: str) -> str:
    last = rows.dropna(subset=["school"]).iloc[-1]
    parts = [f"{label}, {int(last['year'])}: school {last['school']:,.1f}"]
    if pd.notna(last["la"]):
        parts.append(f"LA {last['la']:,.1f}")
    if pd.notna(last["england"]):
        parts.append(f"England {last['england']:,.1f}")
    return ", ".join(parts) + f" (LA and England: {last['weighting']})."
