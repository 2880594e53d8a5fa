"""Suggested level for every school from rules over the data, with the evidence behind it.

Evidence items (one row each) come from the Ofsted grade and category, stuck below good, decline, KS2/KS4
attainment and progress, absence against England, a falling roll, an in-year deficit, Ofsted's count of
warning notices and the early-warning risk band. Each has a strand and a severity:

- serious: Intensive / Category 3-4 / stage 3 territory;
- concern: Targeted / Category 2 / stages 1-2;
- watch: shown, raises nothing by itself (e.g. Outstanding -> Good, elevated risk).

Figures from a DfE release older than MAX_EVIDENCE_AGE academic years are shown but not counted (a 2018
result must not categorise a school today). `RULES` lists every rule in words; pages and the CLI show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from analytics import lineage
from analytics import school_profile as sp
from analytics.grades import REPORT_CARD, grade_label, report_card_adverse
from analytics.queries import (
    CONTEXT,
    SCHOOLS,
    Scope,
    context_values,
    inspections_by_number,
    rows_frame,
    school_headlines,
)
from analytics.queries import school_links as load_links
from analytics.register.schemes import CATEGORIES, STAGES, SUPPORT_LEVELS, Scheme
from analytics.school_calendar import academic_year_end_year
from analytics.schools import roll_changes

SERIOUS, CONCERN, WATCH = 3, 2, 1
SEVERITY_NAMES = {SERIOUS: "serious", CONCERN: "concern", WATCH: "watch"}
MAX_EVIDENCE_AGE = 3
MANY_SCHOOLS = 5000
OFSTED_CATEGORY = {"SWK": "serious weaknesses", "SM": "special measures", "NTI": "notice to improve"}

KS2_FLOOR_RWM, KS2_COASTING_RWM = 65.0, 85.0
KS2_FLOOR_PROGRESS = {"ks2_reading_progress": -5.0, "ks2_writing_progress": -7.0, "ks2_maths_progress": -5.0}
KS2_COASTING_PROGRESS = {
    "ks2_reading_progress": -2.5,
    "ks2_writing_progress": -3.5,
    "ks2_maths_progress": -2.5,
}
KS2_BELOW_NATIONAL = 10.0
KS4_FLOOR_P8, KS4_COASTING_P8 = -0.5, -0.25
ABSENCE_CONCERN, ABSENCE_SERIOUS = 1.0, 3.0
CONTEXT_MEASURES = [
    "ks2_rwm_expected",
    *KS2_FLOOR_PROGRESS,
    "ks4_progress8",
    "pct_absence",
    "pupils",
    "income",
    "expenditure",
]
NATIONAL_MEASURES = ["ks2_rwm_expected", "pct_absence"]

RULES: tuple[tuple[str, str, str], ...] = (
    (
        "Ofsted category of concern",
        "serious",
        "latest graded inspection: serious weaknesses or special measures",
    ),
    ("Inadequate", "serious", "latest headline grade 4 without a category"),
    ("Stuck below good", "serious", "grade 3 or 4 now and at the previous graded inspection"),
    ("Requires improvement", "concern", "latest headline grade 3 (strands: teaching, leadership)"),
    ("Declined", "concern / watch", "worse than the previous graded inspection (watch while still good)"),
    (
        "Report card adverse",
        "concern",
        "needs attention/urgent improvement in leadership, any urgent "
        "improvement, or safeguarding not met (derived, labelled)",
    ),
    ("Warning notice", "serious", "Ofsted's file records a warning notice issued in 2024/25"),
    (
        "KS2 below the floor",
        "serious",
        f"RWM expected < {KS2_FLOOR_RWM:g}% and a progress score below "
        "-5 reading / -7 writing / -5 maths (latest year)",
    ),
    (
        "KS2 coasting",
        "concern",
        f"three consecutive years with RWM expected < {KS2_COASTING_RWM:g}% and a "
        "progress score below -2.5 reading / -3.5 writing / -2.5 maths",
    ),
    (
        "KS2 attainment below England",
        "concern",
        f"RWM expected at least {KS2_BELOW_NATIONAL:g} points below the "
        "England mean per school (latest year)",
    ),
    ("KS4 below the floor", "serious", f"Progress 8 below {KS4_FLOOR_P8:g} (latest year)"),
    ("KS4 coasting", "concern", f"Progress 8 below {KS4_COASTING_P8:g} in three consecutive years"),
    (
        "Absence",
        "concern / serious",
        f"overall absence at least {ABSENCE_CONCERN:g} / {ABSENCE_SERIOUS:g} points "
        "above the England mean per school of the same phase (latest year)",
    ),
    ("Falling roll", "concern", "pupils on roll down more than 10% over three years (school page rule)"),
    ("In-year deficit", "concern", "expenditure above income in the latest year with finance figures"),
    (
        "Early-warning risk",
        "concern / serious / watch",
        "high band (riskiest 10% of England): concern, serious if already graded 3-4; elevated band: watch",
    ),
    (
        "Dated evidence",
        "not counted",
        f"DfE figures more than {MAX_EVIDENCE_AGE} academic years old are shown but not counted",
    ),
)
SCHEME_RULES = {
    SUPPORT_LEVELS.name: "Intensive if any serious evidence; Targeted if any concern; else Universal.",
    CATEGORIES.name: "4b with an Ofsted category; 4a with a warning notice; 3 with serious evidence or after "
    "12 "
    "months recorded in category 2 with concerns remaining; 2 with concerns in two or more of "
    "strands 1-4; else 1.",
    STAGES.name: "Category 4 with an Ofsted category, 3 with serious evidence, 2 with a concern, else 1. "
    "Stage 3 "
    "for category 3-4; stage 2 for category 2 with concerns in two or more strands; stage 1 for "
    "other concerns or watch evidence.",
}
EVIDENCE_COLUMNS = ["urn", "rule", "strands", "severity", "text", "counted"]


@dataclass(frozen=True)
class Facts:
    """What the rules read: one row per open school in scope, DfE context (by current URN), England means."""

    schools: pd.DataFrame
    context: pd.DataFrame
    national: pd.DataFrame
    risk: pd.DataFrame | None


def risk_scores(
    engine: Engine, urns: list[int] | None = None, *, model_id: int | None = None
) -> pd.DataFrame | None:
    """The early-warning scores (urn, risk, band) of the newest stored model (or of `model_id`), of every
    school or of `urns` only; None without a model. The one place they are read."""
    from analytics.risk.store import latest_id, scores_of

    model = latest_id(engine) if model_id is None else model_id
    if model is None:
        return None
    scores = scores_of(engine, model, urns)
    if scores.empty and urns is not None:
        scores = scores_of(engine, model)  # none of these scored: None only when no school is scored
    if scores.empty:
        return None
    return scores[["urn", "risk", "band"]].astype({"urn": "int64"})


def load_facts(engine: Engine, scope: Scope, *, with_risk: bool = True) -> Facts:
    """Everything the rules read for the open schools in scope (`with_risk=False`: leave the scores out, e.g.
    to cache the rest per data version and add fresh scores with `dataclasses.replace`)."""
    heads = school_headlines(engine, scope)
    heads = _with_report_card_flags(engine, heads)
    urns = [int(u) for u in heads["urn"]]
    many = len(urns) > MANY_SCHOOLS  # read whole tables rather than send tens of thousands of parameters
    current = lineage.current_urn_map(load_links(engine) if many else lineage_links(engine, urns))
    predecessors = [int(u) for u in current.loc[current.isin(urns)].index]
    raw = context_values(engine, None if many else urns + predecessors, CONTEXT_MEASURES)
    ctx = current_context(raw, current)
    ctx = ctx.loc[ctx["urn"].isin(urns)].reset_index(drop=True) if many else ctx
    risk = risk_scores(engine, None if many else urns) if with_risk else None
    return Facts(heads, ctx, national_means(engine), risk)


def lineage_links(engine: Engine, urns: list[int], generations: int = 6) -> pd.DataFrame:
    """The GIAS links of these schools and of their predecessors (walked back a few generations)."""
    seen, frontier, parts = set(urns), list(urns), []
    for _ in range(generations):
        if not frontier:
            break
        found = load_links(engine, frontier)
        parts.append(found)
        frontier = sorted(set(found["link_urn"].astype("int64")) - seen)
        seen |= set(frontier)
    links = pd.concat(parts, ignore_index=True) if parts else load_links(engine, [])
    return links.drop_duplicates(["urn", "link_urn", "link_type"])


def _with_report_card_flags(engine: Engine, heads: pd.DataFrame) -> pd.DataFrame:
    out = heads.copy()
    out["report_card_adverse"] = None
    cards = out.loc[out["grade_source"] == REPORT_CARD, "latest_graded_number"].dropna()
    if not cards.empty:
        rows = inspections_by_number(engine, [str(n) for n in cards]).set_index("inspection_number")
        flags = {n: report_card_adverse(rows.loc[n]) for n in rows.index}
        out["report_card_adverse"] = out["latest_graded_number"].map(flags)
    return out


def current_context(raw: pd.DataFrame, current: pd.Series) -> pd.DataFrame:
    """Context rows keyed by today's URN: a predecessor's figures fill years its successor lacks."""
    if raw.empty:
        return pd.DataFrame(columns=["urn", "year", "measure", "value", "own"])
    ctx = raw.loc[raw["value"].notna(), ["urn", "year", "measure", "value"]].copy()
    ctx["urn"] = ctx["urn"].astype("int64")
    mapped = ctx["urn"].map(current)
    ctx["own"] = mapped.isna()
    ctx["urn"] = mapped.fillna(ctx["urn"]).astype("int64")
    ctx = ctx.sort_values(["urn", "measure", "year", "own"]).drop_duplicates(
        ["urn", "measure", "year"], keep="last"
    )
    return ctx.reset_index(drop=True)


def national_means(engine: Engine) -> pd.DataFrame:
    """England mean per school by phase, year and measure (every school in the store, closed ones too)."""
    query = (
        select(
            SCHOOLS.c.phase,
            CONTEXT.c.year,
            CONTEXT.c.measure,
            func.avg(CONTEXT.c.value).label("mean"),
            func.count().label("schools"),
        )
        .select_from(CONTEXT.join(SCHOOLS, SCHOOLS.c.urn == CONTEXT.c.urn))
        .where(CONTEXT.c.measure.in_(NATIONAL_MEASURES), CONTEXT.c.value.is_not(None))
        .group_by(SCHOOLS.c.phase, CONTEXT.c.year, CONTEXT.c.measure)
    )
    with engine.connect() as connection:
        result = connection.execute(query)
        frame = rows_frame(result.all(), list(result.keys()))
    if frame.empty:
        return pd.DataFrame(columns=["phase", "year", "measure", "mean", "schools"])
    frame["mean"] = frame["mean"].astype("float64")
    return frame


# -------------------------------------------------------------------------------------------------- evidence


def evidence(facts: Facts, today: date | None = None, max_age: int = MAX_EVIDENCE_AGE) -> pd.DataFrame:
    """Every evidence item for the schools in `facts` (columns EVIDENCE_COLUMNS)."""
    today = today or date.today()
    oldest = academic_year_end_year(today) - max_age
    parts = [
        _ofsted_evidence(facts.schools),
        _context_evidence(facts, oldest),
        _risk_evidence(facts.schools, facts.risk),
    ]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["urn"] = out["urn"].astype("int64")
    return out.sort_values(["urn", "severity"], ascending=[True, False], kind="stable").reset_index(drop=True)


def _item(
    urn: int, rule: str, strands: tuple[str, ...], severity: int, text: str, counted: bool = True
) -> dict:
    return {
        "urn": int(urn),
        "rule": rule,
        "strands": strands,
        "severity": severity,
        "text": text,
        "counted": counted,
    }


def _when(row: Mapping[Any, Any], prefix: str = "inspection") -> str:
    start = row.get("inspection_start" if prefix == "inspection" else "previous_start")
    if start is None or pd.isna(start):
        return ""
    marks = [f"{pd.Timestamp(start):%d/%m/%Y}"]
    if prefix == "inspection" and row.get("grade_source") == "derived from key judgements":
        marks.append("derived")
    if prefix == "inspection" and bool(row.get("inherited")):
        marks.append("inherited from a predecessor")
    return " (" + ", ".join(marks) + ")"


def _ofsted_evidence(schools: pd.DataFrame) -> pd.DataFrame:
    items = []
    for row in schools.to_dict("records"):
        urn, grade, previous = row["urn"], row.get("grade"), row.get("previous_grade")
        category = row.get("category_of_concern")
        start = row.get("inspection_start")
        label = (
            grade_label(grade, pd.Timestamp(start).date() if pd.notna(start) else None)
            if pd.notna(grade)
            else None
        )
        if isinstance(category, str) and category in OFSTED_CATEGORY:
            items.append(
                _item(
                    urn,
                    "Ofsted category of concern",
                    ("leadership",),
                    SERIOUS,
                    f"Ofsted: {label or 'Inadequate'}, {OFSTED_CATEGORY[category]}{_when(row)}",
                )
            )
        elif pd.notna(grade) and grade == 4:
            items.append(
                _item(urn, "Inadequate", ("leadership",), SERIOUS, f"Ofsted: Inadequate{_when(row)}")
            )
        if pd.notna(grade) and grade == 3:
            items.append(
                _item(
                    urn,
                    "Requires improvement",
                    ("teaching", "leadership"),
                    CONCERN,
                    f"Ofsted: {label}{_when(row)}",
                )
            )
        if pd.notna(grade) and pd.notna(previous) and grade >= 3 and previous >= 3:
            items.append(
                _item(
                    urn,
                    "Stuck below good",
                    ("leadership",),
                    SERIOUS,
                    f"Stuck below good: {grade_label(previous)} at the previous graded inspection"
                    f"{_when(row, 'previous')} and {label} now",
                )
            )
        elif pd.notna(grade) and pd.notna(previous) and grade > previous:
            items.append(
                _item(
                    urn,
                    "Declined",
                    ("leadership",),
                    WATCH if grade <= 2 else CONCERN,
                    f"Declined from {grade_label(previous)} to {label}{_when(row)}",
                )
            )
        if row.get("report_card_adverse") is True:
            items.append(
                _item(
                    urn,
                    "Report card adverse",
                    ("leadership",),
                    CONCERN,
                    f"Report card adverse flag (derived from the area grades){_when(row)}",
                )
            )
        notices = row.get("warning_notices_2024_25")
        if notices is not None and pd.notna(notices) and notices > 0:
            items.append(
                _item(
                    urn,
                    "Warning notice",
                    ("leadership",),
                    SERIOUS,
                    f"Ofsted's file records {int(notices)} warning notice(s) issued in 2024/25",
                )
            )
    return pd.DataFrame(items, columns=EVIDENCE_COLUMNS)


def _wide(context: pd.DataFrame, measures: list[str]) -> pd.DataFrame:
    rows = context.loc[context["measure"].isin(measures)]
    if rows.empty:
        return pd.DataFrame(columns=["urn", "year", *measures])
    wide = rows.pivot_table(index=["urn", "year"], columns="measure", values="value", aggfunc="first")
    return wide.reindex(columns=measures).reset_index().sort_values(["urn", "year"])


def _dated(year: int, oldest: int) -> str:
    return (
        ""
        if year >= oldest
        else f" [{year - 1}/{str(year)[-2:]} figures: more than {MAX_EVIDENCE_AGE} years old, not counted]"
    )


def _context_evidence(facts: Facts, oldest: int) -> pd.DataFrame:
    items: list[dict] = []
    context, schools = facts.context, facts.schools
    if context.empty:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    items += _ks2_evidence(context, facts.national, oldest)
    items += _ks4_evidence(context, oldest)
    items += _absence_evidence(context, schools, facts.national, oldest)
    items += _roll_and_finance_evidence(context, oldest)
    return pd.DataFrame(items, columns=EVIDENCE_COLUMNS)


def _last_three(wide: pd.DataFrame) -> pd.DataFrame:
    """Each school's three latest rows, with `span` (years covered) and `n` (rows) per school."""
    tail = wide.groupby("urn", sort=False).tail(3)
    grouped = tail.groupby("urn")["year"]
    return tail.assign(span=tail["urn"].map(grouped.max() - grouped.min()), n=tail["urn"].map(grouped.size()))


