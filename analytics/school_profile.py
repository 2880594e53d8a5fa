"""Per-school profile: identity, lineage, inspection timeline, context trends against LA and England, due.

Pure pandas over frames from `analytics.queries`; the page (views/school.py) only loads and draws.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from analytics import lineage
from analytics.due_dates import InspectionDue, from_row
from analytics.grades import (
    DERIVED,
    REPORT_CARD,
    REPORT_CARD_TITLES,
    category_name,
    grade_label,
    report_card_adverse,
)
from analytics.headline import headline_of, source_label
from analytics.measures import MEASURES
from analytics.schools import RollChange, roll_change

# ----------------------------------------------------------------------------------------------------
# Search
# ----------------------------------------------------------------------------------------------------

SEARCH_COLUMNS = ["urn", "name", "postcode", "la_name", "phase", "is_open"]


def search_index(schools: pd.DataFrame) -> pd.DataFrame:
    """Schools with a lowercase search key of URN, LAESTAB, name and postcode (with and without its space)."""
    out = schools[[c for c in [*SEARCH_COLUMNS, "laestab"] if c in schools]].copy()
    out["urn"] = out["urn"].astype("int64")
    postcode = out["postcode"].fillna("").astype(str).str.lower()
    laestab = out["laestab"].astype("Int64").astype(str).replace("<NA>", "") if "laestab" in out else ""
    out["_key"] = (
        out["urn"].astype(str)
        + " "
        + laestab
        + " "
        + out["name"].fillna("").astype(str).str.lower()
        + " "
        + postcode
        + " "
        + postcode.str.replace(" ", "", regex=False)
    )
    out["_open"] = out["is_open"].fillna(False).astype(bool)
    return out.sort_values(["_open", "name"], ascending=[False, True]).reset_index(drop=True)


def search(index: pd.DataFrame, query: str, limit: int = 50) -> pd.DataFrame:
    """Schools whose URN, LAESTAB, name or postcode contain every word of the query.

    Ranked: the URN itself, then names containing the query as a phrase, then the rest; open before closed.
    """
    words = [w for w in re.split(r"\s+", query.strip().lower()) if w]
    if not words:
        return index.iloc[0:0][SEARCH_COLUMNS]
    keys = index["_key"]
    mask = np.ones(len(index), dtype=bool)
    for word in words:
        mask &= keys.str.contains(word, regex=False).to_numpy()
    hits = index.loc[mask]
    phrase = " ".join(words)
    rank = np.where(hits["name"].fillna("").str.lower().str.contains(phrase, regex=False), 1, 2)
    if phrase.isdigit():
        rank = np.where(hits["urn"] == int(phrase), 0, rank)
    hits = hits.assign(_rank=rank).sort_values(
        ["_rank", "_open", "name"], ascending=[True, False, True], kind="stable"
    )
    return hits.head(limit)[SEARCH_COLUMNS].reset_index(drop=True)


def search_label(row: pd.Series) -> str:
    """'Name (URN 123456, LA, postcode)' plus '- closed' for closed schools."""
    where = ", ".join(str(v) for v in (row.get("la_name"), row.get("postcode")) if isinstance(v, str) and v)
    closed = "" if bool(row.get("is_open")) else " - closed"
    return f"{row['name']} (URN {int(row['urn'])}{', ' + where if where else ''}){closed}"


# ----------------------------------------------------------------------------------------------------
# Identity and lineage
# ----------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def identity(school: pd.Series) -> dict[str, Any]:
    """The facts a visitor needs first, labelled for display (missing values are None)."""
    open_date = _plain(school.get("open_date"))
    return {
        "Name": _plain(school.get("name")),
        "URN": int(school["urn"]),
        "LAESTAB": _plain(school.get("laestab")),
        "Local authority": _plain(school.get("la_name")),
        "District (parliamentary constituency)": _plain(school.get("constituency")),
        "Phase": _plain(school.get("phase")),
        "Type": _plain(school.get("school_type")),
        "Type group": _plain(school.get("type_group")),
        "Trust": _plain(school.get("trust_name")),
        "Postcode": _plain(school.get("postcode")),
        "Pupils": _plain(school.get("pupils")),
        "IDACI quintile (1 = most deprived)": _plain(school.get("idaci_quintile")),
        "Open date": pd.Timestamp(open_date).date() if open_date is not None else None,
        "Status": "Open" if bool(school.get("is_open")) else "Closed",
    }


@dataclass(frozen=True)
class Lineage:
    predecessors: pd.DataFrame
    successors: pd.DataFrame

    @property
    def predecessor_urns(self) -> list[int]:
        return [int(u) for u in self.predecessors["urn"]]


def school_lineage(links: pd.DataFrame, urn: int) -> Lineage:
    """Predecessor and successor schools (all generations) from the GIAS links."""
    if links.empty:
        empty = pd.DataFrame({c: pd.Series(dtype="object") for c in lineage.CHAIN_COLUMNS})
        return Lineage(empty, empty)
    related = connected_links(links, urn)
    return Lineage(lineage.predecessors(related, urn), lineage.successors(related, urn))


def connected_links(links: pd.DataFrame, urn: int) -> pd.DataFrame:
    """The link rows reachable from the URN through any chain of links (a small frame, so walks are quick)."""
    seen = {int(urn)}
    while True:
        touching = links["urn"].isin(seen) | links["link_urn"].isin(seen)
        found = set(links.loc[touching, "urn"].astype("int64")) | set(
            links.loc[touching, "link_urn"].astype("int64")
        )
        if found <= seen:
            return links.loc[touching]
        seen |= found


# ----------------------------------------------------------------------------------------------------
# Inspection timeline
# ----------------------------------------------------------------------------------------------------

JUDGEMENT_TITLES = {
    "quality_of_education": "Quality of education",
    "behaviour_and_attitudes": "Behaviour and attitudes",
    "personal_development": "Personal development",
    "leadership_and_management": "Leadership and management",
    "early_years": "Early years",
    "sixth_form": "Sixth form",
}
TIMELINE_COLUMNS = [
    "Start date",
    "Published",
    "Kind",
    "Inspection type",
    "Framework",
    "Headline grade",
    "Grade",
    "Grade source",
    "Inherited",
    "URN at the time",
    "School name at the time",
    "Category of concern",
    *JUDGEMENT_TITLES.values(),
    "Safeguarding effective",
    "Ungraded outcome",
    "Converted to graded",
    *(f"Report card: {t}" for t in REPORT_CARD_TITLES.values()),
    "Report card: safeguarding met",
    "Report card adverse flag (derived)",
    "Source",
]


def _kind(row: pd.Series) -> str:
    kind = " ".join(str(row.get(c) or "") for c in ("inspection_type", "type_grouping")).lower()
    if "monitoring" in kind:
        return "Monitoring visit"
    return "Graded" if bool(row["is_graded"]) else "Ungraded"


def _grade_text(row: pd.Series) -> str:
    if not bool(row["is_graded"]):
        return "Ungraded (does not change the grade)"
    if row.get("grade_source") == REPORT_CARD:
        return "Report card (own scale, no 1-4 grade)"
    if pd.isna(row.get("grade")):
        return "No grade recorded"
    label = grade_label(row["grade"], _as_date(row["start_date"]))
    return f"{label} (derived)" if row.get("grade_source") == DERIVED else label


def _as_date(value: Any) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def _judgement(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return f"{int(value)} {grade_label(int(value))}"


def _yes_no(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return "Yes" if bool(value) else "No"


def timeline(inspections: pd.DataFrame, urn: int, names: dict[int, str] | None = None) -> pd.DataFrame:
    """Every inspection of the school and its predecessors, newest first, labelled for display.

    `inspections` comes from `queries.inspections` (grade and grade_source added). Predecessor inspections are
    marked inherited; 2024/25 derived grades say so; report cards keep their own scale and get no 1-4 grade.
    """
    if inspections.empty:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    names = names or {}
    rows = inspections.sort_values(["start_date", "is_graded"], ascending=[False, False]).reset_index(
        drop=True
    )
    out = pd.DataFrame(index=rows.index)
    out["Start date"] = [_as_date(d) for d in rows["start_date"]]
    out["Published"] = [_as_date(d) for d in rows["publication_date"]]
    out["Kind"] = [_kind(r) for _, r in rows.iterrows()]
    out["Inspection type"] = rows["inspection_type"]
    out["Framework"] = rows["framework"]
    out["Headline grade"] = [_grade_text(r) for _, r in rows.iterrows()]
    out["Grade"] = rows["grade"].astype("Float64").astype("Int64")
    out["Grade source"] = rows["grade_source"]
    out["Inherited"] = np.where(rows["urn"].astype("int64") != int(urn), "Inherited from predecessor", "")
    out["URN at the time"] = rows["urn"].astype("int64")
    out["School name at the time"] = [
        n if isinstance(n, str) and n else names.get(int(u))
        for n, u in zip(rows["school_name"], rows["urn"], strict=True)
    ]
    out["Category of concern"] = rows["category_of_concern"].map(
        {"SM": "Special measures", "SWK": "Serious weaknesses", "NTI": "Notice to improve"}
    )
    for column, title in JUDGEMENT_TITLES.items():
        out[title] = [_judgement(v) for v in rows[column]]
    out["Safeguarding effective"] = [_yes_no(v) for v in rows["safeguarding_effective"]]
    out["Ungraded outcome"] = rows["ungraded_outcome"]
    out["Converted to graded"] = [_yes_no(v) for v in rows["converted_to_graded"]]
    for column, title in REPORT_CARD_TITLES.items():
        out[f"Report card: {title}"] = rows[column]
    out["Report card: safeguarding met"] = [_yes_no(v) for v in rows["rc_safeguarding_met"]]
    adverse = [
        report_card_adverse(r) if r.get("grade_source") == REPORT_CARD else None for _, r in rows.iterrows()
    ]
    out["Report card adverse flag (derived)"] = [_yes_no(v) for v in adverse]
    out["Source"] = rows["source"]
    return out[TIMELINE_COLUMNS]


# ----------------------------------------------------------------------------------------------------
# Context trends against LA and England
# ----------------------------------------------------------------------------------------------------

IN_YEAR_BALANCE = "in_year_balance"
#: Measures computed per school from two others (a - b).
DIFFERENCES = {IN_YEAR_BALANCE: ("income", "expenditure")}
#: Which pupil count weights the LA/England average of each measure; None = plain mean per school.
WEIGHTS: dict[str, str | None] = {
    "pupils": None,
    "pct_fsm_ever": "pupils",
    "pct_sen_support": "pupils",
    "pct_ehcp": "pupils",
    "pct_eal": "pupils",
    "pct_absence": "pupils",
    "pct_persistent_absence": "pupils",
    "ks2_rwm_expected": "ks2_pupils",
    "ks2_rwm_higher": "ks2_pupils",
    "ks2_reading_progress": "ks2_pupils",
    "ks2_writing_progress": "ks2_pupils",
    "ks2_maths_progress": "ks2_pupils",
    "pct_disadvantaged": "ks4_pupils",
    "ks4_attainment8": "ks4_pupils",
    "ks4_progress8": "ks4_pupils",
    "ks4_eng_maths_grade5": "ks4_pupils",
    "ks4_ebacc_entry": "ks4_pupils",
    "income": None,
    "expenditure": None,
    "balance": None,
    IN_YEAR_BALANCE: None,
}
LABELS = {**MEASURES, IN_YEAR_BALANCE: "In-year balance: income - expenditure (GBP)"}
TREND_GROUPS: dict[str, list[str]] = {
    "Pupils on roll": ["pupils"],
    "Disadvantage and needs": ["pct_fsm_ever", "pct_sen_support", "pct_ehcp", "pct_eal"],
    "Attendance": ["pct_absence", "pct_persistent_absence"],
    "KS2 attainment and progress": [
        "ks2_rwm_expected",
        "ks2_rwm_higher",
        "ks2_reading_progress",
        "ks2_writing_progress",
        "ks2_maths_progress",
    ],
    "KS4 attainment and progress": [
        "ks4_attainment8",
        "ks4_progress8",
        "ks4_eng_maths_grade5",
        "ks4_ebacc_entry",
    ],
    # The bundled extracts' "Balance" is income - expenditure (in-year), so it is not shown twice.
    "Finance": [IN_YEAR_BALANCE, "income", "expenditure"],
}
TREND_MEASURES = [m for group in TREND_GROUPS.values() for m in group]
#: Measures the benchmarks need from the store (the trends plus their weights and the in-year inputs).
BENCHMARK_INPUTS = sorted({m for m in WEIGHTS if m not in DIFFERENCES} | {w for w in WEIGHTS.values() if w})


def weighting_text(measure: str) -> str:
    weight = WEIGHTS.get(measure)
    if weight is None:
        return "mean per school"
    return "pupil-weighted mean" if weight == "pupils" else f"mean weighted by {MEASURES[weight].lower()}"


def with_in_year_balance(context: pd.DataFrame) -> pd.DataFrame:
    """Add the in-year balance (income - expenditure) as a measure wherever both are present."""
    money = context.loc[context["measure"].isin(["income", "expenditure"])]
    if money.empty:
        return context
    wide = money.pivot_table(index=["urn", "year"], columns="measure", values="value", aggfunc="first")
    if not {"income", "expenditure"} <= set(wide.columns):
        return context
    diff = (wide["income"] - wide["expenditure"]).dropna().rename("value").reset_index()
    diff["measure"] = IN_YEAR_BALANCE
    return pd.concat([context, diff], ignore_index=True)


def comparison_groups(schools: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    """LA and phase of every URN (the index): the school's own, else (closed predecessors) those of the school
    it became (its current successor), so a converted academy's earlier figures count in its LA and phase."""
    own = schools.dropna(subset=["la_name"]).drop_duplicates("urn")
    groups = pd.DataFrame(
        {"la": own["la_name"].to_numpy(), "phase": own["phase"].fillna("Unknown").to_numpy()},
        index=pd.Index(own["urn"].astype("int64").to_numpy(), name="urn"),
    )
    if links.empty:
        return groups
    current = lineage.current_urn_map(links)
    via = groups.reindex(current.to_numpy())
    via.index = pd.Index(current.index.astype("int64"), name="urn")
    via = via.dropna(subset=["la"])
    return pd.concat([groups, via.loc[~via.index.isin(groups.index)]])


