"""Approximate latest date for a school's next inspection (DESIGN.md section 2), always with the rule used.

Pure functions over plain values. The dates are approximations of Ofsted policy, not Ofsted's own schedule:
- statutory maximum: five academic years after the end of the academic year (1 Sept - 31 Aug) of the last
  graded inspection (an ungraded inspection of a good or outstanding school resets the clock: it is that
  school's routine inspection);
- Good: an ungraded inspection about every four years after the last routine inspection;
- Requires improvement: re-inspected within 30 months of the previous report's publication;
- Inadequate / category of concern (serious weaknesses, special measures): monitoring visits in between and
  re-inspection normally within 30 months of the report's publication (the handbook window since April 2018);
- Outstanding: the statutory maximum; a mainstream outstanding school last inspected while exempt (2012-2020)
  falls under the lifting of the exemption: inspected by the end of the 2025/26 academic year;
- new schools, including academies not yet inspected in their current form: normally inspected by the end
  of their third academic year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from analytics.grades import REPORT_CARD as REPORT_CARD_SOURCE
from analytics.school_calendar import academic_year_end

Row = pd.Series | Mapping[Any, Any]  # a frame's row: iterrows' Series or to_dict("records")' dict

STATUTORY = (
    "Statutory maximum: five academic years after the end of the academic year of the last graded inspection"
)
GOOD = "Good: ungraded inspection about every four years after the last routine inspection"
REQUIRES_IMPROVEMENT = (
    "Requires improvement: re-inspection within 30 months of the previous report's publication"
)
CATEGORY = (
    "Inadequate / category of concern: monitoring visits in between; re-inspection normally within 30 months "
    "of the report's publication"
)
FORMERLY_EXEMPT = (
    "Outstanding, last inspected while exempt (exemption lifted 2020): to be inspected by the end of the "
    "2025/26 academic year"
)
NEW_SCHOOL = (
    "New school (not yet inspected in its current form): normally inspected by the end of its third year"
)
NO_BASIS = "No inspection and no opening date: no due date can be estimated"
REPORT_CARD = "Report card (no 1-4 grade): statutory maximum after the report-card inspection"

EXEMPTION_LIFTED = date(2020, 11, 1)
FORMERLY_EXEMPT_DEADLINE = date(2026, 8, 31)
EXEMPT_PHASES = ("Primary", "Secondary")


@dataclass(frozen=True)
class InspectionDue:
    """The approximate latest due date, the rule that gave it and whether it has passed on `as_of`."""

    due: date | None
    rule: str
    basis: str
    as_of: date
    days_since_graded: int | None
    days_since_any: int | None

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.as_of > self.due

    @property
    def days_overdue(self) -> int | None:
        return (self.as_of - self.due).days if self.overdue and self.due is not None else None


def statutory_maximum(last_graded: date) -> date:
    """Five academic years after the end of the academic year of the inspection."""
    end = academic_year_end(last_graded)
    return date(end.year + 5, 8, 31)


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clipped to the month's end (31 Aug + 30 months = 28/29 Feb)."""
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


def new_school_deadline(opened: date) -> date:
    """End of the third academic year the school is open."""
    return date(academic_year_end(opened).year + 2, 8, 31)


def _days(since: date | None, as_of: date) -> int | None:
    return (as_of - since).days if since is not None else None


def inspection_due(
    *,
    grade: int | None,
    last_graded_start: date | None,
    last_graded_published: date | None = None,
    category_of_concern: str | None = None,
    last_ungraded_start: date | None = None,
    last_any_start: date | None = None,
    inherited: bool = False,
    open_date: date | None = None,
    phase: str | None = None,
    report_card: bool = False,
    as_of: date | None = None,
) -> InspectionDue:
    """Apply the rules in order: not inspected in current form, category/inadequate, RI, good, outstanding.

    `grade` is the headline grade (published or derived) of the last graded inspection; `inherited` says that
    inspection belongs to a predecessor school (an ungraded inspection since opening counts as the new
    school's routine inspection, e.g. a converter academy of a good school); `last_any_start` is the latest
    inspection of any kind (graded, ungraded or monitoring), by default the later of graded and ungraded.
    """
    as_of = as_of or date.today()
    latest_any = last_any_start or max(
        (d for d in (last_graded_start, last_ungraded_start) if d), default=None
    )
    since_graded = _days(last_graded_start, as_of)
    since_any = _days(latest_any, as_of)

    def result(due: date | None, rule: str, basis: str) -> InspectionDue:
        return InspectionDue(due, rule, basis, as_of, since_graded, since_any)

    inspected_in_current_form = (
        last_ungraded_start is not None and open_date is not None and last_ungraded_start >= open_date
    )
    new_form = (
        inherited and open_date is not None and open_date > last_graded_start if last_graded_start else False
    )
    if last_graded_start is None or (new_form and not inspected_in_current_form):
        if open_date is None:
            return result(None, NO_BASIS, "no graded inspection recorded")
        return result(new_school_deadline(open_date), NEW_SCHOOL, f"opened {open_date:%d/%m/%Y}")
    graded_basis = f"last graded inspection {last_graded_start:%d/%m/%Y}"
    published = last_graded_published or last_graded_start
    if report_card:
        return result(statutory_maximum(last_graded_start), REPORT_CARD, graded_basis)
    if category_of_concern in ("SM", "SWK") or grade == 4:
        return result(add_months(published, 30), CATEGORY, f"report published {published:%d/%m/%Y}")
    if grade == 3:
        return result(
            add_months(published, 30), REQUIRES_IMPROVEMENT, f"report published {published:%d/%m/%Y}"
        )
    routine = max(d for d in (last_graded_start, last_ungraded_start) if d)
    routine_basis = (
        graded_basis if routine == last_graded_start else f"last ungraded inspection {routine:%d/%m/%Y}"
    )
    if grade == 2:
        return result(add_months(routine, 48), GOOD, routine_basis)
    statutory = statutory_maximum(routine)
    if (
        grade == 1
        and phase in EXEMPT_PHASES
        and routine < EXEMPTION_LIFTED
        and statutory < FORMERLY_EXEMPT_DEADLINE
    ):
        return result(FORMERLY_EXEMPT_DEADLINE, FORMERLY_EXEMPT, routine_basis)
    return result(statutory, STATUTORY, routine_basis)