def _ks2_evidence(context: pd.DataFrame, national: pd.DataFrame, oldest: int) -> list[dict]:
    wide = _wide(context, ["ks2_rwm_expected", *KS2_FLOOR_PROGRESS]).dropna(subset=["ks2_rwm_expected"])
    if wide.empty:
        return []
    items: list[dict] = []
    england = national.loc[national["measure"] == "ks2_rwm_expected"]
    england = (
        england.assign(total=england["mean"] * england["schools"]).groupby("year")[["total", "schools"]].sum()
    )
    england_mean = england["total"] / england["schools"]
    last = wide.groupby("urn", sort=False).tail(1)
    floor_low = pd.concat({m: last[m] < limit for m, limit in KS2_FLOOR_PROGRESS.items()}, axis=1)
    floor = last.loc[(last["ks2_rwm_expected"] < KS2_FLOOR_RWM) & floor_low.any(axis=1)]
    for row in floor.to_dict("records"):
        year = int(row["year"])
        low = [m for m, limit in KS2_FLOOR_PROGRESS.items() if pd.notna(row[m]) and row[m] < limit]
        items.append(
            _item(
                row["urn"],
                "KS2 below the floor",
                ("achievement",),
                SERIOUS,
                f"KS2 {year}: {row['ks2_rwm_expected']:.0f}% met the expected standard in RWM (floor "
                f"{KS2_FLOOR_RWM:g}%) and {_progress_text(row, low)}{_dated(year, oldest)}",
                year >= oldest,
            )
        )
    recent = _last_three(wide)
    low_progress = pd.concat({m: recent[m] < lim for m, lim in KS2_COASTING_PROGRESS.items()}, axis=1).any(
        axis=1
    )
    recent = recent.assign(coasting=(recent["ks2_rwm_expected"] < KS2_COASTING_RWM) & low_progress)
    every = recent.groupby("urn")["coasting"].all()
    spans = recent.drop_duplicates("urn", keep="last").set_index("urn")
    for urn in every.index[every & (spans["n"] == 3) & (spans["span"] == 2)]:
        year = int(spans.loc[urn, "year"])
        items.append(
            _item(
                urn,
                "KS2 coasting",
                ("achievement",),
                CONCERN,
                f"KS2 coasting {year - 2}-{year}: RWM expected below {KS2_COASTING_RWM:g}% with low "
                f"progress in each year{_dated(year, oldest)}",
                year >= oldest,
            )
        )
    mean = last["year"].map(england_mean)
    below = last.assign(england=mean)
    below = below.loc[mean.notna() & (last["ks2_rwm_expected"] <= mean - KS2_BELOW_NATIONAL)]
    for row in below.to_dict("records"):
        year = int(row["year"])
        items.append(
            _item(
                row["urn"],
                "KS2 attainment below England",
                ("achievement",),
                CONCERN,
                f"KS2 {year}: RWM expected {row['ks2_rwm_expected']:.0f}% against an England mean per "
                f"school of {row['england']:.0f}%{_dated(year, oldest)}",
                year >= oldest,
            )
        )
    return items