SUMS_COLUMNS = ["la", "phase", "year", "measure", "weighted", "weight", "schools"]
BENCHMARK_COLUMNS = ["area", "year", "measure", "value", "schools", "weighting"]


def benchmarks(sums: pd.DataFrame, phase: str | None = None) -> pd.DataFrame:
    """LA and England averages per year and measure from `queries.context_sums_by_la`, over
    schools of one phase (the school's own, so a secondary is compared with secondaries) or all phases.

    Columns: area ('England' or the LA name), year, measure, value, schools (how many were averaged),
    weighting (how). Percentages and scores are weighted by the matching pupil count (see WEIGHTS); counts
    and money are a plain mean per school. England is the sum over LAs, i.e. state-funded schools in the
    store and the predecessors of open ones, not the independent schools that DfE files also list.
    """
    if phase is not None:
        sums = sums.loc[sums["phase"] == phase]
    if sums.empty:
        return pd.DataFrame(columns=BENCHMARK_COLUMNS)
    values = ["weighted", "weight", "schools"]
    la = sums.groupby(["la", "year", "measure"], sort=True)[values].sum().reset_index()
    la = la.rename(columns={"la": "area"})
    england = sums.groupby(["year", "measure"], sort=True)[values].sum().reset_index()
    england["area"] = "England"
    out = pd.concat([england, la], ignore_index=True)
    out["value"] = out["weighted"] / out["weight"]
    out["weighting"] = out["measure"].map(weighting_text)
    out["year"] = out["year"].astype("int64")
    return out[BENCHMARK_COLUMNS]


