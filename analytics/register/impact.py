"""Impact of interventions: each closed intervention's outcomes before and after, and supported schools
against similar schools without support (descriptive, with counts and an honest interval).

Before = the last figure before the intervention started; after = the first after it started (graded
inspection) or after it ended (attendance, attainment: the first academic year ending after the end date).
Inspections and figures of a school's predecessors count (its lineage), as elsewhere in the product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from analytics import lineage
from analytics.grades import grade_label
from analytics.metrics import movement
from analytics.queries import Scope, context_values, inspections, school_headlines
from analytics.register import interventions as iv
from analytics.register.rules import current_context, lineage_links
from analytics.register.schemes import CLOSED_STATUSES
from analytics.school_calendar import academic_year_end_year

MIN_FOR_COMPARISON = 20
OUTCOME_MEASURES = {
    "pct_absence": "Absence %",
    "ks2_rwm_expected": "KS2 RWM expected %",
    "ks4_progress8": "Progress 8",
}
IMPACT_COLUMNS = [
    "id",
    "urn",
    "name",
    "type",
    "start_date",
    "end_date",
    "status",
    "outcome",
    "grade_before",
    "inspected_before",
    "grade_after",
    "inspected_after",
    "movement",
    *[f"{label} {when}" for label in OUTCOME_MEASURES.values() for when in ("before", "after")],
]


def _lineage_inspections(engine: Engine, urns: list[int]) -> tuple[pd.DataFrame, pd.Series]:
    current = lineage.current_urn_map(lineage_links(engine, urns))
    predecessors = [int(u) for u in current.loc[current.isin(urns)].index]
    found = inspections(engine, urns + predecessors)
    if found.empty:
        return found, current
    found = found.loc[found["is_graded"].astype(bool) & found["grade"].notna()].copy()
    found["current_urn"] = found["urn"].map(current).fillna(found["urn"]).astype("int64")
    found["start"] = pd.to_datetime(found["start_date"])
    return found.sort_values("start"), current


def intervention_impact(engine: Engine, scope: Scope, today: date | None = None) -> pd.DataFrame:
    """One row per closed intervention in scope: grade, attendance and attainment before and after."""
    frame = iv.interventions(engine, scope, today)
    closed = frame.loc[frame["status"].isin(CLOSED_STATUSES)] if not frame.empty else frame
    if closed.empty:
        return pd.DataFrame(columns=IMPACT_COLUMNS)
    urns = sorted({int(u) for u in closed["urn"]})
    graded, current = _lineage_inspections(engine, urns)
    predecessors = [int(u) for u in current.loc[current.isin(urns)].index]
    context = current_context(context_values(engine, urns + predecessors, list(OUTCOME_MEASURES)), current)
    rows = []
    for _, item in closed.iterrows():
        start, end = pd.Timestamp(item["start_date"]), pd.Timestamp(item["end_date"] or item["start_date"])
        mine = graded.loc[graded["current_urn"] == int(item["urn"])] if not graded.empty else graded
        before = mine.loc[mine["start"] < start].tail(1) if not mine.empty else mine
        after = mine.loc[mine["start"] >= start].head(1) if not mine.empty else mine
        row = {
            "id": int(item["id"]),
            "urn": int(item["urn"]),
            "name": item["name"],
            "type": item["type"],
            "start_date": item["start_date"],
            "end_date": item["end_date"],
            "status": item["status"],
            "outcome": item["outcome"],
            "grade_before": _grade(before),
            "inspected_before": _start(before),
            "grade_after": _grade(after),
            "inspected_after": _start(after),
            "movement": _movement(before, after),
        }
        ctx = context.loc[context["urn"] == int(item["urn"])]
        first_after = academic_year_end_year(end.date())
        last_before = academic_year_end_year(start.date()) - 1
        for measure, label in OUTCOME_MEASURES.items():
            values = ctx.loc[ctx["measure"] == measure].set_index("year")["value"].sort_index()
            earlier, later = values.loc[values.index <= last_before], values.loc[values.index >= first_after]
            row[f"{label} before"] = _figure(earlier.tail(1))
            row[f"{label} after"] = _figure(later.head(1))
        rows.append(row)
    return pd.DataFrame(rows, columns=IMPACT_COLUMNS)


def _grade(rows: pd.DataFrame) -> str | None:
    if rows.empty:
        return None
    row = rows.iloc[0]
    return grade_label(row["grade"], row["start"].date())


def _start(rows: pd.DataFrame) -> date | None:
    return None if rows.empty else rows.iloc[0]["start"].date()


def _movement(before: pd.DataFrame, after: pd.DataFrame) -> str:
    if after.empty:
        return "no graded inspection since it started"
    if before.empty:
        return "first graded inspection"
    result = movement(after["grade"].reset_index(drop=True), before["grade"].reset_index(drop=True)).iloc[0]
    return str(result)


def _figure(values: pd.Series) -> str | None:
    if values.empty:
        return None
    return f"{values.iloc[0]:.1f} ({int(values.index[0]) - 1}/{str(int(values.index[0]))[-2:]})"


@dataclass(frozen=True)
class Comparison:
    supported: int
    supported_improved: int
    supported_interval: tuple[float, float] | None
    comparison_schools: int
    comparison_improved_share: float | None
    descriptive_only: bool
    text: str


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score 95% interval for a proportion (None without observations)."""
    if total == 0:
        return None
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def supported_vs_similar(engine: Engine, scope: Scope, today: date | None = None) -> Comparison:
    """Share of supported schools whose first graded inspection after support began improved on the one
    before, against schools without support of the same phase and grade before, over the same dates."""
    frame = iv.interventions(engine, scope, today)
    heads = school_headlines(engine, scope)
    if frame.empty or heads.empty:
        return Comparison(0, 0, None, 0, None, True, "No interventions are recorded yet: nothing to compare.")
    first = frame.sort_values("start_date").drop_duplicates("urn")
    urns = [int(u) for u in heads["urn"]]
    graded, _ = _lineage_inspections(engine, urns)
    phases = heads.set_index("urn")["phase"]
    supported_urns = set(first["urn"].astype(int))
    results, comparison_shares, comparison_count = [], [], 0
    for _, item in first.iterrows():
        start = pd.Timestamp(item["start_date"])
        before_after = _grades_around(graded, start)
        mine = before_after.get(int(item["urn"]))
        if mine is None or mine[1] is None or mine[0] is None:
            continue
        results.append(_improved(*mine))
        peers = [
            u
            for u, (b, a) in before_after.items()
            if u not in supported_urns
            and a is not None
            and b == mine[0]
            and phases.get(u) == phases.get(int(item["urn"]))
        ]
        if peers:
            comparison_count += len(peers)
            improved_peers = sum(_improved(*before_after[u]) for u in peers)
            comparison_shares.append(improved_peers / len(peers))
    n, improved = len(results), int(sum(results))
    share = sum(comparison_shares) / len(comparison_shares) if comparison_shares else None
    descriptive = n < MIN_FOR_COMPARISON
    interval = wilson(improved, n)
    text = (
        f"{improved} of {n} supported schools with a graded inspection before and after support began "
        "improved their grade"
    )
    if interval is not None:
        text += f" ({improved / n:.0%}; 95% interval {interval[0]:.0%} to {interval[1]:.0%})"
    text += "."
    if share is not None:
        text += (
            f" Similar schools without support (same phase and grade, same dates; {comparison_count} "
            f"comparisons): {share:.0%} improved."
        )
    if descriptive:
        text += (
            f" Fewer than {MIN_FOR_COMPARISON} supported schools have an outcome: descriptive only, no "
            "conclusion about effectiveness can be drawn."
        )
    return Comparison(n, improved, interval, comparison_count, share, descriptive, text)


def _improved(before: float | None, after: float | None) -> bool:
    return before is not None and after is not None and after < before


def _grades_around(graded: pd.DataFrame, start: pd.Timestamp) -> dict[int, tuple[float | None, float | None]]:
    """Per school (today's URN): grade at the last graded inspection before `start` and the first after."""
    if graded.empty:
        return {}
    before = graded.loc[graded["start"] < start].groupby("current_urn")["grade"].last()
    after = graded.loc[graded["start"] >= start].groupby("current_urn")["grade"].first()
    urns = set(before.index) | set(after.index)
    return {int(u): (before.get(u), after.get(u)) for u in urns}