def _progress_text(row: Mapping[Any, Any], measures: list[str]) -> str:
    names = {
        "ks2_reading_progress": "reading",
        "ks2_writing_progress": "writing",
        "ks2_maths_progress": "maths",
    }
    return "progress " + ", ".join(f"{names[m]} {row[m]:+.1f}" for m in measures)


def _ks4_evidence(context: pd.DataFrame, oldest: int) -> list[dict]:
    p8 = context.loc[context["measure"] == "ks4_progress8"].sort_values(["urn", "year"])
    if p8.empty:
        return []
    items: list[dict] = []
    last = p8.groupby("urn", sort=False).tail(1)
    for row in last.loc[last["value"] < KS4_FLOOR_P8].to_dict("records"):
        year = int(row["year"])
        items.append(
            _item(
                row["urn"],
                "KS4 below the floor",
                ("achievement",),
                SERIOUS,
                f"KS4 {year}: Progress 8 {row['value']:+.2f} (floor {KS4_FLOOR_P8:g}){_dated(year, oldest)}",
                year >= oldest,
            )
        )
    recent = _last_three(p8)
    every = recent.assign(low=recent["value"] < KS4_COASTING_P8).groupby("urn")["low"].all()
    spans = recent.drop_duplicates("urn", keep="last").set_index("urn")
    for urn in every.index[every & (spans["n"] == 3) & (spans["span"] == 2)]:
        year = int(spans.loc[urn, "year"])
        values = ", ".join(f"{v:+.2f}" for v in recent.loc[recent["urn"] == urn, "value"])
        items.append(
            _item(
                urn,
                "KS4 coasting",
                ("achievement",),
                CONCERN,
                f"KS4 coasting {year - 2}-{year}: Progress 8 {values} (below {KS4_COASTING_P8:g} each "
                f"year){_dated(year, oldest)}",
                year >= oldest,
            )
        )
    return items