# ----------------------------------------------------------------------------------------------------------
# The one adapter from the store's frames to `inspection_due`: the school page, the register listing and the
# command line all use it, so a school has one due date everywhere.
# ----------------------------------------------------------------------------------------------------------

DUE_COLUMNS = [
    "urn", "due_date", "due_rule", "due_basis", "due_as_of", "overdue", "days_overdue", "days_since_graded",
    "days_since_any",
]


def _day(value: object) -> date | None:
    if value is None or value is pd.NaT or (not isinstance(value, date) and pd.isna(value)):  # type: ignore[call-overload]
        return None
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def last_inspections(
    headlines: pd.DataFrame, members: pd.DataFrame, inspections: pd.DataFrame
) -> pd.DataFrame:
    """Per school (index urn): its as-of date and its record's latest ungraded inspection and latest
    inspection of any kind started by then (`members`: school_urn, urn from `lineage.lineage_members`;
    `inspections`: urn, start_date, is_graded). The as-of date is the date of the Ofsted release that last
    listed the school (`as_at`)."""
    as_of = pd.to_datetime(headlines.set_index("urn")["as_at"]).fillna(pd.Timestamp(date.today()))
    rows = members.merge(inspections[["urn", "start_date", "is_graded"]], on="urn")
    rows["start"] = pd.to_datetime(rows["start_date"])
    rows = rows.loc[rows["start"] <= rows["school_urn"].map(as_of)]
    out = pd.DataFrame(index=as_of.index)
    out["as_of"] = as_of
    out["last_any"] = rows.groupby("school_urn")["start"].max().reindex(out.index)
    ungraded = rows.loc[~rows["is_graded"].astype(bool)]
    out["last_ungraded"] = ungraded.groupby("school_urn")["start"].max().reindex(out.index)
    return out


#: The headline columns `school_due` reads.
SCHOOL_FIELDS = ("inspection_start", "grade", "category_of_concern", "inspection_published", "inherited",
                 "open_date", "phase", "grade_source")


def school_due(school: Row, last: Row) -> InspectionDue:
    """Due date of one school from its headline row (`analytics.headline.headlines`) and its
    `last_inspections` row (each a Series or a dict of the row's values). An ungraded inspection counts only
    if it followed the last graded one."""
    graded_start = _day(school.get("inspection_start"))
    ungraded = _day(last.get("last_ungraded"))
    if ungraded is not None and graded_start is not None and ungraded < graded_start:
        ungraded = None
    grade = school.get("grade")
    category = school.get("category_of_concern")
    return inspection_due(
        grade=None if grade is None or pd.isna(grade) else int(grade),
        last_graded_start=graded_start,
        last_graded_published=_day(school.get("inspection_published")),
        category_of_concern=category if isinstance(category, str) and category else None,
        last_ungraded_start=ungraded,
        last_any_start=_day(last.get("last_any")),
        inherited=bool(school.get("inherited")),
        open_date=_day(school.get("open_date")),
        phase=school.get("phase") if isinstance(school.get("phase"), str) else None,
        report_card=school.get("grade_source") == REPORT_CARD_SOURCE,
        as_of=_day(last.get("as_of")),
    )


def due_row(urn: int, due: InspectionDue) -> dict[str, object]:
    return {
        "urn": int(urn), "due_date": due.due, "due_rule": due.rule, "due_basis": due.basis,
        "due_as_of": due.as_of,
        "overdue": due.overdue, "days_overdue": due.days_overdue, "days_since_graded": due.days_since_graded,
        "days_since_any": due.days_since_any,
    }


def from_row(row: pd.Series) -> InspectionDue:
    """An `InspectionDue` back from its `due_table` row."""
    return InspectionDue(
        due=_day(row["due_date"]),
        rule=str(row["due_rule"]),
        basis=str(row["due_basis"]),
        as_of=_day(row["due_as_of"]) or date.today(),
        days_since_graded=None if pd.isna(row["days_since_graded"]) else int(row["days_since_graded"]),
        days_since_any=None if pd.isna(row["days_since_any"]) else int(row["days_since_any"]),
    )


def due_table(headlines: pd.DataFrame, members: pd.DataFrame, inspections: pd.DataFrame) -> pd.DataFrame:
    """`school_due` for every school of `headlines` at once: one row per URN (`DUE_COLUMNS`)."""
    last = last_inspections(headlines, members, inspections).reindex(headlines["urn"].astype("int64"))
    # Plain dicts of the columns school_due reads, not iterrows' Series: the same values, read several times
    # faster (22,000 schools).
    read = [column for column in ("urn", *SCHOOL_FIELDS) if column in headlines.columns]
    rows = [
        due_row(int(school["urn"]), school_due(school, record))
        for school, record in zip(headlines[read].to_dict("records"), last.to_dict("records"), strict=True)
    ]
    return pd.DataFrame(rows, columns=DUE_COLUMNS)
