"""Small-number suppression (issue 13): property tests over generated tables, checked by an independent exact
computation of what the published figures determine (rational Gaussian elimination, not numpy's rank)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.suppression import (
    SUPPRESSED,
    suppress_shares,
    suppress_table,
    suppress_value,
)

LIMIT = 5


def _rank(rows: list[list[Fraction]]) -> int:
    """Exact rank by Gaussian elimination over the rationals."""
    matrix = [row[:] for row in rows if any(row)]
    rank, width = 0, len(matrix[0]) if matrix else 0
    for column in range(width):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][column] != 0), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for r in range(len(matrix)):
            if r != rank and matrix[r][column] != 0:
                factor = matrix[r][column] / matrix[rank][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank], strict=True)]
        rank += 1
    return rank


def determined_cells(shown: pd.DataFrame, total_column: str | None, total_row: object | None) -> set[tuple]:
    """Hidden cells an attacker can compute exactly from the published cells and totals of `shown`."""
    columns = list(shown.columns)
    parts = [c for c in columns if c != total_column]
    rows = list(shown.index)
    body = [r for r in rows if r != total_row]
    hidden = [(r, c) for r in rows for c in columns if shown.loc[r, c] == SUPPRESSED]
    position = {cell: i for i, cell in enumerate(hidden)}
    equations: list[list[Fraction]] = []

    def equation(cells: list[tuple], total: tuple) -> None:
        line = [Fraction(0)] * len(hidden)
        for cell, sign in [*((c, 1) for c in cells), (total, -1)]:
            if cell in position:
                line[position[cell]] += sign
        equations.append(line)

    if total_column is not None:
        for r in rows:
            equation([(r, c) for c in parts], (r, total_column))
    if total_row is not None:
        for c in columns:
            equation([(r, c) for r in body], (total_row, c))
    base = _rank(equations) if equations else 0
    found = set()
    for cell, i in position.items():
        unit = [Fraction(0)] * len(hidden)
        unit[i] = Fraction(1)
        if equations and _rank([*equations, unit]) == base:
            found.add(cell)
    return found


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, str | None, object | None]:
    """A table of counts (many small ones), optionally with a total column and/or a total row."""
    n_rows = draw(st.integers(1, 6))
    n_cols = draw(st.integers(1, 4))
    value = st.one_of(st.integers(0, 7), st.integers(0, 60))
    data = np.array([[draw(value) for _ in range(n_cols)] for _ in range(n_rows)])
    frame = pd.DataFrame(data, index=[f"district {i}" for i in range(n_rows)],
                         columns=[f"count {j}" for j in range(n_cols)])
    total_column = "Total" if draw(st.booleans()) else None
    if total_column:
        frame[total_column] = frame.sum(axis=1)
    total_row = "All districts" if draw(st.booleans()) else None
    if total_row:
        frame.loc[total_row] = frame.sum(axis=0)
    return frame, total_column, total_row


@settings(max_examples=1000, deadline=None)
@given(tables())
def test_no_small_count_is_shown_and_no_hidden_cell_can_be_recovered(
    case: tuple[pd.DataFrame, str | None, object | None],
) -> None:
    frame, total_column, total_row = case
    shown = suppress_table(
        frame, list(frame.columns), total_column=total_column, total_row=total_row, limit=LIMIT
    )
    for r in frame.index:
        for c in frame.columns:
            value = int(frame.loc[r, c])
            if 1 <= value <= LIMIT:
                assert shown.loc[r, c] == SUPPRESSED, (r, c, value)
            elif shown.loc[r, c] != SUPPRESSED:
                assert shown.loc[r, c] == value, "a published figure is unchanged"
    assert not determined_cells(shown, total_column, total_row)


def test_a_single_hidden_cell_in_a_row_with_a_total_takes_a_partner() -> None:
    frame = pd.DataFrame({"Good": [40, 3], "RI": [10, 20]}, index=["North", "South"])
    frame["Total"] = frame.sum(axis=1)
    shown = suppress_table(frame, ["Good", "RI", "Total"], total_column="Total", limit=LIMIT)
    assert shown.loc["South", "Good"] == SUPPRESSED
    assert shown.loc["South", "RI"] == SUPPRESSED, "else 23 - 20 gives the hidden 3"
    assert shown.loc["North"].tolist() == [40, 10, 50]


def test_zero_is_shown_and_missing_stays_missing() -> None:
    frame = pd.DataFrame({"pupils": [0, 4, None, 120]})
    shown = suppress_table(frame, ["pupils"], limit=LIMIT)
    assert shown["pupils"].tolist()[0] == 0 and shown["pupils"].tolist()[1] == SUPPRESSED
    assert pd.isna(shown["pupils"].tolist()[2]) and shown["pupils"].tolist()[3] == 120


def test_shares_with_a_small_denominator_are_hidden_with_their_parts() -> None:
    frame = pd.DataFrame({"good": [3, 30, 2], "graded": [4, 40, 30], "pct": [75.0, 75.0, 6.7]})
    shown = suppress_shares(frame, {"pct": ("good", "graded")}, limit=LIMIT)
    assert shown.loc[0].tolist() == [SUPPRESSED, SUPPRESSED, SUPPRESSED]
    assert shown.loc[1].tolist() == [30, 40, 75.0]
    assert shown.loc[2].tolist() == [SUPPRESSED, 30, SUPPRESSED], "2 of 30: the count is small"


def test_one_figure() -> None:
    assert suppress_value(1, limit=LIMIT) == SUPPRESSED
    assert suppress_value(6, limit=LIMIT) == 6
    assert suppress_value(None, limit=LIMIT) is None