def _absence_evidence(
    context: pd.DataFrame, schools: pd.DataFrame, national: pd.DataFrame, oldest: int
) -> list[dict]:
    absence = context.loc[context["measure"] == "pct_absence"].sort_values(["urn", "year"])
    latest = absence.drop_duplicates("urn", keep="last")
    phases = schools.set_index("urn")["phase"]
    means = national.loc[national["measure"] == "pct_absence"].set_index(["phase", "year"])["mean"]
    latest = latest.assign(phase=latest["urn"].map(phases))
    latest["mean"] = means.reindex(pd.MultiIndex.from_frame(latest[["phase", "year"]])).to_numpy()
    latest["gap"] = latest["value"] - latest["mean"]
    items: list[dict] = []
    for row in latest.loc[latest["gap"] >= ABSENCE_CONCERN].to_dict("records"):
        year = int(row["year"])
        severity = SERIOUS if row["gap"] >= ABSENCE_SERIOUS else CONCERN
        items.append(
            _item(
                row["urn"],
                "Absence",
                ("behaviour",),
                severity,
                f"Absence {year}: {row['value']:.1f}% against {row['mean']:.1f}% for {row['phase']} schools "
                f"in England ({row['gap']:+.1f} points){_dated(year, oldest)}",
                year >= oldest,
            )
        )
    return items