def school_context(context: pd.DataFrame, urn: int, predecessor_urns: list[int]) -> pd.DataFrame:
    """The school's measures by year; a predecessor's figures fill years the current URN lacks (marked)."""
    ctx = with_in_year_balance(context.loc[context["value"].notna(), ["urn", "year", "measure", "value"]])
    ctx = ctx.loc[ctx["urn"].astype("int64").isin([int(urn), *predecessor_urns])].copy()
    ctx["own"] = ctx["urn"].astype("int64") == int(urn)
    ctx = ctx.sort_values(["measure", "year", "own"]).drop_duplicates(["measure", "year"], keep="last")
    return ctx.reset_index(drop=True)


def trends(school_ctx: pd.DataFrame, bench: pd.DataFrame, la_name: str | None) -> pd.DataFrame:
    """Long table: measure, label, year, school, LA, England, weighting, from_predecessor_urn."""
    columns = ["measure", "label", "year", "school", "la", "england", "weighting", "from_predecessor_urn"]
    if school_ctx.empty:
        return pd.DataFrame(columns=columns)
    out = school_ctx.rename(columns={"value": "school"}).copy()
    out["year"] = out["year"].astype("int64")
    out["from_predecessor_urn"] = out["urn"].astype("int64").where(~out["own"]).astype("Int64")
    england = bench.loc[bench["area"] == "England"].set_index(["year", "measure"])["value"]
    la = bench.loc[bench["area"] == la_name].set_index(["year", "measure"])["value"]
    index = pd.MultiIndex.from_frame(out[["year", "measure"]])
    out["england"] = england.reindex(index).to_numpy()
    out["la"] = la.reindex(index).to_numpy() if la_name else np.nan
    out["label"] = out["measure"].map(LABELS)
    out["weighting"] = out["measure"].map(weighting_text)
    order = {m: i for i, m in enumerate(TREND_MEASURES)}
    out = out.loc[out["measure"].isin(order)]
    out = out.assign(_o=out["measure"].map(order)).sort_values(["_o", "year"])
    return out[columns].reset_index(drop=True)


