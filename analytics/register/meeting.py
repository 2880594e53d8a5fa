"""The monthly meeting view: the register as at the last meeting against now, and what needs the meeting.

`meeting_view(engine, la_name, since)` returns every frame the meeting page shows; each is also usable alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from analytics.districts import district_of
from analytics.grades import grade_label
from analytics.queries import Scope, inspections
from analytics.register import entries, interventions, listing, rules
from analytics.register.schemes import SCHEMES

CHANGE_ORDER = [
    "escalation",
    "new entry",
    "de-escalation",
    "exit",
    "stage change",
    "scheme change",
    "first recorded (not of concern)",
]


@dataclass(frozen=True)
class MeetingView:
    la_name: str
    since: date
    today: date
    data_date: date | None
    level_counts: pd.DataFrame
    changes: pd.DataFrame
    reviews_due: pd.DataFrame
    interventions_due: pd.DataFrame
    inspected: pd.DataFrame
    high_risk_not_on_register: pd.DataFrame
    spend_by_district: pd.DataFrame
    disagreements: pd.DataFrame

    def summary(self) -> dict[str, int]:
        kinds = self.changes["change"].value_counts() if not self.changes.empty else pd.Series(dtype=int)
        return {
            "new entries": int(kinds.get("new entry", 0)),
            "exits": int(kinds.get("exit", 0)),
            "escalations": int(kinds.get("escalation", 0)),
            "de-escalations": int(kinds.get("de-escalation", 0)),
            "reviews due or overdue": len(self.reviews_due),
            "interventions at review or escalation": len(self.interventions_due),
            "schools inspected since": len(self.inspected),
            "high-risk schools not on the register": len(self.high_risk_not_on_register),
        }


def meeting_view(
    engine: Engine, la_name: str, since: date, today: date | None = None, facts: rules.Facts | None = None
) -> MeetingView:
    today = today or date.today()
    scope = Scope.la(la_name)
    facts = facts or rules.load_facts(engine, scope)
    history = entries.entries(engine, scope)
    before, now = entries.in_force(history, since), entries.in_force(history, today)
    table = listing.register_table(engine, scope, today, facts=facts)
    spend = interventions.interventions(engine, scope, today)
    as_at = facts.schools["as_at"].dropna()
    return MeetingView(
        la_name=la_name,
        since=since,
        today=today,
        data_date=pd.Timestamp(as_at.max()).date() if not as_at.empty else None,
        level_counts=level_counts(before, now),
        changes=changes(before, now),
        reviews_due=reviews_due(table),
        interventions_due=interventions_due(spend, since),
        inspected=inspected_since(engine, facts.schools, table, since, today),
        high_risk_not_on_register=high_risk_not_on_register(table),
        spend_by_district=spend_by_district(spend, facts.schools),
        disagreements=listing.disagreements(table),
    )


def level_counts(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """Schools per scheme and level as at the last meeting and now."""

    keys = ["scheme", "level", "level_label"]

    def counts(frame: pd.DataFrame, column: str) -> pd.Series:
        if frame.empty:
            return pd.Series(dtype="int64", name=column, index=pd.MultiIndex.from_tuples([], names=keys))
        return frame.groupby(keys).size().rename(column)

    out = pd.concat([counts(before, "at the last meeting"), counts(now, "now")], axis=1).fillna(0).astype(int)
    out = out.reset_index()
    if out.empty:
        return pd.DataFrame(
            columns=["scheme", "level", "level_label", "at the last meeting", "now", "change"]
        )
    out["change"] = out["now"] - out["at the last meeting"]
    out["_rank"] = [
        SCHEMES[s].rank(lv) if s in SCHEMES else -1 for s, lv in zip(out["scheme"], out["level"], strict=True)
    ]
    return out.sort_values(["scheme", "_rank"]).drop(columns="_rank").reset_index(drop=True)


CHANGE_COLUMNS = [
    "urn",
    "name",
    "constituency",
    "change",
    "before",
    "now",
    "effective_date",
    "set_by",
    "reason",
]


def changes(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """New entries, exits, escalations and de-escalations between two register snapshots."""
    if now.empty and before.empty:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    keep = ["urn", "scheme", "level", "level_label", "stage", "stage_label", "version"]
    merged = now.merge(
        before[keep] if not before.empty else pd.DataFrame(columns=keep),
        on="urn",
        how="outer",
        suffixes=("", "_before"),
    )
    rows = []
    for _, row in merged.iterrows():
        kind = _change(row)
        if kind is None:
            continue
        rows.append(
            {
                "urn": int(row["urn"]),
                "name": row.get("name"),
                "constituency": row.get("constituency"),
                "change": kind,
                "before": _describe(row, "_before"),
                "now": _describe(row, ""),
                "effective_date": row.get("effective_date"),
                "set_by": row.get("set_by"),
                "reason": row.get("reason"),
            }
        )
    out = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    order = {k: i for i, k in enumerate(CHANGE_ORDER)}
    return (
        out.assign(_o=out["change"].map(order))
        .sort_values(["_o", "name"])
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def _stage(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _change(row: pd.Series) -> str | None:
    if pd.isna(row.get("version")) or row.get("version") == row.get("version_before"):
        return None
    scheme = SCHEMES.get(str(row["scheme"]))
    if scheme is None:
        return None
    level, stage = str(row["level"]), _stage(row.get("stage"))
    concern_now = scheme.of_concern(level, stage)
    if pd.isna(row.get("version_before")):
        return "new entry" if concern_now else "first recorded (not of concern)"
    old_scheme = SCHEMES.get(str(row["scheme_before"]))
    old_level, old_stage = str(row["level_before"]), _stage(row.get("stage_before"))
    concern_before = old_scheme.of_concern(old_level, old_stage) if old_scheme else False
    if concern_now and not concern_before:
        return "new entry"
    if concern_before and not concern_now:
        return "exit"
    if old_scheme is not scheme:
        return "scheme change"
    up = (scheme.rank(level) or 0) - (scheme.rank(old_level) or 0)
    if up == 0 and stage != old_stage:
        up = int(stage or 0) - int(old_stage or 0)
        if up == 0:
            return None
        return "escalation" if up > 0 else "de-escalation"
    if up == 0:
        return None
    return "escalation" if up > 0 else "de-escalation"


def _describe(row: pd.Series, suffix: str) -> str:
    label = row.get(f"level_label{suffix}")
    if label is None or pd.isna(label):
        return "not recorded"
    stage = row.get(f"stage_label{suffix}")
    return f"{label}, {stage}" if isinstance(stage, str) and stage else str(label)


def reviews_due(table: pd.DataFrame) -> pd.DataFrame:
    """Schools whose next review is overdue or falls within a month."""
    due = table.loc[table["review_status"].astype(str) != ""]
    columns = [
        "urn",
        "name",
        "district",
        "level_label",
        "stage_label",
        "next_review",
        "review_status",
        "last_review_meeting",
    ]
    return due[columns].sort_values("next_review").reset_index(drop=True)


def interventions_due(frame: pd.DataFrame, since: date) -> pd.DataFrame:
    """Planned or active interventions that have reached their two-term review or three-term escalation."""
    columns = [
        "id",
        "urn",
        "name",
        "constituency",
        "type",
        "lead_officer",
        "start_date",
        "status",
        "flag",
        "review_due",
        "escalation_due",
        "reached_since_last_meeting",
        "used_days",
        "planned_days",
        "cost_to_date",
    ]
    flagged = frame.loc[frame["flag"].astype(str) != ""].copy() if not frame.empty else frame
    if flagged.empty:
        return pd.DataFrame(columns=columns)
    reached = [
        e if f == interventions.ESCALATION_DUE else r
        for f, r, e in zip(flagged["flag"], flagged["review_due"], flagged["escalation_due"], strict=True)
    ]
    flagged["reached_since_last_meeting"] = [d > since for d in reached]
    return flagged[columns].reset_index(drop=True)


INSPECTED_COLUMNS = ["urn", "name", "start_date", "kind", "outcome", "category_of_concern", "recorded_level"]


def inspected_since(
    engine: Engine, schools_frame: pd.DataFrame, table: pd.DataFrame, since: date, today: date
) -> pd.DataFrame:
    """Inspections of the LA's schools starting after the last meeting (as far as the store knows)."""
    urns = [int(u) for u in schools_frame["urn"]]
    found = inspections(engine, urns) if urns else pd.DataFrame()
    if found.empty:
        return pd.DataFrame(columns=INSPECTED_COLUMNS)
    starts = pd.to_datetime(found["start_date"])
    found = found.loc[(starts > pd.Timestamp(since)) & (starts <= pd.Timestamp(today))]
    if found.empty:
        return pd.DataFrame(columns=INSPECTED_COLUMNS)
    names = schools_frame.set_index("urn")["name"]
    levels = table.set_index("urn")["level_label"]
    out = pd.DataFrame(
        {
            "urn": found["urn"].astype(int).to_numpy(),
            "name": found["urn"].map(names).to_numpy(),
            "start_date": [pd.Timestamp(d).date() for d in found["start_date"]],
            "kind": ["graded" if g else "ungraded" for g in found["is_graded"]],
            "outcome": [_outcome(r) for _, r in found.iterrows()],
            "category_of_concern": found["category_of_concern"].map(rules.OFSTED_CATEGORY).to_numpy(),
            "recorded_level": found["urn"].map(levels).fillna("not recorded").to_numpy(),
        }
    )
    return out.sort_values("start_date", ascending=False).reset_index(drop=True)


