"""Gather each pack's tables from the store, through the analytics functions the pages use.

`Sources` reads the read model's national frames once (analytics.derived, keyed on the data version); the
three builders cut them to one LA (and district) and assemble a `Pack`. Pure: no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from analytics import comparison, derived, movement, queries, trends
from analytics.districts import district_of
from analytics.grades import category_name
from analytics.headline import headline_texts
from analytics.metrics import KPI_DEFINITIONS, county_kpis, uninspected_count
from analytics.register import interventions, meeting, reviews
from analytics.reports.model import OFFICIAL_SENSITIVE, Figure, Pack, Section, Table, UnknownChoice
from analytics.school_calendar import (
    TERMS,
    academic_year,
    academic_year_start,
    month_end_before,
    term,
    term_of,
)
from analytics.store import data_version

#: The county KPIs as the packs show them: (key, label, unit, key in the trend counts).
KPI_ROWS: tuple[tuple[str, str, str, str | None], ...] = (
    ("schools_with_grade", "Schools with a grade", "", "schools_with_grade"),
    (
        "pct_schools_good_or_outstanding",
        "% schools good or outstanding",
        "%",
        "pct_schools_good_or_outstanding",
    ),
    (
        "pupils_in_good_or_outstanding",
        "Pupils in good or outstanding schools",
        "",
        "pupils_good_or_outstanding",
    ),
    (
        "pct_pupils_good_or_outstanding",
        "% pupils in good or outstanding schools",
        "%",
        "pct_pupils_good_or_outstanding",
    ),
    ("schools_requires_improvement", "Requires improvement", "", "schools_requires_improvement"),
    ("schools_inadequate", "Inadequate", "", "schools_inadequate"),
    ("schools_serious_weaknesses", "Serious weaknesses", "", "schools_serious_weaknesses"),
    ("schools_special_measures", "Special measures", "", "schools_special_measures"),
    ("pct_schools_in_category", "% in an adverse category (SWK or SM)", "%", "pct_schools_in_category"),
    ("schools_declined", "Declined at the latest graded inspection", "", None),
    ("schools_stuck_below_good", "Stuck below good", "", "schools_stuck_below_good"),
    ("schools_uninspected", "Uninspected (excluded above)", "", "schools_uninspected"),
)
PUPIL_KEYS = ("pupils_in_good_or_outstanding",)
NEIGHBOURS = "Statistical neighbours"
EXPECTED_MONTHS = 3


def headline_kpis(frame: pd.DataFrame) -> dict[str, Any]:
    """`metrics.county_kpis` (the command line's figures) plus the uninspected count."""
    return {**county_kpis(frame), "schools_uninspected": uninspected_count(frame)}


def fmt(value: object, unit: str = "") -> str:
    """A figure as the packs print it: '87.3%', '12,345', 'n/a'; text (e.g. 'c') as it is."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return "n/a"
    number = float(value)  # type: ignore[arg-type]
    return f"{number:.1f}%" if unit == "%" else f"{int(number):,}"


def change(now: object, then: object, unit: str) -> str:
    if isinstance(now, str) or isinstance(then, str) or now is None or then is None:
        return "n/a"
    if pd.isna(now) or pd.isna(then):  # type: ignore[call-overload]
        return "n/a"
    delta = float(now) - float(then)  # type: ignore[arg-type]
    return f"{delta:+.1f} pts" if unit == "%" else f"{delta:+,.0f}"


@dataclass
class Sources:
    """The store's frames for one data version, read once per pack."""

    engine: Engine

    @cached_property
    def version(self) -> int:
        return data_version(self.engine)

    def frame(self, name: str) -> pd.DataFrame:
        return derived.load(self.engine, name, self.version)

    @cached_property
    def headlines(self) -> pd.DataFrame:
        return self.frame("headlines")

    @cached_property
    def la_names(self) -> list[str]:
        return sorted(str(n) for n in self.headlines["la_name"].dropna().unique())

    @cached_property
    def data_date(self) -> date:
        as_at = self.headlines["as_at"].dropna()
        return pd.Timestamp(as_at.max()).date() if not as_at.empty else date.today()

    def la(self, name: str) -> str:
        """The LA as spelt in the data (case-insensitive), else `UnknownChoice` with close matches."""
        by_lower = {n.lower(): n for n in self.la_names}
        if name.strip().lower() not in by_lower:
            raise UnknownChoice("local authority", name, self.la_names)
        return by_lower[name.strip().lower()]

    def schools(self, la: str) -> pd.DataFrame:
        return self.headlines.loc[self.headlines["la_name"] == la]

    def neighbours(self, la: str) -> list[str]:
        found = queries.stat_neighbours(self.engine, la)["neighbour_ofsted_name"].dropna()
        return [str(n) for n in found if str(n) in set(self.la_names)]

    def series(self, freq: str, las: list[str] | None) -> pd.DataFrame:
        """KPI series at each month or term end for some LAs (None: England)."""
        counts = self.frame(f"trend_counts_{freq}")
        if las is not None:
            counts = counts.loc[counts["la_name"].isin(las)]
        return trends.kpi_series(counts)

    def districts(self, schools: pd.DataFrame, scheme: str | None) -> pd.Series:
        mapping = None if scheme is None else queries.district_mapping(self.engine, scheme)
        return district_of(schools, mapping).astype(str)


# ------------------------------------------------------------------------------------------ shared tables


def _at(series: pd.DataFrame, day: date) -> pd.Series | None:
    """The series' row at `day`, else at the latest date before it (None when the series starts later)."""
    rows = series.loc[series["as_at"] <= pd.Timestamp(day)].sort_values("as_at")
    return None if rows.empty else rows.iloc[-1]


def kpi_table(src: Sources, la: str, schools: pd.DataFrame) -> pd.DataFrame:
    """County KPIs now, last month, a year earlier, England and the statistical neighbours (together)."""
    now = headline_kpis(schools)
    england = headline_kpis(src.headlines)
    neighbours = src.neighbours(la)
    near = headline_kpis(src.headlines.loc[src.headlines["la_name"].isin(neighbours)]) if neighbours else {}
    series = src.series("month", [la])
    last_month = _at(series, month_end_before(src.data_date))
    year_before = _at(series, src.data_date.replace(year=src.data_date.year - 1))
    month_day = last_month["as_at"] if last_month is not None else month_end_before(src.data_date)
    year_day = (
        year_before["as_at"]
        if year_before is not None
        else src.data_date.replace(year=src.data_date.year - 1)
    )
    rows = []
    for key, label, unit, past_key in KPI_ROWS:
        then = None if last_month is None or past_key is None else last_month.get(past_key)
        before = None if year_before is None or past_key is None else year_before.get(past_key)
        rows.append(
            {
                "Measure": label,
                la: fmt(now[key], unit),
                f"Last month ({month_day:%d/%m/%Y})": fmt(then, unit),
                "Change since last month": change(now[key], then, unit),
                f"A year earlier ({year_day:%d/%m/%Y})": fmt(before, unit),
                "Change over the year": change(now[key], before, unit),
                "England": fmt(england[key], unit),
                NEIGHBOURS: fmt(near.get(key), unit) if neighbours else "not loaded",
            }
        )
    return pd.DataFrame(rows)


def neighbour_figure(src: Sources, la: str) -> tuple[Figure, pd.DataFrame]:
    england = headline_kpis(src.headlines)["pct_schools_good_or_outstanding"]
    table = comparison.neighbour_table(
        comparison.la_good_or_outstanding(src.headlines), la, src.neighbours(la), england
    )
    from analytics.reports import charts  # matplotlib: imported when a pack is built, not by the pages

    png = charts.ranked_bars(
        list(table["label"]),
        list(table["pct_schools_good_or_outstanding"]),
        list(table["role"]),
        "% schools good or outstanding: LA, neighbours, England",
        "% schools good or outstanding",
    )
    ranked = table.loc[table["role"] != "England"]
    rank = ranked.loc[ranked["role"] == "selected", "rank"]
    text = "; ".join(
        f"{n} {fmt(v, '%')}"
        for n, v in zip(table["la_name"], table["pct_schools_good_or_outstanding"], strict=True)
    )
    where = f"{la} ranks {int(rank.iloc[0])} of {len(ranked)}" if not rank.empty else f"{la} is not ranked"
    figure = Figure(
        png,
        f"Figure: % schools good or outstanding, {la}, its statistical neighbours and England.",
        f"Bar chart, highest first. {where} among itself and its statistical neighbours. {text}.",
    )
    shown = table.rename(
        columns={
            "rank": "Rank",
            "la_name": "Area",
            "role": "Role",
            "schools_with_grade": "Schools with a grade",
            "schools_good_or_outstanding": "Good or outstanding",
            "pct_schools_good_or_outstanding": "% good or outstanding",
        }
    )
    shown["Rank"] = [str(int(r)) if pd.notna(r) else "" for r in shown["Rank"]]
    return figure, shown.drop(columns=["label"])


def movement_of(src: Sources, schools: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    lineage = src.frame("movement_lineage")
    lineage = lineage.loc[lineage["current_urn"].isin(schools["urn"])]
    exact = schools.set_index("urn")["grade_known_exactly_from"]
    return movement.period_movement(lineage, schools, start, end, exact)


def movement_counts(moves: pd.DataFrame) -> pd.DataFrame:
    summary = movement.movement_summary(moves)
    labels = {
        "inspected": "Schools inspected (graded)",
        "improved": "Improved",
        "static": "Stayed the same",
        "declined": "Declined",
        "first graded inspection": "First graded inspection",
        "reprioritise": "To reprioritise (declined, or static below good)",
    }
    return pd.DataFrame({"Movement": list(labels.values()), "Schools": [summary[k] for k in labels]})


def school_rows(schools: pd.DataFrame) -> pd.DataFrame:
    """Standard columns for a list of schools (as the pages' school lists)."""
    frame = schools.sort_values("name", kind="stable")
    return pd.DataFrame(
        {
            "URN": frame["urn"].astype("int64").to_numpy(),
            "School": frame["name"].astype(object).to_numpy(),
            "Phase": frame["phase"].astype(object).to_numpy(),
            "Headline grade": headline_texts(frame),
            "Inspected": pd.to_datetime(frame["inspection_start"]).dt.date.to_numpy(),
            "Category of concern": [category_name(c) or "" for c in frame["category_of_concern"]],
        }
    )


def due_of(due: pd.DataFrame, urns: pd.Series) -> pd.DataFrame:
    """Each school's approximate due date, overdue flag ('yes' or '') and rule, in the order of `urns`."""
    found = due.drop_duplicates("urn").set_index("urn").reindex(urns.to_numpy())
    days = pd.to_datetime(found["due_date"])
    return pd.DataFrame(
        {
            "due": [d.date() if pd.notna(d) else None for d in days],
            "overdue": ["yes" if o is True or o == 1 else "" for o in found["overdue"]],
            "rule": found["due_rule"]
            .astype(object)
            .where(found["due_rule"].notna(), "")
            .astype(str)
            .to_numpy(),
        }
    )


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as dates (a pack shows days, and an XLSX cell holds a date)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.date
    return out


# ------------------------------------------------------------------------------------------ SCC pack


def meeting_since(engine: Engine, la: str, as_at: date) -> date:
    """The meeting view's comparison date: the last recorded meeting, else a month before."""
    return reviews.last_meeting(engine, la, before=as_at + timedelta(days=1)) or as_at - timedelta(days=30)


def expected_inspections(src: Sources, schools: pd.DataFrame, as_at: date) -> pd.DataFrame:
    """Schools whose approximate next inspection falls due in the next three months, or is overdue."""
    due = src.frame("due")
    due = due.loc[due["urn"].isin(schools["urn"])].copy()
    days = pd.to_datetime(due["due_date"])
    until = pd.Timestamp(as_at) + pd.DateOffset(months=EXPECTED_MONTHS)
    due = due.loc[(days <= until) | due["overdue"].astype(bool)]
    rows = school_rows(schools.loc[schools["urn"].isin(due["urn"])])
    found = due_of(due, rows["URN"])
    rows["Due (approximate)"] = found["due"].to_numpy()
    rows["Overdue"] = found["overdue"].to_numpy()
    rows["Rule used"] = found["rule"].to_numpy()
    return rows.sort_values(["Due (approximate)", "School"], na_position="first").reset_index(drop=True)


SCC_HEADERS = {
    "urn": "URN",
    "name": "School",
    "constituency": "Constituency",
    "district": "District",
    "change": "Change",
    "before": "Before",
    "now": "Now",
    "effective_date": "Effective",
    "set_by": "Set by",
    "reason": "Reason",
    "level_label": "Level",
    "stage_label": "Stage",
    "next_review": "Next review",
    "review_status": "Review",
    "last_review_meeting": "Last reviewed",
    "id": "Id",
    "type": "Type",
    "lead_officer": "Lead officer",
    "start_date": "Start",
    "status": "Status",
    "flag": "Flag",
    "review_due": "Review due",
    "escalation_due": "Escalation due",
    "reached_since_last_meeting": "Reached since last meeting",
    "used_days": "Days used",
    "planned_days": "Days planned",
    "cost_to_date": "Cost to date (GBP)",
    "kind": "Kind",
    "outcome": "Outcome",
    "category_of_concern": "Category",
    "recorded_level": "Register level",
    "ofsted": "Ofsted",
    "risk_band": "Risk",
    "suggested_label": "Suggested level",
    "evidence": "Evidence",
    "funded_by": "Funded by",
    "interventions": "Interventions",
    "officer_days_used": "Officer days used",
    "planned_cost": "Planned cost (GBP)",
    "scheme": "Scheme",
    "level": "Level code",
}


def scc_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A meeting-view frame with the pack's headers (the same rows and values as the page)."""
    return _dates(frame).rename(columns=SCC_HEADERS)


def scc_pack(
    engine: Engine,
    la_name: str,
    as_at: date | None = None,
    since: date | None = None,
    src: Sources | None = None,
    view: meeting.MeetingView | None = None,
) -> Pack:
    """The monthly Schools Causing Concern pack (OFFICIAL-SENSITIVE), compared with the last meeting (`since`:
    by default the last recorded meeting, else a month before, as the meeting view)."""
    src = src or Sources(engine)
    la = src.la(la_name)
    as_at = as_at or date.today()
    since = since or meeting_since(engine, la, as_at)
    schools = src.schools(la)
    if view is None or (view.la_name, view.since, view.today) != (la, since, as_at):
        view = meeting.meeting_view(engine, la, since, as_at)
    kpis = kpi_table(src, la, schools)
    figure, ranked = neighbour_figure(src, la)
    year = academic_year(academic_year_start(src.data_date))
    moves = movement_of(src, schools, year.start, min(year.end, src.data_date))
    pack = Pack(
        kind="scc",
        title="Schools Causing Concern: monthly meeting pack",
        la_name=la,
        as_at=as_at,
        subtitle=f"{la}, meeting of {as_at:%d %B %Y}",
        classification=OFFICIAL_SENSITIVE,
        cover_lines=[
            f"Local authority: {la}",
            f"Papers as at {as_at:%d %B %Y}; compared with the last meeting, {since:%d %B %Y}.",
            f"Ofsted data as at {src.data_date:%d %B %Y} (latest release in the store).",
            "Handle as OFFICIAL-SENSITIVE: it names schools, LA categorisation and risk.",
        ],
    )
    pack.sections.append(
        Section(
            "County KPIs",
            [
                f"Headline grades as at {src.data_date:%d %B %Y}: over open schools with a grade "
                "(uninspected schools "
                "excluded and counted separately). Changes compare the same measures at the last month end "
                "and a "
                "year earlier, rebuilt from every stored inspection. Statistical neighbours: the LA's ten "
                "DfE "
                "neighbours taken together.",
                KPI_DEFINITIONS["pct_schools_good_or_outstanding"],
            ],
            [
                Table("KPIs", "County KPIs against last month, last year, England and neighbours", kpis),
                Table("Neighbours", "% schools good or outstanding, ranked", ranked),
            ],
            [figure],
        )
    )
    pack.sections.append(
        Section(
            "Schools inspected since the last meeting",
            [
                f"Inspections starting after {since:%d/%m/%Y} up to {as_at:%d/%m/%Y}, as far as the "
                "store's data "
                f"(as at {src.data_date:%d/%m/%Y}) record them."
            ],
            [
                Table(
                    "Inspected",
                    "Schools inspected since the last meeting",
                    scc_table(view.inspected),
                    empty="No inspection since the last meeting in the data.",
                )
            ],
        )
    )
    pack.sections.append(
        Section(
            f"Movement, {year.label}",
            [
                f"Schools with a graded inspection from {year.start:%d/%m/%Y} to "
                f"{min(year.end, src.data_date):%d/%m/%Y}: the latest in the period against the one before "
                "it."
            ],
            [
                Table("Movement", f"Movement, {year.label}", movement_counts(moves)),
                Table(
                    "Transitions",
                    "Previous grade (rows) to new grade (columns)",
                    movement.transition_matrix(moves).reset_index().rename(columns=str),
                ),
            ],
        )
    )
    pack.sections.append(register_section(view, la))
    pack.sections.append(
        Section(
            "High-risk schools not on the register",
            [
                "Schools the early-warning model places in its high band that have no level of concern "
                "recorded. "
                "A flag to discuss, not a judgement."
            ],
            [
                Table(
                    "High risk",
                    "High-risk schools not on the register",
                    scc_table(view.high_risk_not_on_register),
                    empty="None (or no early-warning model has been trained).",
                )
            ],
        )
    )
    expected = expected_inspections(src, schools, as_at)
    pack.sections.append(
        Section(
            "Inspections expected in the next three months",
            [
                f"Approximate due dates (the rule used is shown for each school) falling by "
                f"{pd.Timestamp(as_at) + pd.DateOffset(months=EXPECTED_MONTHS):%d/%m/%Y}, and overdue "
                "schools."
            ],
            [
                Table(
                    "Expected",
                    "Inspections expected in the next three months or overdue",
                    expected,
                    empty="No inspection falls due in the next three months.",
                )
            ],
        )
    )
    return pack


def register_section(view: meeting.MeetingView, la: str) -> Section:
    counts = view.level_counts
    figures = []
    if not counts.empty:
        from analytics.reports import charts  # matplotlib: imported when a pack is built, not by the pages

        png = charts.grouped_bars(
            [str(v) for v in counts["level_label"]],
            {"At the last meeting": list(counts["at the last meeting"]), "Now": list(counts["now"])},
            "Schools per register level",
            "Schools",
        )
        text = "; ".join(
            f"{lv}: {b} then, {n} now"
            for lv, b, n in zip(
                counts["level_label"], counts["at the last meeting"], counts["now"], strict=True
            )
        )
        figures.append(
            Figure(
                png,
                "Figure: schools per register level at the last meeting and now.",
                f"Grouped bar chart. {text}.",
            )
        )
    summary = view.summary()
    return Section(
        "The register",
        [
            "Since the last meeting: " + "; ".join(f"{k} {v}" for k, v in summary.items()) + ".",
            interventions.TERM_RULE,
        ],
        [
            Table(
                "Levels",
                "Schools per level, then and now",
                scc_table(counts),
                empty="No school had a recorded level at the last meeting or has one now.",
            ),
            Table(
                "Changes",
                "Changes since the last meeting",
                scc_table(view.changes),
                empty="No new entries, exits, escalations or de-escalations.",
            ),
            Table(
                "Reviews",
                "Reviews due (within a month) or overdue",
                scc_table(view.reviews_due),
                empty="No reviews due or overdue.",
            ),
            Table(
                "Interventions",
                "Interventions at their two-term review or three-term escalation",
                scc_table(view.interventions_due),
                empty="No intervention has reached its review or escalation.",
            ),
            Table(
                "Spend",
                "Spend to date by district",
                scc_table(view.spend_by_district),
                empty="No interventions recorded: no spend.",
            ),
        ],
        figures,
    )


# ------------------------------------------------------------------------------------------ members' summary


def term_names(data_date: date) -> list[str]:
    """Every term from autumn 2005 to the one holding the data date, as '2025-autumn' (newest first)."""
    out = []
    for year in range(2005, data_date.year + 1):
        for name in TERMS:
            period = term(name, year)
            if period.start <= data_date and period.end >= date(2005, 9, 1):
                out.append(f"{year}-{name.lower()}")
    return sorted(
        out, key=lambda t: term(t.split("-")[1].capitalize(), int(t.split("-")[0])).start, reverse=True
    )


def parse_term(src: Sources, text: str) -> Any:
    known = term_names(src.data_date)
    cleaned = text.strip().lower()
    if cleaned not in known:
        raise UnknownChoice("term", text, known)
    year, name = cleaned.split("-")
    return term(name.capitalize(), int(year))


def members_pack(engine: Engine, la_name: str, term_text: str, src: Sources | None = None) -> Pack:
    """The termly summary for elected members: plain English, suppression applied, no school named."""
    from analytics.reports.members import build

    src = src or Sources(engine)
    la = src.la(la_name)
    return build(src, la, parse_term(src, term_text))


# ------------------------------------------------------------------------------------------ district profile


def district_names(src: Sources, la: str, scheme: str | None) -> list[str]:
    schools = src.schools(la)
    return sorted(set(src.districts(schools, scheme)))


def district_pack(
    engine: Engine, la_name: str, district: str, scheme: str | None = None, src: Sources | None = None
) -> Pack:
    from analytics.reports.district import build

    src = src or Sources(engine)
    la = src.la(la_name)
    if scheme is not None and scheme not in queries.district_schemes(engine):
        raise UnknownChoice("district mapping", scheme, queries.district_schemes(engine))
    known = district_names(src, la, scheme)
    by_lower = {d.lower(): d for d in known}
    if district.strip().lower() not in by_lower:
        raise UnknownChoice(f"district of {la}", district, known)
    return build(src, la, by_lower[district.strip().lower()], scheme)


def current_term(data_date: date) -> str:
    """The term holding the data date, as '2025-summer'."""
    period = term_of(data_date)
    return f"{period.start.year}-{period.label.split()[0].lower()}"
