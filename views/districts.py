"""Districts: per-district KPIs, a funnel plot of % good or outstanding, and each district's schools."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import funnel
from analytics.metrics import COUNT_LABELS, KPI_DEFINITIONS
from ui import filters, packs
from ui.charts import chart_with_alternative, download_buttons, plain_label
from ui.imports import import_panel
from ui.read import CONSTITUENCY, current_viewer, reader
from ui.tables import fitted_config, show_counted_schools
from ui.text import escape

KPI_HEADERS = {
    "district": "District",
    "schools": "Schools",
    "schools_with_grade": "With a grade",
    "pct_schools_good_or_outstanding": "% G/O",
    "pupils_in_good_or_outstanding": "Pupils in G/O",
    "pct_pupils_good_or_outstanding": "% pupils in G/O",
    "schools_requires_improvement": "RI",
    "schools_inadequate": "Inadequate",
    "schools_special_measures": "SM",
    "schools_serious_weaknesses": "SWK",
    "pct_schools_in_category": "% in SWK/SM",
    "schools_declined": "Declined",
    "schools_stuck_below_good": "Stuck",
    "schools_uninspected": "Uninspected",
}
#: Tooltips of the short headers (the measure of each, as on the Overview cards).
KPI_HELP = {
    "With a grade": "schools_with_grade",
    "% G/O": "pct_schools_good_or_outstanding",
    "Pupils in G/O": "pupils_in_good_or_outstanding",
    "% pupils in G/O": "pct_pupils_good_or_outstanding",
    "RI": "schools_requires_improvement",
    "Inadequate": "schools_inadequate",
    "SM": "schools_special_measures",
    "SWK": "schools_serious_weaknesses",
    "% in SWK/SM": "pct_schools_in_category",
    "Declined": "schools_declined",
    "Stuck": "schools_stuck_below_good",
    "Uninspected": "schools_uninspected",
}


def funnel_figure(placed: pd.DataFrame, p0: float, scheme: str) -> go.Figure:
    """Funnel plot: limits around the LA mean; only districts outside the limits are labelled (hover for
    all)."""
    curve = funnel.funnel_curve(int(placed["n"].max()) if not placed.empty else 1, p0)
    traces = []
    styles = {"95": ("dash", "#0072B2"), "99.8": ("dot", "#D55E00")}
    for level, (dash, colour) in styles.items():
        for side in ("lower", "upper"):
            traces.append(
                go.Scatter(
                    x=curve["n"],
                    y=100 * curve[f"{side}_{level}"],
                    mode="lines",
                    line={"dash": dash, "color": colour, "shape": "hv"},
                    name=f"{level}% limits",
                    legendgroup=level,
                    showlegend=side == "lower",
                    hoverinfo="skip",
                )
            )
    outside = placed["position"] != "within limits"
    names = [plain_label(d) for d in placed["district"]]
    traces.append(
        go.Scatter(
            x=placed["n"],
            y=100 * placed["proportion"],
            mode="markers+text",
            text=[n if o else "" for n, o in zip(names, outside, strict=True)],
            textposition="top center",
            name="Districts",
            customdata=list(zip(names, placed["position"], strict=True)),
            marker={
                "size": 10,
                "color": "#009E73",
                "symbol": ["diamond" if o else "circle" for o in outside],
                "line": {"width": 1, "color": "#000000"},
            },
            hovertemplate="%{customdata[0]}: %{y:.1f}% of %{x} schools (%{customdata[1]})<extra></extra>",
        )
    )
    shown = pd.concat([100 * placed["proportion"], pd.Series([100 * p0])])
    lower = max(0.0, float(shown.min()) - 5)
    upper = min(100.0, float(shown.max()) + 3) + 2
    mean = 100 * p0
    return go.Figure(  # one construction, the LA mean as a plain shape: add_hline costs more than the chart
        traces,
        layout={
            "shapes": [{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": mean,
                        "y1": mean, "line": {"color": "#000000"}}],
            "annotations": [{"xref": "x domain", "x": 1, "yref": "y", "y": mean,
                             "text": f"LA mean {mean:.1f}%", "showarrow": False, "xanchor": "right",
                             "yanchor": "bottom"}],
            "title": f"% good or outstanding against number of schools with a grade ({plain_label(scheme)})",
            "xaxis": {"title": "Schools with a grade"},
            "yaxis": {"title": "% good or outstanding", "range": [lower, upper]},
        },
    )


def render_import() -> None:
    person = current_viewer()
    if person is None or not person.may_import:
        return  # only analysts and directors may replace a shared district mapping
    st.subheader("Import your own districts")
    st.caption(
        "A CSV or XLSX with columns URN and District (or Locality), one row per school. The import is "
        "all-or-nothing: a file with an unknown URN, a duplicate or a blank district is rejected with every "
        "problem listed. From the command line: `python -m analytics import districts FILE --scheme NAME`."
    )
    name = st.text_input("Name of this mapping", value="localities", max_chars=60, key="districts_scheme")
    scheme = name.strip() or "localities"
    import_panel(
        "districts",
        key="districts-import",
        options={"scheme": scheme},
        label="Mapping file",
        on_imported=lambda _result: st.session_state.update(scheme=scheme),
    )


def render() -> None:
    rm = reader()
    chosen = filters.county_filters(rm)
    if chosen is None:
        st.title("Districts")
        st.info("No data has been imported yet, or none that you may see.")
        return
    schools = rm.schools(chosen.la, chosen.phase, chosen.sector)
    st.title(f"Districts: {escape(chosen.la)}")
    if schools.empty:
        st.text(f"No open schools match these filters ({chosen.describe()}).")
        render_import()
        return
    scheme = filters.remembered_choice("Districts", rm.district_schemes(), "scheme") or CONSTITUENCY
    district = rm.districts(schools, scheme)
    per_district = rm.district_kpis(chosen.la, chosen.phase, chosen.sector, scheme)
    st.text(
        f"{chosen.describe()}; districts = {scheme}. Headline grades as on the Overview page (derived "
        f"2024/25 "
        "grades included, labelled on each school)."
    )

    st.subheader("Funnel plot: % schools good or outstanding")
    units = per_district.rename(columns={"schools_with_grade": "n", "schools_good_or_outstanding": "good"})
    units = units[units["n"] > 0]
    p0 = funnel.target(units)
    placed = funnel.classify(units, p0)
    table = placed[
        [
            "district",
            "n",
            "good",
            "proportion",
            "lower_95",
            "upper_95",
            "lower_99.8",
            "upper_99.8",
            "position",
        ]
    ]
    table = table.assign(
        **{
            c: (100 * table[c]).round(1)
            for c in ["proportion", "lower_95", "upper_95", "lower_99.8", "upper_99.8"]
        }
    )
    table = table.rename(
        columns={
            "district": "District",
            "n": "Schools with a grade",
            "good": "Good or outstanding",
            "proportion": "% good or outstanding",
            "position": "Position",
        }
    )
    outside = placed[placed["position"] != "within limits"]
    summary = (
        f"LA mean {100 * p0:.1f}% good or outstanding over {int(units['n'].sum())} schools in {len(units)} "
        f"districts. "
        + (
            "Outside the limits (labelled on the chart): "
            + "; ".join(f"{d} ({p})" for d, p in zip(outside["district"], outside["position"], strict=True))
            + "."
            if not outside.empty
            else "Every district is within the 95% limits: differences are consistent with chance."
        )
        + " Limits: exact binomial quantiles around the LA mean (95% dashed, 99.8% dotted)."
        " Hover for each district."
    )
    chart_with_alternative(
        funnel_figure(placed, p0, scheme), table, summary, name=f"funnel-{chosen.la}", key="districts-funnel"
    )

    st.subheader("District KPIs")
    kpi_table = rm.suppressed(
        per_district[list(KPI_HEADERS)].rename(columns=KPI_HEADERS),
        ["Pupils in G/O"],
        {"% pupils in G/O": "Pupils in G/O"},
    )
    helps = {h: st.column_config.Column(help=KPI_DEFINITIONS[k]) for h, k in KPI_HELP.items()}
    st.dataframe(
        kpi_table, hide_index=True, width="stretch", column_config=fitted_config(kpi_table, helps)
    )
    download_buttons(kpi_table, f"districts-{chosen.la}", key="districts-kpis")

    st.subheader("Schools in a district")
    st.caption("Pick a district and one of its counts to list the schools behind it.")
    left, right = st.columns(2)
    with left:
        picked = filters.remembered_choice("District", list(per_district["district"]), "district")
    with right:
        count = filters.remembered_choice("Count", list(COUNT_LABELS), "count") or "All schools"
    if picked:
        members = schools[district.reindex(schools.index).to_numpy() == picked]
        show_counted_schools(
            members,
            COUNT_LABELS[count],
            title=f"{count}: {escape(picked)}",
            name=f"district-{picked}-{count}",
            key="districts-schools",
        )
        st.caption("District profile: the district against the county and England, and its schools, for "
                   "every school of the district (the Phase and Type filters do not apply).")
        packs.district_pack(chosen.la, picked, None if scheme == CONSTITUENCY else scheme)
    render_import()


render()