def _outcome(row: pd.Series) -> str:
    if not bool(row["is_graded"]):
        return str(row.get("ungraded_outcome") or "ungraded")
    if row.get("grade_source") == "report card":
        return "report card"
    if pd.isna(row.get("grade")):
        return "no grade recorded"
    text = grade_label(row["grade"], pd.Timestamp(row["start_date"]).date())
    return text + (" (derived)" if row.get("grade_source") == "derived from key judgements" else "")


def high_risk_not_on_register(table: pd.DataFrame) -> pd.DataFrame:
    rows = table.loc[(table["risk_band"] == "high") & ~table["on_register"].astype(bool)]
    columns = ["urn", "name", "district", "ofsted", "risk_band", "level_label", "suggested_label", "evidence"]
    return rows[columns].reset_index(drop=True)


SPEND_COLUMNS = [
    "district",
    "funded_by",
    "interventions",
    "officer_days_used",
    "cost_to_date",
    "planned_cost",
]


def spend_by_district(frame: pd.DataFrame, schools_frame: pd.DataFrame) -> pd.DataFrame:
    """Intervention spend to date (used days x day rate + other costs) by district and who pays."""
    if frame.empty:
        return pd.DataFrame(columns=SPEND_COLUMNS)
    districts = pd.Series(district_of(schools_frame).to_numpy(), index=schools_frame["urn"].to_numpy())
    work = frame.assign(district=frame["urn"].map(districts).fillna("(school not open)"))
    out = (
        work.groupby(["district", "funded_by"])
        .agg(
            interventions=("id", "count"),
            officer_days_used=("used_days", "sum"),
            cost_to_date=("cost_to_date", "sum"),
            planned_cost=("planned_cost", "sum"),
        )
        .reset_index()
    )
    return out.sort_values(["cost_to_date", "district"], ascending=[False, True]).reset_index(drop=True)[
        SPEND_COLUMNS
    ]
