"""Inspection due-date rules on constructed cases, boundary dates included (expected dates worked by hand)."""

from datetime import date

import pandas as pd
import pytest

from analytics import due_dates as dd
from analytics import school_calendar


@pytest.mark.parametrize(
    ("day", "end"),
    [
        (date(2019, 8, 31), date(2019, 8, 31)),  # last day of 2018/19
        (date(2019, 9, 1), date(2020, 8, 31)),  # first day of 2019/20
        (date(2020, 1, 15), date(2020, 8, 31)),
    ],
)
def test_academic_year_end(day: date, end: date) -> None:
    assert dd.academic_year_end(day) == end
    # The year the context values of that academic year are filed under, one date and a column of dates.
    assert school_calendar.academic_year_end_year(day) == end.year
    assert school_calendar.academic_year_end_years(pd.Series(pd.to_datetime([day]))).tolist() == [end.year]


def test_statutory_maximum_boundaries() -> None:
    # Inspected on the last day of 2018/19: five academic years after 31/08/2019.
    assert dd.statutory_maximum(date(2019, 8, 31)) == date(2024, 8, 31)
    # One day later is in 2019/20: a year more.
    assert dd.statutory_maximum(date(2019, 9, 1)) == date(2025, 8, 31)


def test_outstanding_uses_statutory_maximum_and_flags_overdue_the_day_after() -> None:
    kwargs = {"grade": 1, "last_graded_start": date(2021, 10, 5), "phase": "Special"}
    on_time = dd.inspection_due(**kwargs, as_of=date(2027, 8, 31))
    late = dd.inspection_due(**kwargs, as_of=date(2027, 9, 1))
    assert on_time.due == date(2027, 8, 31) and on_time.rule == dd.STATUTORY
    assert not on_time.overdue
    assert late.overdue and late.days_overdue == 1


def test_good_four_years_after_last_routine_inspection() -> None:
    due = dd.inspection_due(grade=2, last_graded_start=date(2016, 2, 29), as_of=date(2020, 1, 1))
    assert due.rule == dd.GOOD
    assert due.due == date(2020, 2, 29)  # leap year to leap year
    assert dd.inspection_due(
        grade=2, last_graded_start=date(2012, 2, 29), as_of=date(2016, 1, 1)
    ).due == date(2016, 2, 29)
    assert dd.add_months(date(2016, 2, 29), 12) == date(2017, 2, 28)
    later = dd.inspection_due(
        grade=2,
        last_graded_start=date(2015, 3, 1),
        last_ungraded_start=date(2019, 6, 12),
        as_of=date(2024, 1, 1),
    )
    assert later.due == date(2023, 6, 12)
    assert "ungraded" in later.basis
    assert later.overdue and later.days_overdue == (date(2024, 1, 1) - date(2023, 6, 12)).days


def test_requires_improvement_30_months_after_publication() -> None:
    due = dd.inspection_due(
        grade=3,
        last_graded_start=date(2022, 7, 20),
        last_graded_published=date(2022, 8, 31),
        as_of=date(2025, 2, 28),
    )
    assert due.rule == dd.REQUIRES_IMPROVEMENT
    assert due.due == date(2025, 2, 28)  # 31 Aug + 30 months clips to 28 Feb
    assert not due.overdue
    assert dd.inspection_due(
        grade=3,
        last_graded_start=date(2022, 7, 20),
        last_graded_published=date(2022, 8, 31),
        as_of=date(2025, 3, 1),
    ).overdue


def test_requires_improvement_without_publication_uses_start() -> None:
    due = dd.inspection_due(grade=3, last_graded_start=date(2023, 1, 10), as_of=date(2024, 1, 1))
    assert due.due == date(2025, 7, 10)


@pytest.mark.parametrize(("grade", "category"), [(4, "SM"), (4, "SWK"), (4, None)])
def test_category_of_concern_monitoring_and_30_months(grade: int, category: str | None) -> None:
    due = dd.inspection_due(
        grade=grade,
        category_of_concern=category,
        last_graded_start=date(2023, 11, 1),
        last_graded_published=date(2024, 1, 9),
        as_of=date(2024, 6, 1),
    )
    assert due.rule == dd.CATEGORY
    assert "monitoring" in due.rule
    assert due.due == date(2026, 7, 9)


def test_formerly_exempt_outstanding() -> None:
    due = dd.inspection_due(
        grade=1, last_graded_start=date(2012, 3, 1), phase="Primary", as_of=date(2025, 8, 31)
    )
    assert due.rule == dd.FORMERLY_EXEMPT
    assert due.due == date(2026, 8, 31)
    assert not due.overdue
    # Special schools were never exempt: statutory maximum, long overdue.
    special = dd.inspection_due(
        grade=1, last_graded_start=date(2012, 3, 1), phase="Special", as_of=date(2025, 8, 31)
    )
    assert special.rule == dd.STATUTORY and special.due == date(2017, 8, 31) and special.overdue


def test_new_school_and_not_inspected_in_current_form() -> None:
    new = dd.inspection_due(
        grade=None, last_graded_start=None, open_date=date(2022, 9, 1), as_of=date(2025, 9, 1)
    )
    assert new.rule == dd.NEW_SCHOOL
    assert new.due == date(2025, 8, 31)
    assert new.overdue and new.days_since_graded is None and new.days_since_any is None
    # A converter academy whose only graded inspection belongs to its predecessor.
    academy = dd.inspection_due(
        grade=2,
        last_graded_start=date(2017, 5, 3),
        inherited=True,
        open_date=date(2023, 4, 1),
        as_of=date(2025, 1, 1),
    )
    assert academy.rule == dd.NEW_SCHOOL and academy.due == date(2025, 8, 31)
    assert academy.days_since_graded == (date(2025, 1, 1) - date(2017, 5, 3)).days


def test_no_inspection_and_no_open_date() -> None:
    due = dd.inspection_due(grade=None, last_graded_start=None, as_of=date(2025, 1, 1))
    assert due.due is None and due.rule == dd.NO_BASIS and not due.overdue


def test_days_since_any_uses_the_latest_inspection() -> None:
    due = dd.inspection_due(
        grade=2,
        last_graded_start=date(2020, 1, 1),
        last_ungraded_start=date(2024, 1, 1),
        as_of=date(2024, 1, 11),
    )
    assert due.days_since_any == 10
    assert due.days_since_graded == (date(2024, 1, 11) - date(2020, 1, 1)).days


def test_report_card_not_graded_on_1_to_4() -> None:
    due = dd.inspection_due(
        grade=None, last_graded_start=date(2025, 11, 20), report_card=True, as_of=date(2026, 1, 1)
    )
    assert due.rule == dd.REPORT_CARD and due.due == date(2031, 8, 31)


def test_inherited_grade_with_ungraded_inspection_in_current_form() -> None:
    """A converter academy (opened 2011, predecessor Good in 2011) had an ungraded inspection in 2025."""
    due = dd.inspection_due(
        grade=2,
        last_graded_start=date(2011, 3, 1),
        inherited=True,
        open_date=date(2011, 8, 17),
        last_ungraded_start=date(2025, 1, 22),
        as_of=date(2025, 8, 31),
    )
    assert due.rule == dd.GOOD
    assert due.due == date(2029, 1, 22)
    assert not due.overdue
    # The same school without that inspection is a new school, long overdue.
    never = dd.inspection_due(
        grade=2,
        last_graded_start=date(2011, 3, 1),
        inherited=True,
        open_date=date(2011, 8, 17),
        as_of=date(2025, 8, 31),
    )
    assert never.rule == dd.NEW_SCHOOL and never.due == date(2013, 8, 31) and never.overdue
