"""School drilldown: search, identity, predecessors/successors, inspection timeline, trends, due date.

Deep link: /school?urn=NNNNNN (read from and written back to the URL). The page only draws the school's
profile
(`analytics.school_profile.SchoolProfile`), which the read model builds once per data version and school.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import school_profile as sp
from analytics.config import get_settings
from ui import register as register_ui
from ui import risk, school_view
from ui.charts import chart_with_alternative
from ui.read import Reader, reader
from ui.text import escape


def urn_from_url() -> tuple[int | None, str | None]:
    """(URN, None) for a number in ?urn=, (None, the text) for anything else, (None, None) when absent."""
    raw = st.query_params.get("urn")
    if raw is None or raw == "":
        return None, None
    text = str(raw).strip()
    return (int(text), None) if text.isdigit() and len(text) <= 9 else (None, str(raw))


def search_box(rm: Reader) -> int | None:
    query = st.text_input(
        "Find a school by name, URN or postcode",
        key="school-search",
        placeholder="e.g. 'St Mary', '100000' or 'EC3A'",
    )
    if not query:
        return None
    hits = rm.search(query)
    if hits.empty:
        st.info("No school matches that search.")
        return None
    labels = {int(r["urn"]): sp.search_label(r) for _, r in hits.iterrows()}
    more = " (first 50 shown: refine the search)" if len(hits) == 50 else ""
    choice: int | None = st.selectbox(
        f"{len(hits)} matching schools{more}",
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        placeholder="Choose a school",
        key="school-choice",
    )
    return choice


def render_header(profile: sp.SchoolProfile) -> None:
    record = profile.record
    st.header(escape(profile.identity["Name"]))
    st.subheader("Latest graded outcome: " + escape(profile.outcome_line))
    cols = st.columns(3)
    cols[0].metric("URN", str(profile.urn))
    cols[1].metric("Phase", str(profile.identity["Phase"] or "not recorded"))
    pupils = profile.identity["Pupils"]
    cols[2].metric("Pupils", f"{pupils:,}" if pupils is not None else "not recorded")
    start = record.get("inspection_start") if profile.is_open else None
    parts = []
    if start is not None and not pd.isna(start):
        parts.append(f"Inspected {pd.Timestamp(start):%d %B %Y}, {record.get('framework')} framework")
    if profile.category_of_concern:
        parts.append(f"Category of concern: {profile.category_of_concern}")
    if profile.is_open:
        parts.append(f"Grade source: {profile.grade_source}")
    else:
        parts.append("This school is closed")
    st.text(". ".join(parts) + ".")
    if not profile.report_card.empty:
        st.subheader("Report card")
        st.caption(
            "Report cards (from 10 November 2025) grade each area on its own five-point scale (exceptional, "
            "strong standard, expected standard, needs attention, urgent improvement) with its own date, "
            "plus safeguarding met / not met; there is no single grade. The adverse flag is derived "
            "from the areas: leadership and governance 'needs attention' or 'urgent improvement', any area "
            "'urgent improvement', or safeguarding not met."
        )
        st.dataframe(profile.report_card, hide_index=True, width="stretch")
    facts = pd.DataFrame(
        {
            "Fact": list(profile.identity),
            "Value": ["" if v is None else str(v) for v in profile.identity.values()],
        }
    )
    st.dataframe(facts, hide_index=True, width="stretch")


def render_lineage(profile: sp.SchoolProfile, rm: Reader) -> None:
    st.subheader("Predecessor and successor schools")
    chain = profile.lineage
    if chain.predecessors.empty and chain.successors.empty:
        st.caption("No predecessor or successor schools in the GIAS links.")
    for title, frame in (("Predecessors", chain.predecessors), ("Successors", chain.successors)):
        if frame.empty:
            continue
        st.markdown(f"**{title}** (generation 1 = immediate)")
        for _, link in frame.iterrows():
            label = f"{link['name']} (URN {int(link['urn'])}): {link['link_type']}"
            if pd.notna(link["link_date"]):
                label += f", {pd.Timestamp(link['link_date']):%d/%m/%Y}"
            if rm.knows_school(int(link["urn"])):
                st.page_link(
                    "views/school.py",
                    label=escape(label),
                    query_params={"urn": str(int(link["urn"]))},
                    icon=":material/arrow_forward:",
                )
            else:
                st.text(label + " - not in the data")


def render_due(profile: sp.SchoolProfile) -> None:
    st.subheader("Inspection due")
    due = profile.due
    if due is None:
        st.text("The school is closed: no inspection is due.")
        return
    cols = st.columns(4)
    cols[0].metric("Approximate latest due date", f"{due.due:%d/%m/%Y}" if due.due else "not estimated")
    cols[1].metric(
        "Overdue", f"Yes, by {due.days_overdue:,} days" if due.overdue and due.days_overdue else "No"
    )
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
        f"{due.as_of:%d/%m/%Y}, the date of the Ofsted release that last listed the school. Approximate: "
        f"Ofsted "
        "does not publish schedules."
    )


def render_risk(profile: sp.SchoolProfile) -> None:
    st.subheader("Early-warning risk")
    model = risk.model_id()
    found = None if model is None else risk.school_card(get_settings().database_url, model, profile.urn)
    if found is None or found.empty:
        st.caption(
            "No early-warning score for this school (no model trained, or no graded inspection to score)."
        )
    else:
        st.dataframe(found, hide_index=True, width="stretch")


def render_register(profile: sp.SchoolProfile, rm: Reader) -> None:
    """The LA's own records about the school (Schools Causing Concern register), newest first."""
    st.subheader("LA category history, notes of visit and interventions")
    sections = register_ui.school_sections(profile.urn, register_ui.register_version(), rm.data)
    if not sections:
        st.caption("The LA's register holds no record about this school yet (see the Register page).")
        return
    for title, frame in sections.items():
        st.markdown(f"**{title}**")
        st.dataframe(frame, hide_index=True, width="stretch")


