"""Register benchmark: reading the register beside the data, the meeting view, and writing under contention.

Usage: python benchmarks/register_benchmark.py [--database-url URL] [--la NAME] [--writers N]

Without --database-url it works on a temporary copy of data/app.db (build it with `python -m analytics
init-demo`), so the writes never touch the real register. Prints medians of 3 runs (reads) and the write
latency and throughput of N threads recording levels at once (each change with its audit row).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.queries import Scope, la_names, schools  # noqa: E402
from analytics.register import audit, entries, listing, meeting, rules  # noqa: E402
from analytics.register.base import Conflict  # noqa: E402
from analytics.store.engine import make_engine, migrate  # noqa: E402

BY = "benchmark@la.gov.uk"


def median_seconds(action: Callable[[], Any], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def largest_la(engine: Any) -> str:
    frame = schools(engine, Scope.england())
    return str(frame["la_name"].value_counts().index[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--la")
    parser.add_argument("--writers", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url
        if url is None:
            source = ROOT / "data" / "app.db"
            if not source.exists():
                sys.exit("data/app.db not found: run `python -m analytics init-demo` first")
            shutil.copyfile(source, Path(folder) / "bench.db")
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        rules.risk_scores(engine)  # warm the imports the adapter needs
        la = args.la or largest_la(engine)
        scope = Scope.la(la)
        facts = rules.load_facts(engine, scope)
        count = len(facts.schools)
        print(f"database: {engine.url.render_as_string(hide_password=True)}; LA: {la} ({count} open schools)")
        print(f"{'step':<58} {'seconds':>8}")
        rows = [
            ("load the facts the rules read (one LA)", lambda: rules.load_facts(engine, scope)),
            (
                "evidence + suggestions + register table (facts cached)",
                lambda: listing.register_table(engine, scope, facts=facts),
            ),
            (
                "first-register proposals (facts cached)",
                lambda: listing.first_register_proposals(engine, la, facts=facts),
            ),
            (
                "meeting view (facts cached)",
                lambda: meeting.meeting_view(engine, la, date(date.today().year, 1, 1), facts=facts),
            ),
        ]
        for label, action in rows:
            print(f"{label:<58} {median_seconds(action):>8.2f}")
        every = Scope(la_names=tuple(la_names(engine)))
        print(
            f"{'register table, all of England (' + str(len(every.la_names or ())) + ' LAs, 1 run)':<58} "
            f"{median_seconds(lambda: listing.register_table(engine, every), runs=1):>8.2f}"
        )
        urns = [int(u) for u in facts.schools["urn"]][: args.writers + 1]
        single = []
        for number in range(30):
            began = time.perf_counter()
            entries.record_level(
                engine,
                urns[0],
                scheme="support-levels",
                level=("Targeted", "Intensive")[number % 2],
                reason=f"benchmark {number}",
                by=BY,
            )
            single.append(time.perf_counter() - began)
        print(f"{'one level change with its audit row (median of 30)':<58} {statistics.median(single):>8.3f}")
        before = audit.count(engine)
        conflicts = successes = 0
        lock = threading.Lock()

        def writer(number: int) -> None:
            nonlocal conflicts, successes
            for step in range(5):
                target = urns[0] if step % 2 == 0 else urns[1 + number]
                while True:
                    try:
                        entries.record_level(
                            engine,
                            target,
                            scheme="support-levels",
                            level="Targeted",
                            reason=f"writer {number}",
                            by=BY,
                            expected_version=entries.school_version(engine, target),
                        )
                        with lock:
                            successes += 1
                        break
                    except Conflict:
                        with lock:
                            conflicts += 1

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.writers) as pool:
            list(pool.map(writer, range(args.writers)))
        seconds = time.perf_counter() - began
        written = audit.count(engine) - before
        print(f"{f'{args.writers} writers x 5 changes at once (wall clock)':<58} {seconds:>8.2f}")
        print(
            f"  {successes} changes saved, {written} audit rows, {successes / seconds:.0f} changes/s, "
            f"{conflicts} stale-version conflicts retried"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