def _roll_and_finance_evidence(context: pd.DataFrame, oldest: int) -> list[dict]:
    """Falling roll (`schools.roll_changes`, the one rule); deficit (`school_profile.with_in_year_balance`).
    Vectorised over schools: only the schools with an item are visited one by one."""
    items: list[dict] = []
    rolls = roll_changes(context.loc[context["measure"] == "pupils"])
    for urn, text, year in rolls.loc[rolls["falling"], ["urn", "text", "to_year"]].itertuples(index=False):
        items.append(
            _item(
                urn,
                "Falling roll",
                ("organisation",),
                CONCERN,
                text + _dated(int(year), oldest),
                int(year) >= oldest,
            )
        )
    balance = sp.with_in_year_balance(context.loc[context["measure"].isin(["income", "expenditure"])])
    balance = balance.loc[balance["measure"] == sp.IN_YEAR_BALANCE].sort_values(["urn", "year"])
    if balance.empty:
        return items
    last = balance.groupby("urn", sort=False).tail(1)
    last = last.loc[last["value"] < 0]
    deficits = _deficit_years(balance.loc[balance["urn"].isin(last["urn"]) & (balance["value"] < 0)])
    for urn, year, value in last[["urn", "year", "value"]].itertuples(index=False):
        items.append(
            _item(
                urn,
                "In-year deficit",
                ("leadership",),
                CONCERN,
                f"In-year deficit of GBP {-value:,.0f} in {int(year)} (deficit years: "
                f"{deficits[urn]}){_dated(int(year), oldest)}",
                int(year) >= oldest,
            )
        )
    return items


