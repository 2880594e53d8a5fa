"""Schools Causing Concern register: the LA's categories beside the data, decisions, interventions, reviews.

Sections: the register (filters by level, stage, district, review due), recording a decision (the form
carries the version it read), interventions, review meetings and notes of visit, first-register proposals and
settings.
School names, reasons and notes are shown with st.dataframe / st.text only (never as Markdown).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from analytics.queries import Scope
from analytics.register import entries, interventions, reviews, rules, settings
from analytics.register.base import RegisterError
from analytics.register.schemes import (
    FUNDERS,
    SCHEMES,
    STANDING_AGENDA,
    STATUSES,
    STRAND_TITLES,
    Scheme,
    find_strand,
)
from ui import filters, risk
from ui import register as ui
from ui.charts import download_buttons
from ui.read import cut, reader
from ui.read import engine as store_engine
from ui.tables import school_url

SECTIONS = [
    "Register",
    "Record a decision",
    "Interventions",
    "Reviews and notes",
    "First register",
    "Settings",
]
NOT_RECORDED = "Not recorded"
NO_STAGE = "(no stage)"


def _school_labels(table: pd.DataFrame) -> dict[int, str]:
    ordered = table.sort_values("name")
    return {int(u): f"{n} (URN {int(u)})" for u, n in zip(ordered["urn"], ordered["name"], strict=True)}


def _need_editor(who: str | None) -> bool:
    if who is None:
        st.info("Only directors and DSIMs record changes to the register (every change records who made it).")
        return True
    return False


def _register_section(table: pd.DataFrame, scheme: Scheme, la: str) -> None:
    cols = st.columns(4)
    cols[0].metric("On the register", int(table["on_register"].sum()))
    cols[1].metric("Disagreements with the data", int((table["disagreement"] != "").sum()))
    cols[2].metric("Reviews due or overdue", int((table["review_status"] != "").sum()))
    cols[3].metric("Schools with no decision recorded", int(table["scheme"].isna().sum()))
    left, middle, right = st.columns(3)
    labels = [*dict.fromkeys(table["level_label"].dropna()), NOT_RECORDED]
    levels = left.multiselect("Level", labels, key="register_levels", placeholder="Any level")
    stage: list[str] = []
    if scheme.stages:
        stages = [scheme.stage(code).label for code in scheme.stage_codes]
        stage = middle.multiselect("Stage", stages, key="register_stages", placeholder="Any stage")
    districts = right.multiselect(
        "District (parliamentary constituency)",
        sorted(table["district"].unique()),
        key="register_districts",
        placeholder="Any district",
    )
    a, b, c = st.columns(3)
    due_only = a.toggle("Reviews due or overdue only", key="register_due_only")
    disagree_only = b.toggle("Disagreements only", key="register_disagree_only")
    everyone = c.toggle(
        "Every school in the LA",
        key="register_everyone",
        help="Off: schools on the register, or where the data suggest a level of concern",
    )
    shown = table if everyone else table.loc[table["on_register"] | (table["disagreement"] != "")]
    if levels:
        shown = shown.loc[shown["level_label"].fillna(NOT_RECORDED).isin(levels)]
    if stage:
        shown = shown.loc[shown["stage_label"].isin(stage)]
    if districts:
        shown = shown.loc[shown["district"].isin(districts)]
    if due_only:
        shown = shown.loc[shown["review_status"] != ""]
    if disagree_only:
        shown = shown.loc[shown["disagreement"] != ""]
    view = pd.DataFrame(
        {
            "Open": [school_url(u) for u in shown["urn"]],
            "URN": shown["urn"],
            "School": shown["name"],
            "District": shown["district"],
            "Ofsted": shown["ofsted"],
            "Risk": shown["risk_band"],
            "Level": shown["level_label"].fillna(NOT_RECORDED),
            "Stage": shown["stage_label"],
            "Strands": shown["strands"],
            "Reason": shown["reason"],
            "Effective": shown["effective_date"],
            "Next review": shown["next_review"],
            "Review status": shown["review_status"],
            "Suggested": shown["suggested_label"],
            "Evidence": shown["evidence"],
            "Disagreement": shown["disagreement"],
            "Set by": shown["set_by"],
        }
    )
    st.dataframe(
        view,
        hide_index=True,
        width="stretch",
        column_config={
            "Open": st.column_config.LinkColumn("School page", display_text="Open"),
            "Evidence": st.column_config.TextColumn(width="large"),
            "Reason": st.column_config.TextColumn(width="medium"),
        },
    )
    st.text(f"{len(shown)} of {len(table)} open schools shown.")
    download_buttons(view.drop(columns="Open"), f"register-{la}", "register-table")
    with st.expander("How the suggested level is worked out"):
        st.text(f"{scheme.title}: {rules.SCHEME_RULES.get(scheme.name, '')}")
        st.dataframe(
            pd.DataFrame(rules.RULES, columns=["Evidence", "Severity", "Rule"]),
            hide_index=True,
            width="stretch",
        )


@dataclass(frozen=True)
class DecisionFields:
    level: str
    stage: str | None
    strands: list[str]
    reason: str
    review: date | None


def _decision_fields(
    scheme: Scheme,
    names: dict[str, str],
    key: str,
    level: str,
    stage: str | None,
    strands: list[str],
    reason: str,
) -> DecisionFields:
    """Level, stage (schemes with stages), strands, reason and next review: the inputs of a decision form.
    `key` is a pattern such as 'register_{}_123456' (one set of widget keys per school)."""
    codes = scheme.codes
    chosen = st.selectbox(
        "Level", codes, index=codes.index(level), format_func=names.__getitem__, key=key.format("level")
    )
    chosen_stage = None
    if scheme.stages:
        options = [NO_STAGE, *scheme.stage_codes]
        chosen_stage = st.selectbox(
            "Stage",
            options,
            index=options.index(stage or NO_STAGE),
            key=key.format("stage"),
            format_func=lambda c: c if c == NO_STAGE else scheme.stage(c).label,
        )
    picked = st.multiselect(
        "Evidence strands", list(STRAND_TITLES.values()), default=strands, key=key.format("strands")
    )
    text = st.text_area("Reason (required)", value=reason, max_chars=5000, key=key.format("reason"))
    review = st.date_input(
        "Next review by",
        value=date.today() + timedelta(days=91),
        format="DD/MM/YYYY",
        key=key.format("review"),
    )
    return DecisionFields(
        chosen, None if chosen_stage in (None, NO_STAGE) else chosen_stage, picked, text, review
    )


def _record(urn: int, scheme: Scheme, fields: DecisionFields, who: str, **options: Any) -> int | None:
    """Record the decision (audited); on refusal show why and return None."""
    try:
        return entries.record_level(
            store_engine(),
            urn,
            scheme=scheme.name,
            level=fields.level,
            reason=fields.reason,
            by=who,
            strands=[find_strand(s) or s for s in fields.strands],
            stage=fields.stage,
            next_review=fields.review,
            **options,
        )
    except RegisterError as error:
        ui.refused(error)
        return None


def _decision_section(table: pd.DataFrame, scheme: Scheme, names: dict[str, str], who: str | None) -> None:
    options = _school_labels(table)
    urn = st.selectbox(
        "School",
        list(options),
        format_func=options.__getitem__,
        index=None,
        placeholder="Choose a school",
        key="register_school",
    )
    if urn is None:
        return
    row = table.loc[table["urn"] == urn].iloc[0]
    current = entries.school_version(store_engine(), urn)
    read_key = f"register_read_{urn}"
    st.session_state.setdefault(read_key, current)
    if st.session_state[read_key] != current:
        st.warning("This school's entry changed since you opened it.", icon=":material/sync_problem:")
        if st.button("Load the latest entry", key="register_reload"):
            st.session_state[read_key] = current
            st.rerun()
    st.text(
        f"Recorded: {row['level_label'] if isinstance(row['level_label'], str) else 'nothing yet'}"
        f" (version {current}). Ofsted: {row['ofsted']}. Risk: {row['risk_band']}."
    )
    st.text(f"The data suggest: {row['suggested_label']} ({row['severity']}).")
    if row["evidence"]:
        st.text("Evidence: " + str(row["evidence"]))
    default = row["level"] if row["level"] in scheme.codes else row["suggested_level"]
    stage_now = row["stage"] if isinstance(row["stage"], str) else None
    with st.form(f"register_form_{urn}"):
        fields = _decision_fields(
            scheme,
            names,
            f"register_{{}}_{urn}",
            default,
            stage_now,
            [STRAND_TITLES[k] for k in _strands_of(row)],
            "",
        )
        effective = st.date_input(
            "Effective from",
            value=date.today(),
            max_value=date.today(),
            format="DD/MM/YYYY",
            key=f"register_effective_{urn}",
        )
        submitted = st.form_submit_button(
            "Record the decision", type="primary", disabled=who is None, key="register_submit"
        )
    _need_editor(who)
    if submitted and who is not None:
        version = _record(
            urn, scheme, fields, who, effective=effective, expected_version=st.session_state[read_key]
        )
        if version is not None:
            st.session_state[read_key] = version
            ui.saved(f"URN {urn}: {names[fields.level]} recorded (version {version}).")
    history = entries.history(store_engine(), urn)
    if not history.empty:
        st.subheader("History (newest first)")
        shown = history[
            [
                "version",
                "effective_date",
                "scheme",
                "level_label",
                "stage_label",
                "strands",
                "reason",
                "next_review",
                "set_by",
                "recorded_at",
                "source",
            ]
        ]
        shown = shown.assign(recorded_at=ui.utc_text(shown["recorded_at"]))
        st.dataframe(shown, hide_index=True, width="stretch")
        download_buttons(shown, f"register-history-{urn}", "register-history")


def _strands_of(row: pd.Series) -> list[str]:
    if isinstance(row["strands"], str) and row["strands"]:
        return [k for k in (find_strand(s) for s in row["strands"].split("; ")) if k]
    return []


def _interventions_section(table: pd.DataFrame, la: str, who: str | None) -> None:
    engine = store_engine()
    work = interventions.interventions(engine, Scope.la(la))
    st.caption(interventions.TERM_RULE)
    if work.empty:
        st.info("No interventions recorded for this LA yet.")
    else:
        cols = st.columns(3)
        cols[0].metric("Active or planned", int((~work["status"].isin(["completed", "withdrawn"])).sum()))
        cols[1].metric("At review or escalation", int((work["flag"] != "").sum()))
        cols[2].metric("Spend to date (GBP)", f"{work['cost_to_date'].sum():,.0f}")
        view = work[
            [
                "id",
                "urn",
                "name",
                "type",
                "lead_officer",
                "start_date",
                "status",
                "planned_days",
                "used_days",
                "day_rate",
                "other_cost",
                "cost_to_date",
                "planned_cost",
                "funded_by",
                "review_due",
                "escalation_due",
                "flag",
                "end_date",
                "outcome",
            ]
        ]
        st.dataframe(view, hide_index=True, width="stretch")
        download_buttons(view, f"interventions-{la}", "register-interventions")
    options = _school_labels(table)
    types = settings.intervention_types(engine, la)
    st.subheader("Start an intervention")
    with st.form("register_new_intervention"):
        urn = st.selectbox(
            "School", list(options), format_func=options.__getitem__, index=None, key="register_iv_school"
        )
        kind = st.selectbox("Type", types, key="register_iv_type")
        lead = st.text_input("Lead officer (email or name; default: you)")
        start = st.date_input("Start", value=date.today(), format="DD/MM/YYYY", key="register_iv_start")
        left, middle, right = st.columns(3)
        days = left.number_input("Planned officer days", min_value=0.0, value=5.0, step=0.5)
        rate = middle.number_input(
            "Day rate (GBP)", min_value=0.0, value=settings.day_rate(engine, la), step=10.0
        )
        other = right.number_input("Other costs (GBP)", min_value=0.0, value=0.0, step=100.0)
        funder = st.radio("Who pays", FUNDERS, horizontal=True)
        submitted = st.form_submit_button(
            "Start the intervention", disabled=who is None, key="register_iv_submit"
        )
    if submitted and who is not None:
        if urn is None:
            st.error("Choose a school.")
        else:
            try:
                new_id = interventions.add_intervention(
                    engine,
                    urn,
                    type=kind,
                    start=start,
                    planned_days=days,
                    by=who,
                    lead_officer=lead or who,
                    day_rate=rate,
                    other_cost=other,
                    funded_by=funder,
                )
            except RegisterError as error:
                ui.refused(error)
            else:
                ui.saved(f"Intervention #{new_id} recorded.")
    if not work.empty:
        _update_intervention(work, who)
        _impact(la)


def _impact(la: str) -> None:
    st.subheader("Impact of closed interventions")
    closed, comparison = ui.impact_of_interventions(la, reader().data, ui.register_version(), date.today())
    st.text(comparison)
    if closed.empty:
        st.text("No intervention has been completed or withdrawn yet.")
        return
    st.caption(
        "Before: the last graded inspection before the start and the last figures of the academic year "
        "before it; after: the first graded inspection from the start, and the first figures of an academic "
        "year ending after the end date. Inspections and figures of predecessor schools count."
    )
    st.dataframe(closed, hide_index=True, width="stretch")
    download_buttons(closed, f"intervention-impact-{la}", "register-impact")


def _update_intervention(work: pd.DataFrame, who: str | None) -> None:
    st.subheader("Update an intervention")
    labels = {
        int(i): f"#{int(i)} {t} at {n} (from {s:%d/%m/%Y}, {st_})"
        for i, t, n, s, st_ in zip(
            work["id"],
            work["type"],
            work["name"],
            pd.to_datetime(work["start_date"]),
            work["status"],
            strict=True,
        )
    }
    chosen = st.selectbox(
        "Intervention", list(labels), format_func=labels.__getitem__, index=None, key="register_iv_choice"
    )
    if chosen is None:
        return
    row = work.loc[work["id"] == chosen].iloc[0]
    read_key = f"register_iv_read_{chosen}"
    st.session_state.setdefault(read_key, int(row["version"]))
    with st.form(f"register_iv_form_{chosen}"):
        left, right = st.columns(2)
        used = left.number_input("Officer days used", min_value=0.0, value=float(row["used_days"]), step=0.5)
        planned = right.number_input(
            "Planned officer days", min_value=0.0, value=float(row["planned_days"]), step=0.5
        )
        status = st.selectbox("Status", STATUSES, index=STATUSES.index(row["status"]))
        end = st.date_input(
            "End date (when closing)",
            value=row["end_date"] if pd.notna(row["end_date"]) else None,
            max_value=date.today(),
            format="DD/MM/YYYY",
        )
        outcome = st.text_area("Outcome", value=row["outcome"] or "")
        reason = st.text_area("Reason for the change (required)")
        submitted = st.form_submit_button("Save the change", disabled=who is None, key="register_iv_update")
    if submitted and who is not None:
        changes: dict[str, Any] = {
            "used_days": used,
            "planned_days": planned,
            "status": status,
            "outcome": outcome or None,
        }
        if end is not None:
            changes["end_date"] = end
        changes = {k: v for k, v in changes.items() if v != row[k] and not (v is None and pd.isna(row[k]))}
        try:
            version = interventions.update_intervention(
                store_engine(),
                chosen,
                by=who,
                reason=reason,
                expected_version=st.session_state[read_key],
                **changes,
            )
        except RegisterError as error:
            ui.refused(error)
        else:
            st.session_state[read_key] = version
            ui.saved(f"Intervention #{chosen} updated (version {version}).")


def _reviews_section(table: pd.DataFrame, la: str, who: str | None) -> None:
    engine = store_engine()
    options = _school_labels(table)
    st.subheader("Record a review meeting")
    with st.form("register_review_form"):
        urn = st.selectbox("School", list(options), format_func=options.__getitem__, index=None)
        held = st.date_input("Meeting date", value=date.today(), max_value=date.today(), format="DD/MM/YYYY")
        attendees = st.text_input("Attendees")
        with st.expander("Standing agenda (notes per item)"):
            agenda = {item: st.text_area(item, key=f"register_agenda_{item}") for item in STANDING_AGENDA}
        decisions = st.text_area("Decisions (required)")
        next_date = st.date_input("Next meeting", value=None, format="DD/MM/YYYY")
        submitted = st.form_submit_button(
            "Record the meeting", disabled=who is None, key="register_review_submit"
        )
    if submitted and who is not None:
        if urn is None:
            st.error("Choose a school.")
        else:
            try:
                reviews.record_review(
                    engine,
                    urn,
                    meeting_date=held,
                    attendees=attendees,
                    decisions=decisions,
                    by=who,
                    agenda=agenda,
                    next_date=next_date,
                )
            except RegisterError as error:
                ui.refused(error)
            else:
                ui.saved("Review meeting recorded.")
    st.subheader("Record a note of visit")
    work = interventions.interventions(engine, Scope.la(la))
    linked = {
        0: "(not linked to an intervention)",
        **{
            int(i): f"#{int(i)} {t} at {n}"
            for i, t, n in zip(work["id"], work["type"], work["name"], strict=True)
        },
    }
    with st.form("register_note_form"):
        urn = st.selectbox("School", list(options), format_func=options.__getitem__, index=None)
        visited = st.date_input("Visit date", value=date.today(), max_value=date.today(), format="DD/MM/YYYY")
        link = st.selectbox("Intervention", list(linked), format_func=linked.__getitem__)
        text = st.text_area("Note (required)", max_chars=5000)
        submitted = st.form_submit_button("Record the note", disabled=who is None, key="register_note_submit")
    if submitted and who is not None:
        if urn is None:
            st.error("Choose a school.")
        else:
            try:
                interventions.add_note(
                    engine, urn, visit_date=visited, text=text, by=who, intervention_id=link or None
                )
            except RegisterError as error:
                ui.refused(error)
            else:
                ui.saved("Note of visit recorded.")
    _need_editor(who)
    scope = Scope.la(la)
    held_meetings = reviews.reviews(engine, scope)
    if not held_meetings.empty:
        st.subheader("Review meetings (newest first)")
        view = held_meetings.assign(
            agenda=["; ".join(f"{k}: {v}" for k, v in a.items()) for a in held_meetings["agenda"]]
        )
        view = view[
            ["meeting_date", "urn", "name", "attendees", "agenda", "decisions", "next_date", "recorded_by"]
        ]
        st.dataframe(view, hide_index=True, width="stretch")
        download_buttons(view, f"review-meetings-{la}", "register-reviews")
    visits = interventions.notes(engine, scope)
    if not visits.empty:
        st.subheader("Notes of visit (newest first)")
        view = visits[["visit_date", "urn", "name", "intervention_id", "text", "author"]]
        st.dataframe(view, hide_index=True, width="stretch")
        download_buttons(view, f"notes-{la}", "register-notes")


def _first_register_section(
    la: str, proposals: pd.DataFrame, scheme: Scheme, names: dict[str, str], who: str | None
) -> None:
    st.caption(
        "Proposed entries for schools with no entry yet: in an Ofsted category, inadequate, requires "
        "improvement, stuck below good, with a warning notice, or at high early-warning risk. Accept or "
        "change them one by one; each acceptance is a recorded, audited decision."
    )
    if proposals.empty:
        st.info("No proposals: every school the rules would propose already has an entry.")
        return
    view = proposals.assign(strands=["; ".join(s) for s in proposals["strands"]])
    st.dataframe(view, hide_index=True, width="stretch")
    download_buttons(view, f"first-register-{la}", "register-proposals")
    position = int(st.session_state.get("register_proposal", 0)) % len(proposals)
    row = proposals.iloc[position]
    urn = int(row["urn"])
    st.subheader(f"Proposal {position + 1} of {len(proposals)}")
    st.text(
        f"{row['name']} (URN {urn}), {row['district']}. Ofsted: {row['ofsted']}. Risk: {row['risk_band']}."
    )
    st.text(str(row["reason"]))
    stage_now = row["proposed_stage"] if isinstance(row["proposed_stage"], str) else None
    with st.form(f"register_proposal_form_{urn}"):
        fields = _decision_fields(
            scheme,
            names,
            f"register_proposal_{{}}_{urn}",
            row["proposed_level"],
            stage_now,
            list(row["strands"]),
            str(row["reason"]),
        )
        accepted = st.form_submit_button(
            "Accept", type="primary", disabled=who is None, key="register_accept"
        )
    if st.button("Skip for now", key="register_skip"):
        st.session_state["register_proposal"] = position + 1
        st.rerun()
    _need_editor(who)
    recorded = (
        accepted
        and who is not None
        and _record(urn, scheme, fields, who, expected_version=0, source="first register")
    )
    if recorded:
        ui.saved(f"URN {urn}: {names[fields.level]} recorded.")


def _settings_section(la: str, scheme: Scheme, who: str | None) -> None:
    engine = store_engine()
    names = settings.level_names(engine, la, scheme.name)
    with st.form("register_settings"):
        chosen = st.selectbox(
            "Categorisation scheme",
            list(SCHEMES),
            index=list(SCHEMES).index(scheme.name),
            format_func=lambda s: SCHEMES[s].title,
        )
        st.text(f"Names of the {scheme.title} levels, as this LA shows them:")
        renamed = {
            c: st.text_input(f"Level {c}", value=names[c], key=f"register_rename_{c}") for c in scheme.codes
        }
        rate = st.number_input("Default day rate (GBP)", min_value=0.0, value=settings.day_rate(engine, la))
        types = st.text_area(
            "Intervention types (one per line)", value="\n".join(settings.intervention_types(engine, la))
        )
        reason = st.text_area("Reason for the change (required)")
        submitted = st.form_submit_button(
            "Save the settings", disabled=who is None, key="register_settings_submit"
        )
    _need_editor(who)
    if not (submitted and who is not None):
        return
    wanted = {
        settings.SCHEME: chosen,
        settings.level_names_key(scheme.name): {
            c: n for c, n in renamed.items() if n != scheme.level(c).label
        },
        settings.DAY_RATE: rate,
        settings.INTERVENTION_TYPES_KEY: [t.strip() for t in types.splitlines() if t.strip()],
    }
    current = {
        settings.SCHEME: scheme.name,
        settings.level_names_key(scheme.name): {c: n for c, n in names.items() if n != scheme.level(c).label},
        settings.DAY_RATE: settings.day_rate(engine, la),
        settings.INTERVENTION_TYPES_KEY: settings.intervention_types(engine, la),
    }
    changed = [k for k in wanted if wanted[k] != current[k]]
    if not changed:
        st.info("Nothing changed.")
        return
    try:
        for key in changed:
            settings.put(engine, la, key, wanted[key], by=who, reason=reason)
    except RegisterError as error:
        ui.refused(error)
    else:
        ui.saved(f"Saved: {', '.join(changed)}.")


def render() -> None:
    rm = reader()
    chosen = filters.county_filters(rm)
    who = ui.editor()
    st.title("Schools Causing Concern register")
    if chosen is None:
        st.info("No data has been imported yet, or none that you may see.")
        return
    ui.show_saved()
    la = chosen.la
    engine = store_engine()
    scheme = SCHEMES[settings.chosen_scheme(engine, la)]
    names = settings.level_names(engine, la, scheme.name)
    today = date.today()
    register = ui.register_version()
    model = risk.model_id()
    table = rm.detail_only(ui.register_table(la, rm.data, register, model, today))  # a DSIM: own districts
    sectors = rm.schools(la).set_index("urn")["sector"]
    table = cut(table.assign(sector=table["urn"].map(sectors)), la, chosen.phase, chosen.sector)
    st.text(f"{chosen.describe()}. Scheme: {scheme.title}. Level names: {', '.join(names.values())}.")
    if model is None:
        st.caption("No early-warning model has been trained: suggestions use Ofsted and DfE data only.")
    section = (
        st.segmented_control("Section", SECTIONS, default=SECTIONS[0], key="register_section") or SECTIONS[0]
    )
    if section == "Register":
        _register_section(table, scheme, la)
    elif section == "Record a decision":
        _decision_section(table, scheme, names, who)
    elif section == "Interventions":
        _interventions_section(table, la, who)
    elif section == "Reviews and notes":
        _reviews_section(table, la, who)
    elif section == "First register":
        _first_register_section(la, rm.detail_only(ui.proposals(la, rm.data, register, model, today)), scheme,
                                names, who)
    elif rm.viewer is not None and rm.viewer.role == "director":
        _settings_section(la, scheme, who)
    else:
        st.info("Only a director may change the LA's register settings.")


render()
