"""School drilldown: search, identity, predecessors/successors, inspection timeline, trends, due date.

Deep link: /school?urn=NNNNNN (read from and written back to the URL).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import school_profile as sp
from ui import data, school_data, school_view
from ui.charts import chart_with_alternative

st.title("School drilldown")
version = data.version()
directory = school_data.directory(version)


def _urn_from_url() -> tuple[int | None, str | None]:
    raw = st.query_params.get("urn")
    if raw is None or raw == "":
        return None, None
    return (int(raw), None) if str(raw).strip().isdigit() else (None, str(raw))


def _search() -> int | None:
    query = st.text_input(
        "Find a school by name, URN or postcode",
        key="school-search",
        placeholder="e.g. 'St Mary', '100000' or 'EC3A'",
    )
    if not query:
        return None
    hits = sp.search(directory, query)
    if hits.empty:
        st.info("No school matches that search.")
        return None
    labels = {int(r["urn"]): sp.search_label(r) for _, r in hits.iterrows()}
    more = " (first 50 shown: refine the search)" if len(hits) == 50 else ""
    return st.selectbox(
        f"{len(hits)} matching schools{more}",
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        placeholder="Choose a school",
        key="school-choice",
    )


url_urn, bad_value = _urn_from_url()
chosen = _search()
if chosen is not None and chosen != url_urn:
    st.query_params["urn"] = str(chosen)
    url_urn = chosen
if bad_value is not None:
    st.error(f"'{bad_value}' is not a URN (a URN is a number, e.g. 100000). Search for the school instead.")
    st.stop()
if url_urn is None:
    st.info("Search for a school above, or open a school from any list of schools in the dashboard.")
    st.stop()

known = directory.loc[directory["urn"] == url_urn]
if known.empty:
    st.error(f"No school with URN {url_urn} is in the data. Check the number or search by name.")
    st.stop()

school = school_data.schools(version).set_index("urn").loc[url_urn].copy()
school["urn"] = url_urn
ident = sp.identity(school)
lineage = sp.school_lineage(school_data.links(version), url_urn)
numbers = tuple(
    str(n)
    for n in school[["latest_graded_number", "previous_graded_number", "latest_ungraded_number"]].dropna()
)
inspections = school_data.inspections(version, (url_urn, *lineage.predecessor_urns), numbers)
names = {
    int(u): n
    for u, n in zip(lineage.predecessors["urn"], lineage.predecessors["name"], strict=True)
    if isinstance(n, str)
}
names[url_urn] = str(ident["Name"])
timeline = sp.timeline(inspections, url_urn, names)
due = sp.due(school, inspections)

# ---- Identity ----
st.header(str(ident["Name"]))
latest = timeline.loc[timeline["Kind"].eq("Graded")]
cols = st.columns(4)
cols[0].metric("URN", str(url_urn))
cols[1].metric("Phase", str(ident["Phase"] or "not recorded"))
cols[2].metric("Pupils", f"{ident['Pupils']:,}" if ident["Pupils"] is not None else "not recorded")
if latest.empty:
    cols[3].metric("Latest graded outcome", "Not inspected")
else:
    head = latest.iloc[0]
    suffix = " (inherited)" if head["Inherited"] else ""
    cols[3].metric("Latest graded outcome", f"{head['Headline grade']}{suffix}")
facts = pd.DataFrame({"Fact": list(ident), "Value": ["" if v is None else str(v) for v in ident.values()]})
st.dataframe(facts, hide_index=True, width="stretch")

# ---- Predecessors and successors ----
st.subheader("Predecessor and successor schools")
if lineage.predecessors.empty and lineage.successors.empty:
    st.caption("No predecessor or successor schools in the GIAS links.")
for title, frame in (("Predecessors", lineage.predecessors), ("Successors", lineage.successors)):
    if frame.empty:
        continue
    st.markdown(f"**{title}** (generation 1 = immediate)")
    for _, link in frame.iterrows():
        label = f"{link['name'] or 'URN ' + str(link['urn'])} (URN {int(link['urn'])}): {link['link_type']}"
        if pd.notna(link["link_date"]):
            label += f", {pd.Timestamp(link['link_date']):%d/%m/%Y}"
        if (directory["urn"] == int(link["urn"])).any():
            st.page_link(
                "pages/school.py",
                label=label,
                query_params={"urn": str(int(link["urn"]))},
                icon=":material/arrow_forward:",
            )
        else:
            st.text(label + " - not in the data")

# ---- Inspection due ----
st.subheader("Inspection due")
cols = st.columns(4)
cols[0].metric("Approximate latest due date", f"{due.due:%d/%m/%Y}" if due.due else "not estimated")
cols[1].metric("Overdue", f"Yes, by {due.days_overdue:,} days" if due.overdue else "No")
cols[2].metric(
    "Days since last graded inspection",
    f"{due.days_since_graded:,}" if due.days_since_graded is not None else "none recorded",
)
cols[3].metric(
    "Days since last inspection of any kind",
    f"{due.days_since_any:,}" if due.days_since_any is not None else "none recorded",
)
st.caption(
    f"Rule used: {due.rule} (basis: {due.basis}). Days and the overdue flag are counted to "
    f"{due.as_of:%d/%m/%Y}, the date of the Ofsted release that last listed the school. Approximate: Ofsted "
    "does not publish schedules."
)

# ---- Risk and LA categorisation (slots for the early-warning and register issues) ----
st.subheader("Risk and LA categorisation")
for title, hook in (
    ("Risk score with its drivers", school_data.hook("analytics.risk", "school_risk")),
    (
        "LA category history, notes of visit and interventions",
        school_data.hook("analytics.register", "school_register"),
    ),
):
    result = hook(data.engine(), url_urn) if hook else None
    if result is None or (isinstance(result, pd.DataFrame) and result.empty):
        st.caption(f"{title}: not available yet.")
    else:
        st.markdown(f"**{title}**")
        st.dataframe(result, hide_index=True, width="stretch")

# ---- Inspection timeline ----
st.subheader("Inspection timeline")
if timeline.empty:
    st.info("This school has no inspection recorded (and none of its predecessors has).")
else:
    if "(derived)" in " ".join(timeline["Headline grade"]):
        st.caption(
            "'(derived)': a 2024/25 inspection with no overall effectiveness ('Not judged'); the headline "
            "grade is derived from the key judgements (DESIGN rules: any 4 or a category -> 4; quality of "
            "education or leadership 3 -> 3; all 1 -> 1; else 2)."
        )
    if timeline["Inherited"].astype(bool).any():
        st.caption(
            "Inherited: inspections of a predecessor school, which count until the school is inspected in "
            "its current form."
        )
    chart_with_alternative(
        school_view.timeline_figure(timeline),
        timeline,
        school_view.timeline_summary(timeline),
        name=f"inspections-{url_urn}",
        key="school-timeline",
    )
    monitoring = school.get("monitoring_since_graded")
    if monitoring is not None and pd.notna(monitoring) and monitoring > 0:
        st.caption(
            f"Ofsted counts {int(monitoring)} monitoring or urgent inspection(s) since "
            "the last graded inspection (dates not published in the file)."
        )

# ---- Trends in context ----
st.subheader("Trends against the LA and England")
ctx = sp.school_context(
    school_data.context(version, (url_urn, *lineage.predecessor_urns)), url_urn, lineage.predecessor_urns
)
if ctx.empty:
    st.info("No DfE context figures (census, absence, attainment, finance) are loaded for this school.")
else:
    phase = school.get("phase") if isinstance(school.get("phase"), str) else None
    trend = sp.trends(ctx, school_data.benchmarks(version, phase), school.get("la_name"))
    st.caption(f"LA and England figures are averages over {phase or 'all'} schools of the same year.")
    roll = sp.falling_roll(trend.loc[trend["measure"] == "pupils"])
    (st.warning if roll.falling else st.caption)(roll.text)
    deficits = sp.deficit_years(trend)
    if deficits:
        st.warning("In-year deficit (expenditure above income) in: " + ", ".join(str(y) for y in deficits))
    available = [g for g, ms in sp.TREND_GROUPS.items() if trend["measure"].isin(ms).any()]
    group = st.segmented_control(
        "Measures", available, default=available[0] if available else None, key="school-trend-group"
    )
    for measure in sp.TREND_GROUPS.get(group or "", []):
        rows = trend.loc[trend["measure"] == measure]
        if rows.empty:
            continue
        label = sp.LABELS[measure]
        if rows["from_predecessor_urn"].notna().any():
            st.caption(f"{label}: some years are the predecessor school's figures (see the table).")
        chart_with_alternative(
            school_view.trend_figure(rows, label),
            rows,
            school_view.trend_summary(rows, label),
            name=f"{measure}-{url_urn}",
            key=f"school-trend-{measure}",
        )