def deficit_years(trend: pd.DataFrame) -> list[int]:
    """Years in which the school spent more than its income (in-year deficit)."""
    rows = trend.loc[(trend["measure"] == IN_YEAR_BALANCE) & (trend["school"] < 0)]
    return sorted(int(y) for y in rows["year"])


# ----------------------------------------------------------------------------------------------------
# The whole profile: one call the page (and `python -m analytics school URN`) only draws
# ----------------------------------------------------------------------------------------------------

NAME_NOT_RECORDED = "name not recorded"


@dataclass(frozen=True)
class SchoolProfile:
    """Everything the school page shows about one school (open or closed)."""

    urn: int
    record: pd.Series
    identity: dict[str, Any]
    headline: str
    grade_source: str
    lineage: Lineage
    timeline: pd.DataFrame
    due: InspectionDue | None
    trends: pd.DataFrame
    roll: RollChange
    deficit_years: list[int]
    #: The headline report card's areas (Area, Grade, Date of grade; safeguarding last); empty otherwise.
    report_card: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def is_open(self) -> bool:
        return bool(self.record.get("is_open"))

    @property
    def category_of_concern(self) -> str | None:
        """Name of the category of concern of the headline inspection (open schools), if any."""
        return category_name(self.record.get("category_of_concern")) if self.is_open else None

    @property
    def outcome_line(self) -> str:
        """The header's outcome: 'Inadequate (inherited), in serious weaknesses' (the category named)."""
        category = self.category_of_concern
        return f"{self.headline}, in {category.lower()}" if category else self.headline

    def summary(self) -> dict[str, Any]:
        """Plain JSON-able facts (the command line's `school URN --format json`)."""
        grade = self.record.get("grade")
        start = self.record.get("inspection_start")
        return {
            "urn": self.urn,
            "name": _plain(self.record.get("name")),
            "la": _plain(self.record.get("la_name")),
            "phase": _plain(self.record.get("phase")),
            "is_open": self.is_open,
            "headline_grade": None if grade is None or pd.isna(grade) else int(grade),
            "headline": self.headline,
            "grade_source": self.grade_source,
            "category_of_concern": self.category_of_concern,
            "latest_graded_date": None
            if start is None or pd.isna(start)
            else str(pd.Timestamp(start).date()),
            "framework": _plain(self.record.get("framework")),
            "due_date": str(self.due.due) if self.due and self.due.due else None,
            "due_rule": self.due.rule if self.due else "closed: no inspection due",
            "overdue": bool(self.due.overdue) if self.due else False,
            "predecessor_urns": self.lineage.predecessor_urns,
            "successor_urns": [int(u) for u in self.lineage.successors["urn"]],
        }