def _deficit_years(deficits: pd.DataFrame) -> dict[int, str]:
    """Each school's deficit years as '2021, 2023' (`deficits`: urn, year rows sorted by urn and year)."""
    years: dict[int, list[str]] = {}
    for urn, year in zip(deficits["urn"], deficits["year"], strict=True):
        years.setdefault(int(urn), []).append(str(int(year)))
    return {urn: ", ".join(found) for urn, found in years.items()}


def _risk_evidence(schools: pd.DataFrame, risk: pd.DataFrame | None) -> pd.DataFrame:
    if risk is None or risk.empty:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    joined = schools[["urn", "grade"]].merge(risk, on="urn", how="inner")
    items = []
    for row in joined.loc[joined["band"].isin(["high", "elevated"])].to_dict("records"):
        text = (
            f"Early-warning risk: {row['band']} ({row['risk']:.0%} chance the next graded inspection is RI "
            "or worse)"
        )
        if row["band"] == "high":
            serious = pd.notna(row["grade"]) and row["grade"] >= 3
            items.append(
                _item(
                    row["urn"],
                    "Early-warning risk",
                    ("leadership",),
                    SERIOUS if serious else CONCERN,
                    text + (": at risk of Inadequate" if serious else ": at risk of RI"),
                )
            )
        elif row["band"] == "elevated":
            items.append(_item(row["urn"], "Early-warning risk", ("leadership",), WATCH, text))
    return pd.DataFrame(items, columns=EVIDENCE_COLUMNS)


