"""Districts: per-district KPIs, a funnel plot of % good or outstanding, and each district's schools."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from analytics import funnel
from analytics.grades import grade_label
from ui import county, data, filters
from ui.charts import chart_with_alternative, download_buttons
from ui.imports import import_panel

version = data.version()
chosen = filters.county_filters()
schools = county.filtered(county.schools(version), chosen.la, chosen.phase, chosen.sector)
if schools.empty:
    st.title(f"{chosen.la}")
    st.info(f"No open schools match these filters ({chosen.describe()}).")
    st.stop()
scheme = (
    filters.remembered_choice("Districts", county.district_schemes(version), "scheme") or county.CONSTITUENCY
)
district = county.district_of(version, schools, scheme)
per_district = county.district_table(schools, district)

st.title(f"Districts: {chosen.la}")
st.caption(
    f"{chosen.describe()}; districts = {scheme}. Headline grades as on the Overview page "
    "(derived 2024/25 grades included, labelled on each school)."
)

st.subheader("Funnel plot: % schools good or outstanding")
units = per_district.rename(columns={"schools_with_grade": "n", "schools_good_or_outstanding": "good"})
units = units[units["n"] > 0]
p0 = funnel.target(units)
placed = funnel.classify(units, p0)
curve = funnel.funnel_curve(int(units["n"].max()) if not units.empty else 1, p0)
fig = go.Figure()
styles = {"95": ("dash", "#0072B2"), "99.8": ("dot", "#D55E00")}
for level, (dash, colour) in styles.items():
    for side in ("lower", "upper"):
        fig.add_trace(
            go.Scatter(
                x=curve["n"],
                y=100 * curve[f"{side}_{level}"],
                mode="lines",
                line={"dash": dash, "color": colour, "shape": "hv"},
                name=f"{level}% limits",
                legendgroup=level,
                showlegend=side == "lower",
            )
        )
fig.add_hline(y=100 * p0, line={"color": "#000000"}, annotation_text=f"LA mean {100 * p0:.1f}%")
symbols = {"within limits": "circle"}
fig.add_trace(
    go.Scatter(
        x=placed["n"],
        y=100 * placed["proportion"],
        mode="markers+text",
        text=placed["district"],
        textposition="top center",
        name="Districts",
        marker={
            "size": 10,
            "color": "#009E73",
            "symbol": [symbols.get(p, "diamond") for p in placed["position"]],
            "line": {"width": 1, "color": "#000000"},
        },
        customdata=placed["position"],
        hovertemplate="%{text}: %{y:.1f}% of %{x} schools (%{customdata})<extra></extra>",
    )
)
fig.update_layout(
    title=f"% good or outstanding against number of schools with a grade ({scheme})",
    xaxis={"title": "Schools with a grade"},
    yaxis={"title": "% good or outstanding"},
)
table = placed[
    ["district", "n", "good", "proportion", "lower_95", "upper_95", "lower_99.8", "upper_99.8", "position"]
]
table = table.assign(
    **{
        c: (100 * table[c]).round(1)
        for c in ["proportion", "lower_95", "upper_95", "lower_99.8", "upper_99.8"]
    }
)
outside = placed[placed["position"] != "within limits"]
summary = (
    f"LA mean {100 * p0:.1f}% good or outstanding over {int(units['n'].sum())} schools "
    f"in {len(units)} districts. "
    + (
        "Outside the limits: "
        + "; ".join(f"{d} ({p})" for d, p in zip(outside["district"], outside["position"], strict=True))
        + "."
        if not outside.empty
        else "Every district is within the 95% limits: differences are consistent with chance."
    )
    + " Limits: exact binomial quantiles around the LA mean (95% dashed, 99.8% dotted)."
)
chart_with_alternative(fig, table, summary, name=f"funnel-{chosen.la}", key="districts-funnel")

st.subheader("District KPIs")
st.dataframe(per_district, hide_index=True, width="stretch")
download_buttons(per_district, f"districts-{chosen.la}", key="districts-kpis")

st.subheader("Schools in a district")
names = list(per_district["district"])
picked = filters.remembered_choice("District", names, "district")
if picked:
    st.query_params["district"] = picked
    members = schools[district.reindex(schools.index).to_numpy() == picked]
    listing = members.assign(
        drilldown=[f"/school?urn={u}" for u in members["urn"]],
        grade_label=[
            grade_label(g, s) for g, s in zip(members["grade"], members["inspection_start"], strict=True)
        ],
        inherited_grade=["inherited" if i else "" for i in members["inherited"]],
    )[
        [
            "urn",
            "name",
            "drilldown",
            "phase",
            "sector",
            "grade_label",
            "grade_source",
            "inherited_grade",
            "inspection_start",
            "pupils",
        ]
    ].sort_values(["grade_label", "name"])
    st.dataframe(
        listing,
        hide_index=True,
        width="stretch",
        column_config={
            "drilldown": st.column_config.LinkColumn("Drilldown", display_text="Open"),
            "name": "School",
            "grade_label": "Grade",
            "grade_source": "Grade source",
            "inherited_grade": "Inherited",
            "inspection_start": "Inspected",
        },
    )
    download_buttons(listing, f"district-{picked}", key="districts-schools")

st.subheader("Import your own districts")
st.caption(
    "A CSV or XLSX with columns URN and District (or Locality), one row per school. The import is "
    "all-or-nothing: a file with an unknown URN, a duplicate or a blank district is rejected with every "
    "problem listed. From the command line: `python -m analytics import districts FILE --scheme NAME`."
)
if county.can_import_districts():
    name = st.text_input("Name of this mapping", value="localities", max_chars=60, key="districts_scheme")
    import_panel(
        "districts", key="districts-import", options={"scheme": name.strip() or "localities"},
        label="Mapping file", on_imported=lambda _result: st.session_state.update(scheme=name.strip()),
    )
else:
    st.info("District imports are not available in this build.")
