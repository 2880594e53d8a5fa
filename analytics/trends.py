"""Grades "as at" past dates, rebuilt from every graded inspection in the store (DESIGN.md sections 2-3).

Pure pandas. Each of today's open schools is followed back through its predecessors (a URN -> current URN
map built from GIAS links and/or Ofsted's own "URN at time of inspection" pointers); at each date a school
holds the grade of the latest graded inspection of its lineage that started on or before that date. A school
counts at a date when it was open then (no open date, or opened on/before it) or when its lineage already
had an inspection. Schools that closed without a successor are not in today's files and so are not counted
(stated in the pages).

Coverage: the history file ends in February 2020 and the official file holds only each school's latest and
previous graded inspections, so a school's grade at a date is *known exactly* only before March 2020 or
on/after the start of its previous graded inspection in the official file (its latest, when it has no
previous one).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from analytics.grades import good_or_better, stuck_below_good
from analytics.lineage import lineage_map

GAP_START = pd.Timestamp(2020, 3, 1)
COUNT_COLUMNS = (
    "schools",
    "schools_with_grade",
    "schools_good_or_outstanding",
    "pupils_with_grade",
    "pupils_good_or_outstanding",
    "schools_requires_improvement",
    "schools_inadequate",
    "schools_serious_weaknesses",
    "schools_special_measures",
    "schools_stuck_below_good",
    "schools_uninspected",
    "schools_known_exactly",
)


def lineage_inspections(inspections: pd.DataFrame, mapping: pd.Series) -> pd.DataFrame:
    """Graded inspections with a 1-4 grade, tagged with the current URN, with the lineage's previous grade."""
    graded = inspections[inspections["grade"].notna()].copy()
    graded["current_urn"] = graded["urn"].map(mapping)
    graded = graded[graded["current_urn"].notna()].copy()
    graded["current_urn"] = graded["current_urn"].astype("int64")
    graded["start"] = pd.to_datetime(graded["start_date"]).astype("datetime64[ns]")
    graded = graded.sort_values(["current_urn", "start"], kind="stable")
    graded["grade"] = graded["grade"].astype(float)
    grouped = graded.groupby("current_urn", sort=False)
    graded["previous_grade"] = grouped["grade"].shift(1)
    graded["previous_start"] = grouped["start"].shift(1)
    graded["previous_urn"] = grouped["urn"].shift(1)
    graded["inherited"] = graded["urn"] != graded["current_urn"]
    return graded.reset_index(drop=True)


def movement_lineage(
    schools: pd.DataFrame, inspections: pd.DataFrame, links: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Lineage inspections as `grade_panel` sees them: GIAS-only predecessors before opening, else Ofsted's.

    So the movement tables and the as-at grades agree, and the latest inspection's previous grade is Ofsted's.
    Where Ofsted's lineage has no previous graded inspection, a GIAS predecessor's (inherited) is used.
    """
    official = lineage_inspections(inspections, lineage_map(schools, inspections))
    if links is None or links.empty:
        return official
    full = lineage_inspections(inspections, lineage_map(schools, inspections, links))
    opened = pd.to_datetime(schools.set_index("urn")["open_date"], errors="coerce").astype("datetime64[ns]")
    full_before = full["start"] < full["current_urn"].map(opened)
    official_after = ~(official["start"] < official["current_urn"].map(opened))
    after = official[official_after].copy()
    key = ["current_urn", "urn", "start"]
    fill = after[key].merge(
        full[[*key, "previous_grade", "previous_start", "previous_urn"]], on=key, how="left"
    )
    missing = after["previous_grade"].isna().to_numpy() & fill["previous_grade"].notna().to_numpy()
    for column in ("previous_grade", "previous_start", "previous_urn"):
        after.loc[missing, column] = fill.loc[missing, column].to_numpy()
    both = pd.concat([full[full_before], after], ignore_index=True)
    return both.sort_values(["current_urn", "start"], kind="stable").reset_index(drop=True)


def exact_from(schools: pd.DataFrame, inspections: pd.DataFrame) -> pd.Series:
    """Per school: the date from which its grade history is complete (official previous, else latest)."""
    starts = inspections.dropna(subset=["inspection_number"]).set_index("inspection_number")["start_date"]
    urns = schools["urn"].to_numpy()

    def start_of(column: str) -> pd.Series:
        found = pd.to_datetime(starts.reindex(schools[column].to_numpy()).to_numpy()).as_unit("ns")
        return pd.Series(found, index=urns)

    known = start_of("previous_graded_number").fillna(start_of("latest_graded_number"))
    return known.fillna(pd.Timestamp.min)


def grade_panel(
    schools: pd.DataFrame,
    inspections: pd.DataFrame,
    dates: Iterable[pd.Timestamp | date],
    links: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (as-at date, school counted then): grade held, previous grade, inherited, exactness.

    `schools`: today's open schools (urn, open_date, graded-inspection pointers); `inspections`: every stored
    inspection with `grade` (queries.inspections); `links`: optional predecessor map (urn, current_urn).
    """
    when = pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in dates)).as_unit("ns")
    base = schools[["urn", "open_date"]].copy()
    base["open"] = pd.to_datetime(base["open_date"], errors="coerce").astype("datetime64[ns]")
    base["exact_from"] = exact_from(schools, inspections).to_numpy()
    grid = pd.DataFrame(
        {
            "as_at": np.repeat(when.to_numpy(), len(base)),
            "urn": np.tile(base["urn"].to_numpy(), len(when)),
        }
    )
    opened = np.tile(base["open"].to_numpy(), len(when))
    before = grid["as_at"].to_numpy() < opened  # NaT compares False
    official = lineage_inspections(inspections, lineage_map(schools, inspections))
    if links is None or links.empty or not before.any():
        panel = _as_at(grid, official)
    else:
        # GIAS-only predecessors count before the school opened; from then on Ofsted's own pointers decide.
        full = lineage_inspections(inspections, lineage_map(schools, inspections, links))
        panel = pd.concat([_as_at(grid[~before], official), _as_at(grid[before], full)], ignore_index=True)
    row = pd.Index(base["urn"]).get_indexer(panel["urn"])
    opened = base["open"].to_numpy()[row]
    since = base["exact_from"].to_numpy()[row]
    as_at = panel["as_at"].to_numpy()
    was_open = pd.isna(opened) | (opened <= as_at) | panel["grade"].notna().to_numpy()
    panel = panel[was_open].reset_index(drop=True)
    as_at, since = as_at[was_open], since[was_open]
    panel["known_exactly"] = (as_at < GAP_START.to_datetime64()) | (as_at >= since)
    return panel


