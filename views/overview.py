"""Overview (home): LA headline KPIs with changes and England figures, the schools behind each count, trends,
statistical neighbours."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import comparison
from analytics.metrics import (
    KPI_DEFINITIONS,
    REPORT_CARD_DEFINITIONS,
    kpi_mask,
    report_card_mask,
)
from analytics.school_calendar import month_end_before
from analytics.suppression import threshold
from ui import filters, packs
from ui.charts import OKABE_ITO, chart_with_alternative, plain_label
from ui.read import AreaFigures, Reader, reader
from ui.tables import show_counted_schools
from ui.text import escape


@dataclass(frozen=True)
class Card:
    label: str
    key: str  # KPI key (metrics.county_kpis / kpi_series)
    unit: str  # "%" or "" (a count)
    lower_is_better: bool
    noun: str = "schools"  # what a count counts, for "1 school" / "3 schools"


CARDS = [
    Card("% schools good or outstanding", "pct_schools_good_or_outstanding", "%", False),
    Card("Pupils in good or outstanding schools", "pupils_in_good_or_outstanding", "", False, "pupils"),
    Card("% pupils in good or outstanding schools", "pct_pupils_good_or_outstanding", "%", False),
    Card("Requires improvement", "schools_requires_improvement", "", True),
    Card("Inadequate", "schools_inadequate", "", True),
    Card("% in an adverse category (SWK or SM)", "pct_schools_in_category", "%", True),
    Card("Serious weaknesses", "schools_serious_weaknesses", "", True),
    Card("Special measures", "schools_special_measures", "", True),
    Card("Stuck below good", "schools_stuck_below_good", "", True),
    Card("Uninspected", "schools_uninspected", "", True),
]
#: Report-card figures (schools whose latest graded inspection is a report card: no single grade).
REPORT_CARD_CARDS = [
    Card("Schools with a report card", "schools_with_report_card", "", False),
    Card("% with every area at expected standard or above", "pct_report_cards_expected_or_above", "%", False),
    Card("Any area 'needs attention'", "schools_any_needs_attention", "", True),
    Card("Any area 'urgent improvement'", "schools_any_urgent_improvement", "", True),
    Card("Safeguarding not met", "schools_safeguarding_not_met", "", True),
    Card("Placed in a category of concern", "schools_in_category_of_concern", "", True),
]
#: Counts over the trend panel for each card, to compare with a past date.
PAST_KEYS = {"pupils_in_good_or_outstanding": "pupils_good_or_outstanding"}
TREND_MEASURES = {
    "% schools good or outstanding": "pct_schools_good_or_outstanding",
    "% pupils in good or outstanding schools": "pct_pupils_good_or_outstanding",
    "% in an adverse category (SWK or SM)": "pct_schools_in_category",
    "Schools requires improvement": "schools_requires_improvement",
    "Schools inadequate": "schools_inadequate",
    "Schools stuck below good": "schools_stuck_below_good",
}
BREAKDOWNS = {"None": [], "Phase": ["phase"], "Type": ["sector"]}
#: Dashed lines on the trend chart.
FRAMEWORK_CHANGES = [
    ("2012-09-01", "Sept 2012"),
    ("2019-09-01", "EIF Sept 2019"),
    ("2024-09-02", "No overall grade"),
    ("2025-11-10", "Report cards"),
]


def number(value: object) -> float | None:
    """A figure as a float, None when missing (None, NaN, pd.NA) or not a number."""
    if value is None or value is pd.NA:
        return None
    try:
        found = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(found) else found


def fmt(value: object, unit: str) -> str:
    found = number(value)
    if found is None:
        return "n/a"
    return f"{found:.1f}%" if unit == "%" else f"{int(found):,}"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun[:-1] if count == 1 and noun.endswith('s') else noun}"


def comparison_series(rm: Reader, chosen: filters.Filters) -> pd.DataFrame:
    """KPIs at every month end since Sept 2018 and every term end before, for the 'Compare with' choice."""
    months = rm.kpi_trend("month", chosen.la, chosen.phase, chosen.sector)
    terms = rm.kpi_trend("term", chosen.la, chosen.phase, chosen.sector)
    earlier = terms.loc[terms["as_at"] < months["as_at"].min()] if not months.empty else terms
    return pd.concat([earlier, months], ignore_index=True).sort_values("as_at").reset_index(drop=True)


def comparison_labels(series: pd.DataFrame, as_at: date) -> tuple[dict[str, pd.Timestamp], str]:
    """Choices newest first ('Last month: 31 Jul 2025', 'A year earlier: 31 Aug 2024', then every date)."""
    dates = [d for d in series["as_at"] if d.date() < as_at]
    labels: dict[str, pd.Timestamp] = {}
    last_month = pd.Timestamp(month_end_before(as_at))
    year_before = pd.Timestamp(as_at.replace(year=as_at.year - 1))
    if last_month in dates:
        labels[f"Last month ({last_month:%d %b %Y})"] = last_month
    if year_before in dates:
        labels[f"A year earlier ({year_before:%d %b %Y})"] = year_before
    for day in reversed(dates):
        labels.setdefault(f"{day:%d %b %Y}", day)
    default = next((k for k in labels if k.startswith("A year earlier")), next(iter(labels), ""))
    return labels, default


def draw_card(card: Card, now: object, then: object, england: object, since: str) -> None:
    current, past = number(now), number(then)
    delta = None if current is None or past is None else round(current - past, 1)
    shown = None if not delta else (f"{delta:+.1f} points" if card.unit else f"{delta:+,.0f}")
    st.metric(
        card.label,
        fmt(now, card.unit),
        delta=shown,
        delta_color="inverse" if card.lower_is_better else "normal",
        help=KPI_DEFINITIONS[card.key],
    )
    change = (
        "no change"
        if delta == 0
        else ("change not known" if delta is None else f"was {fmt(then, card.unit)}")
    )
    st.caption(f"{since}: {change} · England: {fmt(england, card.unit)}")


def render_cards(rm: Reader, chosen: filters.Filters, figures: AreaFigures, as_at: date) -> None:
    kpis = figures.kpis
    england = rm.england_kpis(chosen.phase, chosen.sector)
    series = comparison_series(rm, chosen)
    labels, default = comparison_labels(series, as_at)
    since_label = filters.comparison_choice(list(labels), default)
    past = series.set_index("as_at").loc[labels[since_label]]
    short = since_label.split("(")[-1].rstrip(")")
    columns = st.columns(3)
    for number, card in enumerate(CARDS):
        with columns[number % 3].container(border=True, key=f"card-{card.key}"):
            then = past.get(PAST_KEYS.get(card.key, card.key))
            draw_card(card, kpis.get(card.key), then, england.get(card.key), short)
            members = figures.members[card.key]
            noun = "schools" if card.noun == "pupils" else card.noun
            if members and st.button(f"List the {plural(members, noun)}", key=f"list-{card.key}"):
                st.session_state["overview_list"] = card.key
                st.query_params["list"] = card.key
    derived = figures.derived_grades
    st.caption(
        f"Over {plural(kpis['schools_with_grade'], 'schools')} whose latest graded inspection is on the "
        "four-point scale (1-4); report-card schools (no single grade) are counted under 'Report cards'; "
        f"{plural(kpis['schools_uninspected'], 'uninspected schools')} "
        f"{'is' if kpis['schools_uninspected'] == 1 else 'are'} excluded and counted separately. "
        f"{plural(derived, 'grades')} derived from the key judgements of 2024/25 inspections (no overall "
        f"grade), "
        f"labelled 'derived'. Grade known exactly for {past['pct_known_exactly']:.1f}% of schools on {short} "
        "(see Trend). Pupil numbers are today's rolls."
    )


def render_report_cards(area: AreaFigures) -> None:
    """Report-card figures beside the 1-4 ones: report cards have their own scale, never mapped onto 1-4."""
    st.subheader("Report cards (inspections from 10 November 2025)")
    figures = area.report_cards
    columns = st.columns(3)
    for number, card in enumerate(REPORT_CARD_CARDS):
        with columns[number % 3].container(border=True):
            st.metric(card.label, fmt(figures[card.key], card.unit), help=REPORT_CARD_DEFINITIONS[card.key])
            members = area.members[card.key]
            if members and st.button(f"List the {plural(members, 'schools')}", key=f"list-{card.key}"):
                st.session_state["overview_list"] = card.key
                st.query_params["list"] = card.key
    derived = figures["schools_in_category_derived"]
    st.caption(
        f"Over {plural(figures['schools_with_report_card'], 'schools')} whose latest graded inspection is a "
        "report card (six to eight areas on a five-point scale plus safeguarding; 'not applicable' areas "
        f"left out). Categories of concern derived from the area grades where Ofsted published none "
        f"(labelled 'derived'): {derived:,}."
    )


def _members(local: pd.DataFrame, key: str) -> pd.Series:
    return report_card_mask(local, key) if key in REPORT_CARD_DEFINITIONS else kpi_mask(local, key)


def render_list(rm: Reader, chosen: filters.Filters) -> None:
    """The schools behind the card chosen with its 'List the schools' button (kept in the URL: ?list=...)."""
    keys = {c.key: c for c in (*CARDS, *REPORT_CARD_CARDS)}
    if "list" in st.query_params and "overview_list" not in st.session_state:
        st.session_state["overview_list"] = st.query_params["list"]
    key = st.session_state.get("overview_list")
    if key not in keys:
        return
    card = keys[key]
    local = rm.schools(chosen.la, chosen.phase, chosen.sector)
    show_counted_schools(
        local,
        key,
        title=f"Schools behind '{card.label}'",
        name=f"{key}-{chosen.la}",
        key="overview-list",
        mask=_members(local, key),
        definition=REPORT_CARD_DEFINITIONS.get(key) or KPI_DEFINITIONS[key],
    )
    if st.button("Close the list", key="overview-list-close"):
        st.session_state.pop("overview_list", None)
        st.query_params.pop("list", None)
        st.rerun()


def render_trend(rm: Reader, chosen: filters.Filters) -> None:
    st.subheader("Trend")
    left, middle, right = st.columns(3)
    with left:
        measure_label = filters.remembered_choice("Measure", list(TREND_MEASURES), "measure") or ""
    with middle:
        freq_label = filters.remembered_segment(
            "Points",
            ["Term ends", "Month ends"],
            "points",
            "Term ends",
            help="Term ends since 2005 (31 Dec, 31 Mar, 31 Aug) or month ends since September 2018",
        )
    with right:
        split = filters.remembered_segment("Break down by", list(BREAKDOWNS), "breakdown", "None")
    freq = "month" if freq_label == "Month ends" else "term"
    measure = TREND_MEASURES[measure_label]
    by = BREAKDOWNS[split]
    trend = rm.kpi_trend(freq, chosen.la, chosen.phase, chosen.sector, tuple(by))
    coverage = rm.kpi_trend(freq, chosen.la, chosen.phase, chosen.sector)
    symbols = ["circle", "square", "diamond", "triangle-up", "x", "star", "cross"]
    groups = (
        [("All schools", trend)] if not by else [(str(k), g) for k, g in trend.groupby(by[0], dropna=False)]
    )
    traces = [
        go.Scatter(
            x=group["as_at"],
            y=group[measure],
            name=plain_label(name),
            mode="lines+markers",
            marker={"symbol": symbols[number % len(symbols)]},
            line={"color": OKABE_ITO[number % len(OKABE_ITO)]},
        )
        for number, (name, group) in enumerate(groups)
    ]
    traces.append(
        go.Scatter(
            x=coverage["as_at"],
            y=coverage["pct_known_exactly"],
            name="Grade known exactly (%)",
            mode="lines",
            line={"dash": "dot", "color": "#000000"},
            yaxis="y2",
        )
    )
    changes = [(pd.Timestamp(day), framework) for day, framework in FRAMEWORK_CHANGES]
    shown = [(day, framework) for day, framework in changes if day <= coverage["as_at"].max()]
    # One construction with the whole layout: each update_layout (and plotly's add_vline) costs about as much
    # as building the figure again.
    fig = go.Figure(
        traces,
        layout={
            "shapes": [
                {"type": "line", "xref": "x", "yref": "paper", "x0": day, "x1": day, "y0": 0, "y1": 1,
                 "line": {"dash": "dash", "color": "#777777"}}
                for day, _ in shown
            ],
            "annotations": [
                {"xref": "x", "yref": "paper", "x": day, "y": 1, "text": framework, "showarrow": False,
                 "xanchor": "right", "yanchor": "top"}
                for day, framework in shown
            ],
            "title": f"{measure_label}, {plain_label(chosen.describe())}, at each {freq} end",
            "yaxis": {"title": measure_label},
            "yaxis2": {"title": "Grade known exactly (%)", "overlaying": "y", "side": "right",
                       "range": [0, 101]},
            "legend": {"orientation": "h"},
        },
    )
    table = trend[["as_at", *by, measure, "schools", "schools_with_grade", "pct_known_exactly"]].copy()
    table["as_at"] = table["as_at"].dt.date
    low = coverage[coverage["pct_known_exactly"] < 100]
    gap_note = (
        f"Grade known exactly for as little as {low['pct_known_exactly'].min():.1f}% of schools between "
        f"{low['as_at'].min():%b %Y} and {low['as_at'].max():%b %Y} (no file records graded inspections "
        f"between "
        "March 2020 and each school's previous graded inspection in the official file)."
        if not low.empty
        else "Grade known exactly for every school at every date shown."
    )
    first_row, latest_row = coverage.iloc[0], coverage.iloc[-1]
    unit = "%" if "pct" in measure else ""
    summary = (
        f"{measure_label} for {chosen.describe()}: {fmt(first_row[measure], unit)} on "
        f"{first_row['as_at']:%d %b %Y}, "
        f"{fmt(latest_row[measure], unit)} on {latest_row['as_at']:%d %b %Y}. {gap_note} Today's schools "
        f"and their "
        "predecessors; schools that closed without a successor are not counted. Dashed lines mark framework "
        "changes (Sept 2012, Sept 2019, Sept 2024, Nov 2025)."
    )
    chart_with_alternative(fig, table, summary, name=f"trend-{chosen.la}", key="overview-trend")


def render_neighbours(rm: Reader, chosen: filters.Filters) -> None:
    st.subheader("Statistical neighbours")
    neighbours = rm.neighbours(chosen.la)
    england = rm.england_kpis(chosen.phase, chosen.sector)
    if not neighbours:
        st.info(
            "Statistical neighbours are not loaded (LAIT statistical-neighbour file): showing England only."
        )
    compare = comparison.neighbour_table(
        rm.la_comparison(chosen.phase, chosen.sector),
        chosen.la,
        neighbours,
        england["pct_schools_good_or_outstanding"],
    )
    values = compare["pct_schools_good_or_outstanding"].dropna()
    low = max(0.0, float(values.min()) - 5) if not values.empty else 0.0
    bar = go.Figure(
        go.Bar(
            x=compare["pct_schools_good_or_outstanding"],
            y=[plain_label(label) for label in compare["label"]],
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
        ),
        layout={
            "title": "% schools good or outstanding: LA, statistical neighbours and England (ranked)",
            "yaxis": {"autorange": "reversed"},
            "xaxis": {"title": "% schools good or outstanding", "range": [low, 103]},
        },
    )
    table = compare.drop(columns=["label"]).rename(
        columns={
            "rank": "Rank",
            "la_name": "Local authority",
            "role": "Role",
            "schools_with_grade": "Schools with a grade",
            "schools_good_or_outstanding": "Good or outstanding",
            "pct_schools_good_or_outstanding": "% good or outstanding",
        }
    )
    table["Rank"] = [str(int(r)) if pd.notna(r) else "" for r in table["Rank"]]  # England: unranked
    ranked = compare.loc[compare["role"] != "England"]
    selected = ranked.loc[ranked["role"] == "selected", "rank"]
    summary = (
        f"{chosen.la} ranks {int(selected.iloc[0])} of {len(ranked)} among itself and its statistical "
        f"neighbours "
        f"({chosen.describe()}); England {fmt(england['pct_schools_good_or_outstanding'], '%')}."
        if not selected.empty
        else f"{chosen.la} has no school with a grade for these filters."
    )
    chart_with_alternative(bar, table, summary, name=f"neighbours-{chosen.la}", key="overview-neighbours")
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={"% good or outstanding": st.column_config.NumberColumn(format="%.1f")},
    )


def render() -> None:
    rm = reader()
    chosen = filters.county_filters(rm)
    if chosen is None:
        st.title("Overview")
        st.info(
            "No data has been imported yet, or none that you may see. Run `make run` to load the bundled "
            "data."
        )
        return
    figures = rm.area_figures(chosen.la, chosen.phase, chosen.sector)
    as_at = rm.data_date()
    st.title(f"Overview: {escape(chosen.la)}")
    if not figures.schools:
        st.text(f"No open schools match these filters ({chosen.describe()}).")
        return
    st.caption(
        f"Grades as at {as_at:%d %B %Y} (latest Ofsted release in the store): the outcome of each open "
        f"school's "
        "latest graded inspection, a predecessor's where the school has not been inspected in its current "
        "form "
        "(inherited)."
    )
    st.text(chosen.describe())
    st.subheader("Headline figures")
    render_cards(rm, chosen, figures, as_at)
    render_report_cards(figures)
    render_list(rm, chosen)
    render_trend(rm, chosen)
    render_neighbours(rm, chosen)
    render_members_pack(chosen.la, as_at)


def render_members_pack(la: str, as_at: date) -> None:
    st.subheader("Termly summary for members")
    st.caption("Plain-English headline figures, trend, movement and districts for every school of the LA "
               f"(the Phase and Type filters do not apply). Pupil counts of {threshold()} or fewer are "
               "suppressed; no "
               "school is named.")
    packs.members_pack(la, as_at)


render()
