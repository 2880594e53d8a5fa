"""Time the school drilldown's data work on the configured store; prints figures.

    DATABASE_URL=sqlite:///data/app.db python -m benchmarks.school_profile_benchmark

Once per data version (cached by the page): school list, links, LA/England sums in the database, the read
model's due table (stored per data version). Per school: lineage, inspections, timeline, its due-table row,
context and trends.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from analytics import derived, queries
from analytics import school_profile as sp
from analytics.config import get_settings
from analytics.due_dates import from_row
from analytics.store import data_version, get_engine

URNS = [100000, 137298, 141000, 143716, 139000, 120000]


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def main() -> None:
    engine = get_engine(get_settings().database_url)
    schools, t_schools = timed(lambda: queries.schools(engine, queries.Scope.england(), open_only=False))
    links, t_links = timed(lambda: queries.school_links(engine))
    groups, t_groups = timed(lambda: sp.comparison_groups(schools, links))
    sums, t_sums = timed(lambda: queries.context_sums_by_la(engine, groups, sp.WEIGHTS, sp.DIFFERENCES))
    due, t_due = timed(lambda: derived.load(engine, "due", data_version(engine)))
    print(
        f"once per data version: schools {t_schools:.2f} s, links {t_links:.2f} s, groups {t_groups:.2f} s, "
        f"LA/England sums in the database {t_sums:.2f} s ({len(sums):,} rows), due table {t_due:.2f} s"
    )
    by_urn = schools.set_index("urn")
    times = []
    for urn in URNS:
        if urn not in by_urn.index:
            continue
        start = time.perf_counter()
        school = by_urn.loc[urn].copy()
        school["urn"] = urn
        lineage = sp.school_lineage(links, urn)
        inspections = queries.inspections(engine, [urn, *lineage.predecessor_urns])
        timeline = sp.timeline(inspections, urn)
        due_rows = due.loc[due["urn"] == urn]
        if not due_rows.empty:
            from_row(due_rows.iloc[0])
        context = queries.context_values(engine, [urn, *lineage.predecessor_urns], sp.BENCHMARK_INPUTS)
        own = sp.school_context(context, urn, lineage.predecessor_urns)
        sp.trends(own, sp.benchmarks(sums, school.get("phase")), school.get("la_name"))
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        print(f"URN {urn}: {len(timeline)} inspections, {len(own)} context values: {elapsed * 1000:.0f} ms")
    print(f"per school: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
