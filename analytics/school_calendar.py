"""The school calendar: academic years (1 September - 31 August), terms, month and term ends.

One home for every date rule the product uses. Terms are approximate school terms, as LAs report them:
autumn September-December, spring January-March, summer April-August.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

TERMS: dict[str, tuple[int, int]] = {"Autumn": (9, 12), "Spring": (1, 3), "Summer": (4, 8)}
TERM_ORDER = ("Autumn", "Spring", "Summer")  # within an academic year
TERM_ENDS = ((12, 31), (3, 31), (8, 31))
PERIOD_KINDS = ("academic year", "term", "month")


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date


def academic_year_start(day: date) -> int:
    """Calendar year in which the academic year containing `day` starts (2023 for 2023/24)."""
    return day.year if day.month >= 9 else day.year - 1


def academic_year_end(day: date) -> date:
    """31 August closing the academic year that contains `day`."""
    return date(academic_year_start(day) + 1, 8, 31)


def academic_year_end_year(day: date) -> int:
    """Calendar year in which the academic year containing `day` ends (2024 for 2023/24): the `year` of the
    context values (DfE figures are filed under the year their academic year ends)."""
    return academic_year_start(day) + 1


def academic_year_end_years(days: pd.Series) -> pd.Series:
    """Vectorised `academic_year_end_year`: the calendar year in which each date's academic year ends."""
    return days.dt.year + (days.dt.month >= 9).astype(int)


def academic_year_label(start_year: int) -> str:
    return f"{start_year}/{str(start_year + 1)[-2:]}"


def academic_year(start_year: int) -> Period:
    return Period(academic_year_label(start_year), date(start_year, 9, 1), date(start_year + 1, 8, 31))


def term(name: str, year: int) -> Period:
    """Autumn = Sep-Dec, Spring = Jan-Mar, Summer = Apr-Aug of calendar `year`."""
    first, last = TERMS[name]
    end = (pd.Timestamp(year, last, 1) + pd.offsets.MonthEnd(0)).date()
    return Period(f"{name} {year}", date(year, first, 1), end)


def term_of(day: date) -> Period:
    """The term containing `day`."""
    name = next(n for n, (first, last) in TERMS.items() if first <= day.month <= last)
    return term(name, day.year)


def next_term(period: Period) -> Period:
    day = (pd.Timestamp(period.end) + pd.Timedelta(days=1)).date()
    return term_of(day)


def first_counted_term(start: date) -> Period:
    """The first term something started on `start` counts for: the term it starts in if it starts by that
    term's midpoint, else the next one (support starting in the last weeks of a term counts from the next)."""
    current = term_of(start)
    midpoint = current.start + (current.end - current.start) / 2
    return current if start <= midpoint else next_term(current)


def end_of_term_count(start: date, terms: int) -> date:
    """End of the `terms`-th counted term from `start` (see `first_counted_term`)."""
    period = first_counted_term(start)
    for _ in range(terms - 1):
        period = next_term(period)
    return period.end


def month(year: int, number: int) -> Period:
    start = pd.Timestamp(year, number, 1)
    return Period(start.strftime("%B %Y"), start.date(), (start + pd.offsets.MonthEnd(0)).date())


def month_end_before(day: date) -> date:
    """The last month end strictly before `day` (31 October for any day in November)."""
    return (pd.Timestamp(day).replace(day=1) - pd.Timedelta(days=1)).date()


def periods(kind: str, first: date, last: date) -> list[Period]:
    """Every period of a kind overlapping [first, last], newest first."""
    out: list[Period] = []
    if kind == "academic year":
        out = [academic_year(y) for y in range(first.year - 1, last.year + 1)]
    elif kind == "term":
        out = [
            term(name, y) for y in range(first.year, last.year + 1) for name in ("Spring", "Summer", "Autumn")
        ]
    elif kind == "month":
        out = [
            month(d.year, d.month) for d in pd.date_range(pd.Timestamp(first).replace(day=1), last, freq="MS")
        ]
    else:
        raise ValueError(f"unknown period kind {kind!r}: one of {', '.join(PERIOD_KINDS)}")
    return [p for p in reversed(out) if p.end >= first and p.start <= last]


def as_at_dates(start: date, end: date, freq: str = "term") -> list[pd.Timestamp]:
    """Month ends ('month'), term ends ('term': 31 Dec, 31 Mar, 31 Aug) or year ends ('year': 31 Aug)."""
    months = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="ME")
    if freq == "month":
        picked = months
    elif freq == "term":
        picked = months[[(m.month, m.day) in TERM_ENDS for m in months]]
    elif freq == "year":
        picked = months[months.month == 8]
    else:
        raise ValueError(f"unknown frequency {freq!r}: month, term or year")
    return list(picked)