# ----------------------------------------------------------------------------------------- suggested levels

SUGGESTION_COLUMNS = [
    "urn",
    "scheme",
    "suggested_level",
    "suggested_stage",
    "severity",
    "strands",
    "evidence",
    "evidence_items",
]
CORE_STRANDS = ("achievement", "behaviour", "teaching", "leadership")


def suggest(
    evidence_items: pd.DataFrame,
    schools: pd.DataFrame,
    scheme: Scheme,
    recorded: pd.DataFrame | None = None,
    today: date | None = None,
) -> pd.DataFrame:
    """One row per school in `schools`: the level (and stage) the rules suggest under `scheme`, with evidence.

    `recorded` (current entries: urn, scheme, level, effective_date) feeds the Categories rule "in category 2
    for twelve months without the expected progress". Vectorised (all of England at once is quick).
    """
    today = today or date.today()
    urns = schools["urn"].astype("int64").reset_index(drop=True)
    items = (
        evidence_items.loc[evidence_items["urn"].isin(urns)] if not evidence_items.empty else evidence_items
    )
    counted = items.loc[items["counted"].astype(bool)] if not items.empty else items
    severity = _per_school(urns, counted.groupby("urn")["severity"].max() if not counted.empty else None, 0)
    exploded = counted[["urn", "severity", "strands"]].explode("strands") if not counted.empty else None
    strands = _per_school(
        urns,
        exploded.groupby("urn")["strands"].agg(lambda s: sorted(set(s))) if exploded is not None else None,
        None,
    ).map(lambda v: v if isinstance(v, list) else [])
    core = (
        exploded.loc[(exploded["severity"] >= CONCERN) & exploded["strands"].isin(CORE_STRANDS)]
        if exploded is not None
        else None
    )
    concern_strands = _per_school(
        urns, core.groupby("urn")["strands"].nunique() if core is not None else None, 0
    )
    flags = {
        rule: urns.isin(counted.loc[counted["rule"] == rule, "urn"]) if not counted.empty else urns.isin([])
        for rule in ("Ofsted category of concern", "Warning notice")
    }
    long_in_two = urns.isin(list(_long_in_category_two(recorded, today)))
    level, stage = _levels(
        scheme, severity.to_numpy(), flags, concern_strands.to_numpy(), long_in_two.to_numpy()
    )
    texts = items.groupby("urn")["text"].agg("; ".join) if not items.empty else None
    return pd.DataFrame(
        {
            "urn": urns,
            "scheme": scheme.name,
            "suggested_level": level,
            "suggested_stage": stage,
            "severity": severity.map(SEVERITY_NAMES).fillna("none"),
            "strands": strands,
            "evidence": _per_school(urns, texts, ""),
            "evidence_items": _per_school(urns, items.groupby("urn").size() if not items.empty else None, 0),
        },
        columns=SUGGESTION_COLUMNS,
    )