def lineage_names(lineage_: Lineage, directory: pd.DataFrame, inspections: pd.DataFrame) -> dict[int, str]:
    """A name for every URN of the lineage: GIAS's, else the school table's, else the inspection records'."""
    names: dict[int, str] = {}
    for frame in (lineage_.predecessors, lineage_.successors):
        for urn, name in zip(frame["urn"], frame["name"], strict=True):
            if isinstance(name, str) and name.strip():
                names[int(urn)] = name
    known = directory.set_index("urn")["name"] if not directory.empty else pd.Series(dtype=object)
    recorded = inspections.dropna(subset=["school_name"]).drop_duplicates("urn", keep="last")
    from_inspections = dict(zip(recorded["urn"].astype(int), recorded["school_name"], strict=True))
    for urn in [*lineage_.predecessor_urns, *(int(u) for u in lineage_.successors["urn"])]:
        if urn not in names:
            found = known.get(urn)
            names[urn] = found if isinstance(found, str) else from_inspections.get(urn, NAME_NOT_RECORDED)
    return names


def with_names(frame: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """Predecessor/successor rows with a name for each (never 'nan')."""
    out = frame.copy()
    out["name"] = [names.get(int(u), NAME_NOT_RECORDED) for u in out["urn"]]
    return out


def build_profile(
    record: pd.Series,
    *,
    links: pd.DataFrame,
    inspections: pd.DataFrame,
    directory: pd.DataFrame,
    context: pd.DataFrame,
    benchmark_rows: pd.DataFrame,
    due: pd.DataFrame,
) -> SchoolProfile:
    """Assemble a school's profile from its record and the frames about it.

    `record`: the school's row (with the headline columns of `analytics.headline` when it is open);
    `inspections`: every inspection of its lineage (`queries.inspections` of `lineage.lineage_members`);
    `context`: context values of the school and its predecessors; `benchmark_rows`: `benchmarks` for its
    phase;
    `due`: the read model's due table (`due_dates.due_table`): an open school's due date is the one every
    other
    view (register, command line) shows.
    """
    urn = int(record["urn"])
    chain = school_lineage(links, urn)
    names = lineage_names(chain, directory, inspections)
    chain = Lineage(with_names(chain.predecessors, names), with_names(chain.successors, names))
    names[urn] = str(record.get("name"))
    is_open = bool(record.get("is_open"))
    due_rows = due.loc[due["urn"] == urn]
    due_date = from_row(due_rows.iloc[0]) if is_open and not due_rows.empty else None
    la_name = record.get("la_name") if isinstance(record.get("la_name"), str) else None
    trend = trends(school_context(context, urn, chain.predecessor_urns), benchmark_rows, la_name)
    pupils = trend.loc[trend["measure"] == "pupils"].set_index("year")["school"]
    return SchoolProfile(
        urn=urn,
        record=record,
        identity=identity(record),
        headline=headline_of(record) if is_open else _closed_headline(inspections, urn),
        grade_source=source_label(record.get("grade_source"), bool(record.get("inherited"))) if is_open
        else "own",
        lineage=chain,
        timeline=timeline(inspections, urn, names),
        due=due_date,
        trends=trend,
        roll=roll_change(pupils),
        deficit_years=deficit_years(trend),
        report_card=report_card_table(inspections, record) if is_open else pd.DataFrame(),
    )


def report_card_table(inspections: pd.DataFrame, record: pd.Series) -> pd.DataFrame:
    """The school's headline report card, one row per graded area with its own date, safeguarding last.

    Empty unless the headline (latest graded inspection) is a report card. 'Not applicable' areas are left
    out; the derived adverse flag is a row of its own, labelled derived (DESIGN.md section 2).
    """
    if record.get("grade_source") != REPORT_CARD or inspections.empty:
        return pd.DataFrame()
    start = _as_date(record.get("inspection_start"))
    rows = inspections.loc[
        inspections["is_graded"].astype(bool) & (pd.to_datetime(inspections["start_date"]).dt.date == start)
    ]
    if rows.empty:
        return pd.DataFrame()
    card = rows.iloc[0]
    out = [
        {"Area": title, "Grade": card[column], "Date of grade": _as_date(card.get(f"{column}_date"))}
        for column, title in REPORT_CARD_TITLES.items()
        if isinstance(card.get(column), str) and card[column] != "not applicable"
    ]
    safe = card.get("rc_safeguarding_met")
    met = "not stated" if safe is None or pd.isna(safe) else ("Met" if bool(safe) else "Not met")
    safe_date = _as_date(card.get("rc_safeguarding_date"))
    out.append({"Area": "Safeguarding", "Grade": met, "Date of grade": safe_date})
    flag = report_card_adverse(card)
    out.append({"Area": "Adverse flag (derived, for continuity)",
                "Grade": "not known" if flag is None else ("Yes" if flag else "No"), "Date of grade": None})
    return pd.DataFrame(out)


def _closed_headline(inspections: pd.DataFrame, urn: int) -> str:
    """A closed school (no Ofsted pointer): the outcome of its own latest graded inspection."""
    own = inspections.loc[(inspections["urn"].astype("int64") == urn) & inspections["is_graded"].astype(bool)]
    if own.empty:
        return "Not inspected"
    last = own.sort_values("start_date").iloc[-1]
    return _grade_text(last)
