"""How old the data are: the newest Ofsted release's "as at" date, its age in words, and whether it is stale.

    describe(date(2026, 5, 31), date(2026, 11, 30)).line
    -> 'Ofsted data as at 31 May 2026 (5 months old)'

A release is stale when today is more than two calendar months after its as-at date (Ofsted publishes the
management information monthly, so two months means at least one release has been missed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

#: Months after its as-at date beyond which the newest Ofsted release is flagged as out of date.
STALE_AFTER_MONTHS = 2


@dataclass(frozen=True)
class Freshness:
    as_at: date
    today: date
    age: str  # "12 days old", "5 months old", "1 year 2 months old"
    stale: bool

    @property
    def line(self) -> str:
        return f"Ofsted data as at {self.as_at:%d %B %Y} ({self.age})"

    @property
    def warning(self) -> str:
        return (
            f"The newest Ofsted release in the store is as at {self.as_at:%d %B %Y}, more than "
            f"{STALE_AFTER_MONTHS} months ago: inspections since then are missing from every figure. Import "
            "Ofsted's latest monthly management-information file on the Data page."
        )


def whole_months(start: date, end: date) -> int:
    """Complete calendar months from `start` to `end` (15 May -> 14 Jun is 0; month end to month end, as
    31 May -> 30 Jun, is 1)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    last_day_of_end = (pd.Timestamp(end) + pd.offsets.MonthEnd(0)).date() == end
    if end.day < start.day and not last_day_of_end:
        months -= 1
    return months


def age_text(as_at: date, today: date) -> str:
    """The age of data dated `as_at` on `today`, in words."""
    days = (today - as_at).days
    if days < 0:
        return "dated after today"
    if days == 0:
        return "today"
    months = whole_months(as_at, today)
    if months < 1:
        return f"{days} day{'s' if days != 1 else ''} old"
    years, months = divmod(months, 12)
    parts = [f"{years} year{'s' if years != 1 else ''}"] if years else []
    if months or not years:
        parts.append(f"{months} month{'s' if months != 1 else ''}")
    return " ".join(parts) + " old"


def is_stale(as_at: date, today: date) -> bool:
    """True when today is after the as-at date plus two calendar months (month ends stay month ends)."""
    limit = pd.Timestamp(as_at) + pd.DateOffset(months=STALE_AFTER_MONTHS)
    if (pd.Timestamp(as_at) + pd.offsets.MonthEnd(0)).date() == as_at:
        limit = limit + pd.offsets.MonthEnd(0)
    return today > limit.date()


def describe(as_at: date, today: date) -> Freshness:
    return Freshness(as_at, today, age_text(as_at, today), is_stale(as_at, today))
