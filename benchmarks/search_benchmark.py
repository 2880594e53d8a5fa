"""Time the school search (name, URN, postcode fragment) over every school in the store; prints figures.

    DATABASE_URL=sqlite:///data/app.db python -m benchmarks.search_benchmark

Target (issue 4): under 0.3 s per search across England. The index is built once per data version by the page.
"""

from __future__ import annotations

import statistics
import time

from analytics import queries
from analytics.config import get_settings
from analytics.school_profile import search, search_index
from analytics.store import get_engine

QUERIES = [
    "100000",
    "aldgate",
    "st mary",
    "EC3A 5DE",
    "ec3a",
    "m1 ",
    "primary school",
    "academy",
    "1409",
    "church of england",
    "xyzzy-no-match",
    "king's",
    "sw1",
]
REPEATS = 20


def main() -> None:
    engine = get_engine(get_settings().database_url)
    start = time.perf_counter()
    schools = queries.schools(engine, queries.Scope.england(), open_only=False)
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    index = search_index(schools)
    built = time.perf_counter() - start
    print(
        f"schools in index: {len(index):,}; load {loaded:.2f} s, "
        f"build index {built * 1000:.0f} ms (once per data version)"
    )
    worst = 0.0
    for query in QUERIES:
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            hits = search(index, query)
            times.append(time.perf_counter() - start)
        worst = max(worst, max(times))
        print(
            f"{query!r:>22}: {len(hits):>3} hits  median {statistics.median(times) * 1000:6.1f} ms  "
            f"max {max(times) * 1000:6.1f} ms"
        )
    print(f"worst single search: {worst * 1000:.1f} ms (target < 300 ms)")


if __name__ == "__main__":
    main()
