"""The register as a table (recorded level beside the suggested one), disagreements, first-register proposals.

Pure pandas over frames from `entries`, `reviews` and `rules`, plus `register_table(engine, scope)` that
loads them. Each LA is read under its own chosen scheme.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from analytics.districts import district_of
from analytics.grades import grade_label
from analytics.queries import Scope
from analytics.register import entries, reviews, rules, settings
from analytics.register.schemes import SCHEMES, STRAND_TITLES, Scheme

REVIEW_SOON_DAYS = 31
NO_REVIEW_DAYS = 182  # "Intensive but no review for six months"
PROPOSAL_RULES = {
    "Ofsted category of concern",
    "Inadequate",
    "Requires improvement",
    "Stuck below good",
    "Warning notice",
}
TABLE_COLUMNS = [
    "urn",
    "name",
    "la_name",
    "district",
    "phase",
    "ofsted",
    "ofsted_category",
    "risk_band",
    "on_register",
    "scheme",
    "level",
    "level_label",
    "stage",
    "stage_label",
    "strands",
    "reason",
    "effective_date",
    "next_review",
    "last_review_meeting",
    "review_status",
    "set_by",
    "version",
    "suggested_level",
    "suggested_label",
    "suggested_stage",
    "severity",
    "evidence",
    "disagreement",
]


def ofsted_text(row: Mapping[Any, Any]) -> str:
    grade, start = row.get("grade"), row.get("inspection_start")
    if grade is None or pd.isna(grade):
        return "Report card" if row.get("grade_source") == "report card" else "Not inspected"
    when = pd.Timestamp(start).date() if start is not None and pd.notna(start) else None
    text = grade_label(grade, when)
    category = row.get("category_of_concern")
    if isinstance(category, str) and category in rules.OFSTED_CATEGORY:
        text += f", {rules.OFSTED_CATEGORY[category]}"
    if row.get("grade_source") == "derived from key judgements":
        text += " (derived)"
    if bool(row.get("inherited")):
        text += " (inherited)"
    return text + (f" {when:%d/%m/%Y}" if when else "")


def risk_bands(urns: pd.Series, risk: pd.DataFrame | None) -> pd.Series:
    """Each school's early-warning band: 'not scored' when a model exists but has no score for it,
    'no model' when none has been trained."""
    if risk is None:
        return pd.Series("no model", index=urns.index, dtype=object)
    bands = risk.drop_duplicates("urn").set_index("urn")["band"].astype(object)
    return urns.map(bands).astype(object).where(urns.isin(bands.index), "not scored")


def register_table(
    engine: Engine, scope: Scope, today: date | None = None, facts: rules.Facts | None = None
) -> pd.DataFrame:
    """Every open school in scope: recorded entry (if any) beside the suggested level, review status and the
    disagreement between them (TABLE_COLUMNS). Each LA under its own scheme and level names."""
    today = today or date.today()
    facts = facts or rules.load_facts(engine, scope)
    recorded = entries.current(engine, scope)
    evidence = rules.evidence(facts, today)
    las = [la if isinstance(la, str) else None for la in facts.schools["la_name"].unique()]
    schemes = {la: settings.chosen_scheme(engine, la) for la in las}
    names = {la: settings.level_names(engine, la, schemes[la]) for la in las}
    school_scheme = facts.schools["la_name"].map(lambda la: schemes[la if isinstance(la, str) else None])
    parts = []
    for name, schools in facts.schools.groupby(school_scheme, sort=False):
        parts.append(rules.suggest(evidence, schools, SCHEMES[str(name)], recorded, today))
    if not parts:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    suggested = pd.concat(parts, ignore_index=True)
    la_of = facts.schools.set_index("urn")["la_name"]
    suggested["suggested_label"] = [
        names[la if isinstance(la, str) else None].get(level, level)
        for la, level in zip(suggested["urn"].map(la_of), suggested["suggested_level"], strict=True)
    ]
    return assemble(facts.schools, recorded, suggested, reviews.reviews(engine, scope), facts.risk, today)


def with_labels(suggested: pd.DataFrame, level_names: dict[str, str]) -> pd.DataFrame:
    """Add `suggested_label` (one LA's level names) to `rules.suggest` output."""
    return suggested.assign(suggested_label=suggested["suggested_level"].map(level_names))


def assemble(
    schools: pd.DataFrame,
    recorded: pd.DataFrame,
    suggested: pd.DataFrame,
    meetings: pd.DataFrame,
    risk: pd.DataFrame | None,
    today: date,
) -> pd.DataFrame:
    """Join schools, current entries, labelled suggestions (`with_labels`) and review meetings into the
    register table."""
    out = schools[["urn", "name", "la_name", "phase"]].copy()
    out["district"] = district_of(schools).to_numpy()
    out["ofsted"] = [ofsted_text(r) for r in schools.to_dict("records")]
    out["ofsted_category"] = [
        c if isinstance(c, str) and c in rules.OFSTED_CATEGORY else None
        for c in schools["category_of_concern"]
    ]
    out["risk_band"] = risk_bands(out["urn"], risk)
    keep = [
        "urn",
        "scheme",
        "level",
        "level_label",
        "stage",
        "stage_label",
        "strands",
        "reason",
        "effective_date",
        "next_review",
        "set_by",
        "version",
    ]
    out = out.merge(
        recorded[keep] if not recorded.empty else pd.DataFrame(columns=keep), on="urn", how="left"
    )
    out["version"] = out["version"].fillna(0).astype(int)
    out["on_register"] = [
        bool(SCHEMES[s].of_concern(lv, st if isinstance(st, str) else None)) if s in SCHEMES else False
        for s, lv, st in zip(out["scheme"], out["level"], out["stage"], strict=True)
    ]
    last = _last_meetings(meetings)
    out["last_review_meeting"] = out["urn"].map(last["meeting_date"]) if not last.empty else None
    next_meeting = out["urn"].map(last["next_date"]) if not last.empty else pd.Series(None, index=out.index)
    out["next_review"] = [_later(a, b) for a, b in zip(out["next_review"], next_meeting, strict=True)]
    out["review_status"] = [_review_status(d, today) for d in out["next_review"]]
    columns = ["urn", "suggested_level", "suggested_label", "suggested_stage", "severity", "evidence"]
    out = out.merge(suggested[columns], on="urn", how="left")
    out["disagreement"] = [_disagreement(row, today) for row in out.to_dict("records")]
    return out[TABLE_COLUMNS]


def _last_meetings(meetings: pd.DataFrame) -> pd.DataFrame:
    if meetings.empty:
        return pd.DataFrame(columns=["meeting_date", "next_date"])
    latest = meetings.sort_values(["urn", "meeting_date"]).drop_duplicates("urn", keep="last")
    return latest.set_index("urn")[["meeting_date", "next_date"]]


def _later(a: Any, b: Any) -> date | None:
    days = [pd.Timestamp(v).date() for v in (a, b) if v is not None and not pd.isna(v)]
    return max(days) if days else None


def _review_status(next_review: date | None, today: date) -> str:
    if next_review is None:
        return ""
    if next_review < today:
        return f"overdue by {(today - next_review).days} days"
    return "due within a month" if next_review <= today + timedelta(days=REVIEW_SOON_DAYS) else ""


def _disagreement(row: Mapping[Any, Any], today: date) -> str:
    """Where the recorded level and the data disagree, or the process has slipped (in words; '' if none)."""
    notes: list[str] = []
    scheme = SCHEMES.get(str(row["scheme"])) if isinstance(row["scheme"], str) else None
    suggested, evidence = row["suggested_level"], row["severity"]
    if scheme is None:
        if evidence in ("serious", "concern"):
            notes.append(f"not on the register, but the data suggest {row['suggested_label']}")
        return "; ".join(notes)
    level = str(row["level"])
    stage = row["stage"] if isinstance(row["stage"], str) else None
    gap = rules.rank_gap(scheme, level, suggested) if str(row["scheme"]) == scheme.name else None
    high_risk = row["risk_band"] == "high"
    if high_risk and level == scheme.lowest:
        notes.append(f"high risk but {row['level_label']}")
    elif gap is not None and gap < 0:
        notes.append(f"recorded {row['level_label']}; the data suggest {row['suggested_label']}")
    elif gap is not None and gap > 0:
        notes.append(
            f"recorded {row['level_label']}; the data alone suggest {row['suggested_label']}: "
            "check the reason still holds"
        )
    if scheme.most_concern(level, stage):
        last = row["last_review_meeting"]
        since = pd.Timestamp(last).date() if last is not None and not pd.isna(last) else None
        if since is None or (today - since).days > NO_REVIEW_DAYS:
            notes.append(
                f"{row['level_label']} but no review meeting for six months"
                + ("" if since else " (none recorded)")
            )
    held = scheme.ofsted_category_level
    category = row["ofsted_category"] in ("SWK", "SM")
    if held is not None and category and level != held:
        notes.append(f"in an Ofsted category but recorded {row['level_label']}")
    if held is not None and level == held and not category:
        notes.append(f"recorded {row['level_label']} but Ofsted lists no category now")
    if str(row["review_status"]).startswith("overdue"):
        notes.append(f"review {row['review_status']}")
    return "; ".join(notes)


def disagreements(table: pd.DataFrame) -> pd.DataFrame:
    return table.loc[table["disagreement"].astype(str) != ""].reset_index(drop=True)


PROPOSAL_COLUMNS = [
    "urn",
    "name",
    "district",
    "ofsted",
    "risk_band",
    "scheme",
    "proposed_level",
    "proposed_label",
    "proposed_stage",
    "strands",
    "reason",
]


def first_register_proposals(
    engine: Engine, la_name: str, today: date | None = None, facts: rules.Facts | None = None
) -> pd.DataFrame:
    """Proposed entries for the LA's schools with no entry yet: those in an Ofsted category, inadequate, RI,
    stuck, with a warning notice, or at high early-warning risk (PROPOSAL_COLUMNS), most concern first."""
    today = today or date.today()
    scope = Scope.la(la_name)
    facts = facts or rules.load_facts(engine, scope)
    recorded = entries.current(engine, scope)
    scheme = SCHEMES[settings.chosen_scheme(engine, la_name)]
    return proposals(facts, recorded, scheme, settings.level_names(engine, la_name, scheme.name), today)


def proposals(
    facts: rules.Facts, recorded: pd.DataFrame, scheme: Scheme, level_names: dict[str, str], today: date
) -> pd.DataFrame:
    """Pure part of `first_register_proposals`."""
    evidence = rules.evidence(facts, today)
    counted = evidence.loc[evidence["counted"].astype(bool)] if not evidence.empty else evidence
    chosen = set(counted.loc[counted["rule"].isin(PROPOSAL_RULES), "urn"]) if not counted.empty else set()
    if facts.risk is not None:
        chosen |= set(facts.risk.loc[facts.risk["band"] == "high", "urn"].astype(int))
    done = set(recorded["urn"].astype(int)) if not recorded.empty else set()
    schools = facts.schools.loc[facts.schools["urn"].isin(chosen - done)]
    if schools.empty:
        return pd.DataFrame(columns=PROPOSAL_COLUMNS)
    suggested = rules.suggest(evidence, schools, scheme, None, today).set_index("urn")
    out = schools[["urn", "name"]].copy()
    out["district"] = district_of(schools).to_numpy()
    out["ofsted"] = [ofsted_text(r) for r in schools.to_dict("records")]
    out["risk_band"] = risk_bands(out["urn"], facts.risk)
    out["scheme"] = scheme.name
    out["proposed_level"] = out["urn"].map(suggested["suggested_level"])
    out["proposed_label"] = out["proposed_level"].map(level_names)
    out["proposed_stage"] = out["urn"].map(suggested["suggested_stage"])
    out["strands"] = out["urn"].map(suggested["strands"]).map(lambda keys: [STRAND_TITLES[k] for k in keys])
    texts = counted.groupby("urn")["text"].agg("; ".join) if not counted.empty else pd.Series(dtype=str)
    out["reason"] = "Proposed from public data: " + out["urn"].map(texts).fillna("")
    rank = out["proposed_level"].map({c: i for i, c in enumerate(scheme.codes)})
    out = out.assign(_rank=rank).sort_values(["_rank", "name"], ascending=[False, True])
    return out[PROPOSAL_COLUMNS].reset_index(drop=True)
