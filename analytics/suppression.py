"""Small-number suppression for member-facing views and exports (DESIGN.md section 5).

One function family, used by every member-facing page and every export:

- **Primary**: a pupil-derived count from 1 to the threshold (setting `SUPPRESSION_THRESHOLD`, default 5) is
  hidden. A zero is shown (it describes no one). A share whose denominator is at or below the threshold is
  hidden, with its numerator and its denominator.
- **Secondary**: where a table also publishes totals (a total column, a total row), a hidden cell must not be
  recoverable by subtraction. Every published total is a linear equation over the cells it adds up; a hidden
  cell is *recoverable* when those equations determine it. More cells (the smallest available first, in a line
  with the recoverable cell) are hidden until no hidden cell is recoverable.

Suppressed cells become `SUPPRESSED` ("c", DfE's marker) in the returned table, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

SUPPRESSED = "c"
DEFAULT_THRESHOLD = 5


def threshold() -> int:
    """The configured threshold (`SUPPRESSION_THRESHOLD`)."""
    from analytics.config import get_settings

    return int(get_settings().suppression_threshold)


def primary(values: np.ndarray, limit: int) -> np.ndarray:
    """Counts from 1 to `limit` (missing values are not counts and stay as they are)."""
    numbers = np.asarray(values, dtype=float)
    return (numbers >= 1) & (numbers <= limit) & ~np.isnan(numbers)


# ---------------------------------------------------------------------------------------- a grid with totals


@dataclass(frozen=True)
class Grid:
    """Counts in rows x columns, and which margins are published.

    With `row_totals`, column -1 of `cells` is each row's total; with `column_totals`, row -1 is each column's
    total (and, with both, the bottom-right cell is the grand total).
    """

    cells: np.ndarray
    row_totals: bool
    column_totals: bool

    def equations(self) -> np.ndarray:
        """One row per published total: coefficients over the flattened cells (+1 parts, -1 the total)."""
        rows, cols = self.cells.shape
        body_rows = rows - 1 if self.column_totals else rows
        body_cols = cols - 1 if self.row_totals else cols
        out = []
        if self.row_totals:
            for r in range(rows):
                line = np.zeros((rows, cols))
                line[r, :body_cols] = 1
                line[r, cols - 1] = -1
                out.append(line.ravel())
        if self.column_totals:
            for c in range(cols):
                line = np.zeros((rows, cols))
                line[:body_rows, c] = 1
                line[rows - 1, c] = -1
                out.append(line.ravel())
        return np.array(out) if out else np.zeros((0, rows * cols))


def recoverable(equations: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Which hidden cells the published equations determine (flattened mask).

    Published cells are known, so only the columns of hidden cells matter: a hidden cell k is determined when
    the unit vector e_k lies in the row space of the equations restricted to the hidden cells.
    """
    found = np.zeros(hidden.size, dtype=bool)
    positions = np.flatnonzero(hidden)
    if positions.size == 0 or equations.shape[0] == 0:
        return found
    restricted = equations[:, positions]
    restricted = restricted[np.any(restricted != 0, axis=1)]
    if restricted.shape[0] == 0:
        return found
    rank = np.linalg.matrix_rank(restricted)
    for index, position in enumerate(positions):
        unit = np.zeros(positions.size)
        unit[index] = 1.0
        if np.linalg.matrix_rank(np.vstack([restricted, unit])) == rank:
            found[position] = True
    return found


def suppress_grid(grid: Grid, limit: int) -> np.ndarray:
    """The cells to hide (rows x columns mask): primary, then secondary until nothing hidden is recoverable.
    """
    hidden = primary(grid.cells, limit).ravel()
    equations = grid.equations()
    values = np.nan_to_num(np.asarray(grid.cells, dtype=float), nan=np.inf).ravel()
    while True:
        exposed = recoverable(equations, hidden)
        if not exposed.any():
            return hidden.reshape(grid.cells.shape)
        target = int(np.flatnonzero(exposed)[0])
        partner = _partner(equations, hidden, values, target)
        if partner is None:  # every cell beside it is hidden: it is recovered through other lines
            partner = _any_partner(equations, hidden, values, target)
        hidden[partner] = True