def render_timeline(profile: sp.SchoolProfile) -> None:
    st.subheader("Inspection timeline")
    timeline = profile.timeline
    if timeline.empty:
        st.info("This school has no inspection recorded (and none of its predecessors has).")
        return
    if "(derived)" in " ".join(timeline["Headline grade"]):
        st.caption(
            "'(derived)': a 2024/25 inspection with no overall effectiveness ('Not judged'); the headline "
            "grade is "
            "derived from the key judgements (DESIGN rules: any 4 or a category -> 4; quality of education "
            "or "
            "leadership 3 -> 3; all 1 -> 1; else 2)."
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
        name=f"inspections-{profile.urn}",
        key="school-timeline",
    )
    monitoring = profile.record.get("monitoring_since_graded")
    if monitoring is not None and pd.notna(monitoring) and monitoring > 0:
        st.caption(
            f"Ofsted counts {int(monitoring)} monitoring or urgent inspection(s) since the last graded "
            "inspection (dates not published in the file)."
        )


def render_trends(profile: sp.SchoolProfile) -> None:
    st.subheader("Trends against the LA and England")
    trend = profile.trends
    if trend.empty:
        st.info("No DfE context figures (census, absence, attainment, finance) are loaded for this school.")
        return
    phase = profile.identity["Phase"]
    st.caption(f"LA and England figures are averages over {phase or 'all'} schools of the same year.")
    (st.warning if profile.roll.falling else st.caption)(profile.roll.text)
    if profile.deficit_years:
        st.warning(
            "In-year deficit (expenditure above income) in: " + ", ".join(map(str, profile.deficit_years))
        )
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
            name=f"{measure}-{profile.urn}",
            key=f"school-trend-{measure}",
        )


def render() -> None:
    st.title("School drilldown")
    rm = reader()
    url_urn, bad_value = urn_from_url()
    chosen = search_box(rm)
    if chosen is not None and chosen != url_urn:
        st.query_params["urn"] = str(chosen)
        url_urn, bad_value = chosen, None
    if bad_value is not None:
        st.error("That is not a URN (a URN is a number, e.g. 100000). Search for the school instead.")
        st.text(f"The address asked for: {bad_value[:200]}")
        return
    if url_urn is None:
        st.info("Search for a school above, or open a school from any list of schools in the dashboard.")
        return
    profile = rm.school(url_urn)
    if profile is None:
        st.error(
            f"No school with URN {url_urn} is in the data you may see. Check the number or search by name."
        )
        return
    render_header(profile)
    render_lineage(profile, rm)
    render_due(profile)
    if rm.sees_detail(profile.urn) and rm.viewer is not None and rm.viewer.sees_named_risk:
        render_risk(profile)
    if rm.sees_detail(profile.urn) and rm.viewer is not None and rm.viewer.role in ("director", "dsim"):
        render_register(profile, rm)
    render_timeline(profile)
    render_trends(profile)


render()
