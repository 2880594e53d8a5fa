"""Meeting-pack benchmark: time to gather and render each pack for the largest LA (target under 10 s each).

Usage: python benchmarks/packs.py [--database-url URL] [--la NAME] [--runs N]

Without --database-url it reads data/app.db (build it with `python -m analytics init-demo`); it only reads.
Prints, per pack, the wall time of gathering the figures and of each rendering (PDF, XLSX, HTML): the median
of N warm runs and the cold first run; and the CPU time of one more run (a fairer figure on a busy machine).
Each run takes a fresh `Sources` (the read model's stored frames are read again, as by the command line).

Measured 30/11/2026, Lancashire (626 open schools), SQLite demo store, on a 2-core machine shared with
other work (so wall times are inflated and noisy). Before/after the register evidence was vectorised (falling
roll and deficit without a per-school loop, evidence items built from the matching rows only), the
early-warning scores read for the LA's (district's) schools only, and result rows handed to pandas as tuples;
the old code run from a copy of main on the same store, back to back (load average 10-14):

    scc       before 16.72 s warm (gather 12.55 s, PDF 2.61 s, XLSX 0.61 s); first run 27.83 s; CPU 8.33 s
              after   8.29 s warm (gather  6.06 s, PDF 1.93 s, XLSX 0.30 s); first run 15.43 s; CPU 5.80 s
    members   before  1.87 s warm; CPU 2.77 s     after 1.75 s warm; CPU 1.88 s
    district  before  4.83 s warm; CPU 1.98 s     after 2.20 s warm; CPU 1.28 s

Earlier, on a lighter load (load average 6-7), scc took 9.07 s warm (gather 7.78 s, CPU 7.13 s) before and
3.90 s warm (gather 2.45 s, CPU 5.55 s) after (without the district change). The remaining scc time is mostly
the PDF (reportlab wrapping every table cell, ~1.2 s CPU), the neighbour chart (matplotlib) and reading the
facts (national means SQL).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.queries import Scope, schools  # noqa: E402
from analytics.reports import gather  # noqa: E402
from analytics.reports.html import render_html  # noqa: E402
from analytics.reports.pdf import render_pdf  # noqa: E402
from analytics.reports.xlsx import render_xlsx  # noqa: E402
from analytics.store.engine import make_engine  # noqa: E402

TARGET_SECONDS = 10.0


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


Build = Callable[[gather.Sources], Any]
Renders = tuple[tuple[str, Callable[[Any], Any]], ...]


def gathered(engine: Engine, build: Build) -> Any:
    """One pack gathered from fresh sources (their reads are part of the gathering)."""
    return build(gather.Sources(engine))


def gathered_and_rendered(engine: Engine, build: Build, renders: Renders) -> list[Any]:
    """One pack gathered from fresh sources and rendered in each of its formats."""
    pack = gathered(engine, build)
    return [render(pack) for _, render in renders]


def cpu(action: Callable[[], Any]) -> float:
    """CPU seconds of this process (less affected than wall time by other work on a shared machine)."""
    began = time.process_time()
    action()
    return time.process_time() - began


def largest_la(engine: Any) -> str:
    frame = schools(engine, Scope.england())
    return str(frame["la_name"].value_counts().index[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--la")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{ROOT / 'data' / 'app.db'}"
    if args.database_url is None and not (ROOT / "data" / "app.db").exists():
        sys.exit("data/app.db not found: run `python -m analytics init-demo` first, or pass --database-url.")
    engine = make_engine(url)
    la = args.la or largest_la(engine)
    src0 = gather.Sources(engine)
    schools_of_la = src0.schools(la)
    district = str(src0.districts(schools_of_la, None).value_counts().index[0])
    term = gather.current_term(src0.data_date)
    packs: dict[str, tuple[Build, Renders]] = {
        "scc": (lambda s: gather.scc_pack(engine, la, src=s), (("PDF", render_pdf), ("XLSX", render_xlsx))),
        "members": (
            lambda s: gather.members_pack(engine, la, term, src=s),
            (("PDF", render_pdf), ("HTML", render_html)),
        ),
        "district": (lambda s: gather.district_pack(engine, la, district, src=s), (("PDF", render_pdf),)),
    }
    print(
        f"LA: {la} ({len(schools_of_la)} open schools); district: {district}; term: {term}; "
        f"median of {args.runs} runs"
    )
    worst = 0.0
    for name, (build, renders) in packs.items():
        totals: list[float] = []
        parts: dict[str, list[float]] = {"gather": [], **{kind: [] for kind, _ in renders}}
        for _ in range(args.runs + 1):  # the first run is cold (imports, first reads): shown apart
            seconds, pack = timed(partial(gathered, engine, build))
            parts["gather"].append(seconds)
            total = seconds
            for kind, render in renders:
                seconds, _ = timed(partial(render, pack))
                parts[kind].append(seconds)
                total += seconds
            totals.append(total)
        warm = statistics.median(totals[1:])
        spent = cpu(partial(gathered_and_rendered, engine, build, renders))
        worst = max(worst, warm)
        detail = ", ".join(f"{k} {statistics.median(v[1:]):.2f} s" for k, v in parts.items())
        print(f"{name:<9} {warm:6.2f} s warm ({detail}); first run {totals[0]:.2f} s; CPU {spent:.2f} s")
    verdict = "within" if worst < TARGET_SECONDS else "OVER"
    print(f"slowest pack {worst:.2f} s: {verdict} the {TARGET_SECONDS:.0f} s target")


if __name__ == "__main__":
    main()
