"""Per-school profile: identity, lineage, inspection timeline, context trends against LA and England, due.

Pure pandas over frames from `analytics.queries`; the page (pages/school.py) only loads and draws.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from analytics import lineage
from analytics.due_dates import InspectionDue, inspection_due
from analytics.grades import (
    DERIVED,
    REPORT_CARD,
    REPORT_CARD_AREAS,
    grade_label,
    report_card_adverse,
)
from analytics.measures import MEASURES

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
REPORT_CARD_TITLES = {a: a.removeprefix("rc_").replace("_", " ").capitalize() for a in REPORT_CARD_AREAS}
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


def latest_graded(inspections: pd.DataFrame) -> pd.Series | None:
    graded = inspections.loc[inspections["is_graded"].astype(bool)]
    if graded.empty:
        return None
    return graded.sort_values("start_date").iloc[-1]


def due(school: pd.Series, inspections: pd.DataFrame, as_of: date | None = None) -> InspectionDue:
    """Inspection due date from the latest graded inspection (predecessors' included, marked inherited).

    `as_of` defaults to the date of the Ofsted release that last listed the school: the store knows nothing
    of inspections after it, so days and the overdue flag are counted to that date.
    """
    as_of = as_of or _as_date(school.get("as_at")) or date.today()
    known = inspections.loc[pd.to_datetime(inspections["start_date"]) <= pd.Timestamp(as_of)]
    last = latest_graded(known)
    ungraded = known.loc[~known["is_graded"].astype(bool), "start_date"]
    last_ungraded = max((_as_date(d) for d in ungraded), default=None, key=lambda d: d or date.min)
    last_any = max((_as_date(d) for d in known["start_date"]), default=None, key=lambda d: d or date.min)
    open_date = _as_date(school.get("open_date"))
    if last is None:
        return inspection_due(
            grade=None, last_graded_start=None, open_date=open_date, phase=school.get("phase"), as_of=as_of
        )
    last_start = _as_date(last["start_date"])
    grade = None if pd.isna(last.get("grade")) else int(last["grade"])
    if last_ungraded is not None and last_start is not None and last_ungraded < last_start:
        last_ungraded = None
    return inspection_due(
        grade=grade,
        last_graded_start=last_start,
        last_graded_published=_as_date(last.get("publication_date")),
        category_of_concern=last.get("category_of_concern") or None,
        last_ungraded_start=last_ungraded,
        last_any_start=last_any,
        inherited=int(last["urn"]) != int(school["urn"]),
        open_date=open_date,
        phase=school.get("phase"),
        report_card=last.get("grade_source") == REPORT_CARD,
        as_of=as_of,
    )


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
FALLING_ROLL_DROP = 0.10
FALLING_ROLL_YEARS = 3


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


def la_sums(context: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Per LA, phase, year and measure: sums of value x weight and of weights, number of schools (WEIGHTS).

    Reference implementation in pandas of `queries.context_sums_by_la`, which does the same in the database.
    Schools without a weight for that year are left out of a weighted sum; URNs not in `groups` are left out.
    """
    ctx = with_in_year_balance(context.loc[context["value"].notna(), ["urn", "year", "measure", "value"]])
    ctx = ctx.astype({"urn": "int64", "year": "int64"})
    weights = ctx.loc[ctx["measure"].isin({w for w in WEIGHTS.values() if w})]
    weights = weights.rename(columns={"measure": "weight_measure", "value": "weight"})
    ctx = ctx.loc[ctx["measure"].isin(WEIGHTS)].copy()
    if ctx.empty:
        return pd.DataFrame(columns=SUMS_COLUMNS)
    ctx["weight_measure"] = ctx["measure"].map(WEIGHTS)
    ctx = ctx.merge(weights, on=["urn", "year", "weight_measure"], how="left")
    ctx["weight"] = ctx["weight"].where(ctx["weight_measure"].notna(), 1.0)
    ctx = ctx.loc[ctx["weight"].notna() & (ctx["weight"] > 0)]
    ctx["weighted"] = ctx["value"] * ctx["weight"]
    ctx = ctx.join(groups[["la", "phase"]], on="urn", how="inner")
    grouped = ctx.groupby(["la", "phase", "year", "measure"], sort=True)
    out = grouped.agg(weighted=("weighted", "sum"), weight=("weight", "sum"), schools=("urn", "nunique"))
    return out.reset_index()[SUMS_COLUMNS]


def benchmarks(sums: pd.DataFrame, phase: str | None = None) -> pd.DataFrame:
    """LA and England averages per year and measure from `la_sums` / `queries.context_sums_by_la`, over
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


@dataclass(frozen=True)
class FallingRoll:
    falling: bool
    text: str


def falling_roll(pupils: pd.DataFrame) -> FallingRoll:
    """Pupils on roll down more than 10% over three years (latest year against three years earlier)."""
    series = pupils.dropna(subset=["school"]).set_index("year")["school"].sort_index()
    if series.empty:
        return FallingRoll(False, "No pupil numbers by year recorded.")
    latest_year = int(series.index.max())
    base_year = latest_year - FALLING_ROLL_YEARS
    if base_year not in series.index or not series[base_year]:
        text = f"Pupil numbers for {base_year} not recorded: the three-year change is unknown"
        first_year = int(series.index.min())
        if first_year < latest_year and series[first_year]:
            span = series[latest_year] / series[first_year] - 1
            text += f" ({first_year} to {latest_year}: {span:+.1%} over {latest_year - first_year} years)"
        return FallingRoll(False, text + ".")
    change = series[latest_year] / series[base_year] - 1
    falling = change < -FALLING_ROLL_DROP
    direction = "down" if change < 0 else "up"
    text = (
        f"Pupils on roll {direction} {abs(change):.1%} from {int(series[base_year]):,} ({base_year}) to "
        f"{int(series[latest_year]):,} ({latest_year})"
    )
    flag = " - falling roll: down more than 10% in three years." if falling else "."
    return FallingRoll(bool(falling), text + flag)


def deficit_years(trend: pd.DataFrame) -> list[int]:
    """Years in which the school spent more than its income (in-year deficit)."""
    rows = trend.loc[(trend["measure"] == IN_YEAR_BALANCE) & (trend["school"] < 0)]
    return sorted(int(y) for y in rows["year"])