def _partner(equations: np.ndarray, hidden: np.ndarray, values: np.ndarray, target: int) -> int | None:
    """The published cell to hide with `target`: in an equation with it, smallest value first, parts before
    totals (a total is hidden only when no part is left), then the first in the table."""
    lines = equations[equations[:, target] != 0]
    best: tuple[float, int, int] | None = None
    for line in lines:
        for position in np.flatnonzero(line):
            if hidden[position] or position == target:
                continue
            key = (values[position], 1 if line[position] < 0 else 0, int(position))
            if best is None or key < best:
                best = key
    return None if best is None else best[2]


def _any_partner(equations: np.ndarray, hidden: np.ndarray, values: np.ndarray, target: int) -> int:
    """The smallest published cell whose hiding stops `target` being recoverable (else the smallest of all).
    """
    published = [int(p) for p in np.flatnonzero(~hidden)]
    helpful = []
    for position in published:
        trial = hidden.copy()
        trial[position] = True
        if not recoverable(equations, trial)[target]:
            helpful.append(position)
    pool = helpful or published
    return min(pool, key=lambda p: (values[p], p))


# ------------------------------------------------------------------------------------------ tables


def suppress_table(
    frame: pd.DataFrame,
    counts: Sequence[str],
    *,
    total_column: str | None = None,
    total_row: object | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """`frame` with its pupil-derived `counts` suppressed (object columns; `SUPPRESSED` where hidden).

    `total_column`, if given, is one of `counts` and holds each row's total of the other counts; `total_row`,
    if given, is the index label of the row that totals the others (its counts are column totals). Cells are
    hidden primarily (1 to `limit`) and then secondarily so that no hidden cell can be recovered from the
    totals."""
    limit = threshold() if limit is None else limit
    columns = list(counts)
    if total_column is not None:
        columns = [c for c in columns if c != total_column] + [total_column]
    order = list(frame.index)
    if total_row is not None:
        order = [i for i in order if i != total_row] + [total_row]
    cells = frame.loc[order, columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    grid = Grid(cells, row_totals=total_column is not None, column_totals=total_row is not None)
    hidden = pd.DataFrame(suppress_grid(grid, limit), index=order, columns=columns).reindex(frame.index)
    out = frame.copy()
    for column in columns:
        out[column] = out[column].astype(object).where(~hidden[column], SUPPRESSED)
    return out


def suppress_shares(
    frame: pd.DataFrame, shares: dict[str, tuple[str, str]], *, limit: int | None = None
) -> pd.DataFrame:
    """Hide each share (column -> (numerator, denominator)) whose denominator is from 1 to `limit`, with its
    numerator and denominator, and any numerator from 1 to `limit` (it is a pupil-derived count too)."""
    limit = threshold() if limit is None else limit
    out = frame.copy()
    for share, (numerator, denominator) in shares.items():
        small = primary(pd.to_numeric(frame[denominator], errors="coerce").to_numpy(), limit)
        few = primary(pd.to_numeric(frame[numerator], errors="coerce").to_numpy(), limit)
        for column, mask in ((share, small | few), (numerator, small | few), (denominator, small)):
            out[column] = out[column].astype(object).where(~mask, SUPPRESSED)
    return out


def suppress_value(value: object, *, limit: int | None = None) -> object:
    """One pupil-derived figure shown to members (e.g. a school's pupils on roll): `SUPPRESSED` if small."""
    limit = threshold() if limit is None else limit
    number = pd.to_numeric(pd.Series([value]), errors="coerce").to_numpy(dtype=float)
    return SUPPRESSED if bool(primary(number, limit)[0]) else value
