"""Import benchmark: our validated, normalised, upserting national import vs the naive analyst's dump.

Ours: a fresh SQLite database, `migrate`, then the real importers for the national Ofsted outcomes file
and the 2005-2020 history (validation, parsing, upserts, history matching, import log, one transaction
each).
Naive: `pandas.read_csv` of the same two files and `DataFrame.to_sql` into a fresh SQLite file (no validation,
no types, no keys). Each is run REPEATS times, alternating; medians and their ratio are printed.

    python benchmarks/import_benchmark.py [--repeats 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's code, not an installed copy

from analytics.ingest import ofsted_history, ofsted_outcomes  # noqa: E402
from analytics.ingest.registry import HISTORY_FILE, OFSTED_FILE  # noqa: E402
from analytics.store.engine import make_engine, migrate  # noqa: E402

TARGET_RATIO = 2.0


def ours(folder: Path) -> float:
    start = time.perf_counter()
    engine = make_engine(f"sqlite:///{folder / 'ours.db'}")
    migrate(engine)
    ofsted_outcomes.import_file(engine, OFSTED_FILE)
    ofsted_history.import_file(engine, HISTORY_FILE)
    engine.dispose()
    return time.perf_counter() - start


def naive(folder: Path) -> float:
    start = time.perf_counter()
    connection = sqlite3.connect(folder / "naive.db")
    pd.read_csv(OFSTED_FILE, low_memory=False).to_sql("ofsted", connection, index=False)
    pd.read_csv(HISTORY_FILE).to_sql("history", connection, index=False)
    connection.commit()
    connection.close()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one import of ours")
    args = parser.parse_args()
    print(f"files: {OFSTED_FILE.name} ({OFSTED_FILE.stat().st_size / 2**20:.1f} MB), "
          f"{HISTORY_FILE.name} ({HISTORY_FILE.stat().st_size / 2**20:.1f} MB)")
    times: dict[str, list[float]] = {"ours": [], "naive": []}
    for run in range(1, args.repeats + 1):
        for name, job in (("naive", naive), ("ours", ours)):
            with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
                times[name].append(job(Path(folder)))
        print(f"run {run}: ours {times['ours'][-1]:.2f} s, naive {times['naive'][-1]:.2f} s")
    ours_median, naive_median = statistics.median(times["ours"]), statistics.median(times["naive"])
    ratio = ours_median / naive_median
    print(f"median of {args.repeats}: ours {ours_median:.2f} s, naive pandas dump {naive_median:.2f} s, "
          f"ratio {ratio:.2f} (target <= {TARGET_RATIO})")
    if args.profile:
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder:
            profile = cProfile.Profile()
            profile.runcall(ours, Path(folder))
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
