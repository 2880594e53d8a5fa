"""The register's view of one school, for the school page: category history, interventions, reviews, notes."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from analytics.queries import Scope
from analytics.register import entries, interventions, reviews


def school_register_sections(engine: Engine, urn: int) -> dict[str, pd.DataFrame]:
    """Display tables (labelled columns, newest first) of one school's register records; empty ones left
    out."""
    scope = Scope(urns=(int(urn),))
    history = entries.history(engine, urn)
    sections = {
        "LA category history": pd.DataFrame(
            {
                "Effective": history["effective_date"],
                "Scheme": history["scheme"],
                "Level": history["level_label"],
                "Stage": history["stage_label"],
                "Strands": history["strands"],
                "Reason": history["reason"],
                "Next review": history["next_review"],
                "Set by": history["set_by"],
                "Version": history["version"],
            }
        )
        if not history.empty
        else pd.DataFrame(),
    }
    work = interventions.interventions(engine, scope)
    if not work.empty:
        work = work.sort_values("start_date", ascending=False)
        sections["Interventions"] = pd.DataFrame(
            {
                "Type": work["type"],
                "Start": work["start_date"],
                "Status": work["status"],
                "Lead officer": work["lead_officer"],
                "Days used / planned": [
                    f"{u:g} / {p:g}" for u, p in zip(work["used_days"], work["planned_days"], strict=True)
                ],
                "Cost to date (GBP)": work["cost_to_date"].round(2),
                "Who pays": work["funded_by"],
                "Two-term review due": work["review_due"],
                "Three-term escalation due": work["escalation_due"],
                "Flag": work["flag"],
                "End": work["end_date"],
                "Outcome": work["outcome"],
            }
        )
    meetings = reviews.reviews(engine, scope)
    if not meetings.empty:
        sections["Review meetings"] = pd.DataFrame(
            {
                "Date": meetings["meeting_date"],
                "Attendees": meetings["attendees"],
                "Decisions": meetings["decisions"],
                "Agenda notes": ["; ".join(f"{k}: {v}" for k, v in a.items()) for a in meetings["agenda"]],
                "Next meeting": meetings["next_date"],
                "Recorded by": meetings["recorded_by"],
            }
        )
    visits = interventions.notes(engine, scope)
    if not visits.empty:
        sections["Notes of visit"] = pd.DataFrame(
            {
                "Visit date": visits["visit_date"],
                "Note": visits["text"],
                "By": visits["author"],
                "Intervention": visits["intervention_id"].astype("Int64"),
            }
        )
    return {title: frame.reset_index(drop=True) for title, frame in sections.items() if not frame.empty}


def school_register(engine: Engine, urn: int) -> pd.DataFrame | None:
    """One table of everything the register holds about the school, newest first (None when nothing):
    the hook the school page calls for "LA category history, notes of visit and interventions"."""
    sections = school_register_sections(engine, urn)
    if not sections:
        return None
    rows: list[dict[str, object]] = []
    for _, row in sections.get("LA category history", pd.DataFrame()).iterrows():
        stage = f", {row['Stage']}" if isinstance(row["Stage"], str) else ""
        rows.append(
            {
                "Date": row["Effective"],
                "Record": "LA category",
                "Detail": f"{row['Level']}{stage}",
                "Reason or note": row["Reason"],
                "By": row["Set by"],
            }
        )
    for _, row in sections.get("Interventions", pd.DataFrame()).iterrows():
        rows.append(
            {
                "Date": row["Start"],
                "Record": "Intervention",
                "Detail": f"{row['Type']} ({row['Status']}; days {row['Days used / planned']})",
                "Reason or note": row["Outcome"] or row["Flag"] or "",
                "By": row["Lead officer"],
            }
        )
    for _, row in sections.get("Review meetings", pd.DataFrame()).iterrows():
        rows.append(
            {
                "Date": row["Date"],
                "Record": "Review meeting",
                "Detail": row["Attendees"],
                "Reason or note": row["Decisions"],
                "By": row["Recorded by"],
            }
        )
    for _, row in sections.get("Notes of visit", pd.DataFrame()).iterrows():
        rows.append(
            {
                "Date": row["Visit date"],
                "Record": "Note of visit",
                "Detail": "",
                "Reason or note": row["Note"],
                "By": row["By"],
            }
        )
    out = pd.DataFrame(rows)
    out["Date"] = pd.to_datetime(out["Date"]).dt.date
    return out.sort_values("Date", ascending=False, kind="stable").reset_index(drop=True)