def _as_at(grid: pd.DataFrame, lineage: pd.DataFrame) -> pd.DataFrame:
    """For each (as_at, urn) row of `grid`, the lineage's latest graded inspection started by as_at."""
    columns = [
        "current_urn",
        "start",
        "grade",
        "category_of_concern",
        "previous_grade",
        "inherited",
        "urn",
        "grade_source",
    ]
    right = lineage[columns].rename(columns={"urn": "inspection_urn"}).sort_values("start", kind="stable")
    for text in ("category_of_concern", "grade_source"):  # categorical: cheap to carry through 1M rows
        right[text] = right[text].astype(object).astype("category")
    ordered = grid.sort_values("as_at", kind="stable")
    found = pd.merge_asof(
        ordered,
        right,
        left_on="as_at",
        right_on="start",
        left_by="urn",
        right_by="current_urn",
        direction="backward",
    )
    return found.drop(columns=["current_urn"])


def panel_counts(panel: pd.DataFrame, schools: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Additive KPI components per as-at date (and `by` school columns, e.g. la_name, phase, sector).

    Pupils are today's pupils on roll (no historical rolls are stored).
    """
    by = by or []
    row = pd.Index(schools["urn"]).get_indexer(panel["urn"])
    pupils = pd.to_numeric(schools["pupils"], errors="coerce").fillna(0).to_numpy(dtype=float)[row]
    grade = panel["grade"].to_numpy(dtype=float)
    previous = panel["previous_grade"].to_numpy(dtype=float)
    graded = ~np.isnan(grade)
    good = good_or_better(grade)
    category = panel["category_of_concern"]
    parts = pd.DataFrame(
        {
            "schools": np.ones(len(panel), dtype=np.int64),
            "schools_with_grade": graded.astype(np.int64),
            "schools_good_or_outstanding": good.astype(np.int64),
            "pupils_with_grade": np.where(graded, pupils, 0.0),
            "pupils_good_or_outstanding": np.where(good, pupils, 0.0),
            "schools_requires_improvement": (grade == 3).astype(np.int64),
            "schools_inadequate": (grade == 4).astype(np.int64),
            "schools_serious_weaknesses": (category == "SWK").to_numpy(dtype=np.int64),
            "schools_special_measures": (category == "SM").to_numpy(dtype=np.int64),
            "schools_stuck_below_good": stuck_below_good(grade, previous).astype(np.int64),
            "schools_uninspected": (~graded).astype(np.int64),
            "schools_known_exactly": panel["known_exactly"].to_numpy(dtype=bool).astype(np.int64),
        }
    )
    parts["as_at"] = panel["as_at"].to_numpy()
    for key in by:  # categorical keys: factorise the ~22k schools once, then take codes for the 1M rows
        codes, uniques = pd.factorize(schools[key].astype(object))
        parts[key] = pd.Categorical.from_codes(codes[row], categories=pd.Index(uniques, dtype=object))
    keys = ["as_at", *by]
    out = parts.groupby(keys, dropna=False, observed=True)[list(COUNT_COLUMNS)].sum().reset_index()
    for key in by:
        out[key] = out[key].astype(object)
    return out


def kpi_series(counts: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Sum additive counts over everything but `by` and add the percentages."""
    keys = ["as_at", *(by or [])]
    out = counts.groupby(keys, dropna=False, observed=True)[list(COUNT_COLUMNS)].sum().reset_index()
    out["pct_schools_good_or_outstanding"] = _pct(
        out["schools_good_or_outstanding"], out["schools_with_grade"]
    )
    out["pct_pupils_good_or_outstanding"] = _pct(out["pupils_good_or_outstanding"], out["pupils_with_grade"])
    out["pct_schools_in_category"] = _pct(
        out["schools_serious_weaknesses"] + out["schools_special_measures"], out["schools_with_grade"]
    )
    out["pct_known_exactly"] = _pct(out["schools_known_exactly"], out["schools"])
    return out


def _pct(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (100.0 * part / whole.where(whole > 0)).round(1)