def _per_school(urns: pd.Series, values: pd.Series | None, default: object) -> pd.Series:
    """`values` (indexed by URN) aligned to `urns`, `default` where a school has none."""
    if values is None or values.empty:
        return pd.Series([default] * len(urns), index=urns.index, dtype=object if default is None else None)
    aligned = urns.map(values)
    return aligned.where(aligned.notna(), default) if default is not None else aligned


def _long_in_category_two(recorded: pd.DataFrame | None, today: date) -> set[int]:
    if recorded is None or recorded.empty:
        return set()
    two = recorded.loc[(recorded["scheme"] == CATEGORIES.name) & (recorded["level"] == "2")]
    since = pd.to_datetime(two["effective_date"])
    return {int(u) for u in two.loc[since <= pd.Timestamp(today) - pd.DateOffset(months=12), "urn"]}


def _levels(
    scheme: Scheme,
    severity: np.ndarray,
    flags: dict[str, pd.Series],
    concern_strands: np.ndarray,
    long_in_two: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Suggested level and stage per school from its worst counted severity and flags (SCHEME_RULES)."""
    severity = severity.astype(int)
    strands = concern_strands.astype(int)
    in_category = flags["Ofsted category of concern"].to_numpy()
    warning = flags["Warning notice"].to_numpy()
    serious, concern, watch = severity >= SERIOUS, severity >= CONCERN, severity >= WATCH
    no_stage = np.full(len(severity), None, dtype=object)
    if scheme.name == CATEGORIES.name:
        level = np.select(
            [in_category, warning, serious | (long_in_two & concern), strands >= 2],
            ["4b", "4a", "3", "2"],
            "1",
        )
        return level.astype(object), no_stage
    if scheme.name == STAGES.name:
        level = np.select([in_category, serious, concern], ["4", "3", "2"], "1")
        stage = np.select(
            [in_category | serious, concern & (strands >= 2), concern | watch], ["3", "2", "1"], ""
        ).astype(object)
        stage[stage == ""] = None
        return level.astype(object), stage
    codes = scheme.codes  # Support levels and any three-level scheme: least, middle, most concern
    return np.select([serious, concern], [codes[-1], codes[1]], codes[0]).astype(object), no_stage


def rank_gap(scheme: Scheme, recorded: str | None, suggested: str | None) -> int | None:
    a, b = scheme.rank(recorded), scheme.rank(suggested)
    return None if a is None or b is None else a - b


def severity_order(values: pd.Series) -> pd.Series:
    order = {"serious": 3, "concern": 2, "watch": 1, "none": 0}
    return values.map(order).fillna(0).astype(int)
