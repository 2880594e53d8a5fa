"""Page-render benchmark: AppTest first render (cold caches) and rerun (warm caches) of each page.

Usage: python benchmarks/page_benchmark.py [--database-url URL] [--reruns N]

Runs on the national data: without --database-url, a fresh SQLite database built by `init-demo` from the
bundled files.
For each page declared in app.py: one throwaway render (imports warm), then Streamlit's caches and the engine
are cleared and the page is rendered in a new AppTest (first render), then rerun N times in the same AppTest
(warm caches; the median is reported). `init-demo` also trains and stores the early-warning model, so the risk
pages show their content.
Issue 3's targets: first render < 2 s, rerun < 0.5 s. Prints a table.
"""

from __future__ import annotations

import argparse
import ast
import csv
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
FIRST_RENDER_TARGET_S = 2.0
RERUN_TARGET_S = 0.5
TIMEOUT_S = 300


@dataclass(frozen=True)
class Timing:
    page: str
    first_render: float
    rerun: float
    error: str

    def verdict(self) -> str:
        if self.error:
            return f"ERROR: {self.error}"
        misses = [name for name, value, target in (("first render", self.first_render, FIRST_RENDER_TARGET_S),
                                                   ("rerun", self.rerun, RERUN_TARGET_S)) if value >= target]
        return "ok" if not misses else "MISSES " + " and ".join(misses)


def declared_page_paths(app: Path = APP) -> list[str]:
    """The page files of every `st.Page(...)` in app.py, in source order (parsed, not executed)."""
    tree = ast.parse(app.read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "Page"]
    calls.sort(key=lambda call: (call.lineno, call.col_offset))
    return [ast.literal_eval(call.args[0]) for call in calls if call.args]


def build_demo_database(folder: Path) -> str:
    from analytics.demo import init_demo
    from analytics.store.engine import make_engine

    url = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    started = time.perf_counter()
    init_demo(engine, progress=lambda message: print(f"  {message}", file=sys.stderr))
    engine.dispose()
    print(f"Built the demo database in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return url


def clear_caches() -> None:
    """Cold start: Streamlit data/resource caches, settings and the process-wide engine."""
    import streamlit as st

    from analytics.config import get_settings
    from analytics.store import reset_engine_cache

    logging.disable(logging.WARNING)  # outside a script run Streamlit warns about the missing runtime
    try:
        st.cache_data.clear()
        st.cache_resource.clear()
    finally:
        logging.disable(logging.NOTSET)
    get_settings.cache_clear()
    reset_engine_cache()


def first_graded_urn() -> str:
    """A real URN for the deep-link case: the first school in the Ofsted file with a graded inspection."""
    from analytics.ingest.registry import OFSTED_FILE

    with OFSTED_FILE.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["URN"].strip().isdigit() and row["Inspection number of latest graded inspection"].strip():
                return row["URN"].strip()
    raise SystemExit(f"no graded school in {OFSTED_FILE}")


def default_cases() -> list[str]:
    """Every declared page, plus the school drilldown deep link (`?urn=`), which renders far more."""
    pages = declared_page_paths()
    extra = [f"pages/school.py?urn={first_graded_urn()}"] if "pages/school.py" in pages else []
    return pages + extra


def _render(case: str):  # noqa: ANN202 (AppTest)
    """An AppTest on app.py switched to the page of `case` ("pages/x.py" or "pages/x.py?key=value&...")."""
    from streamlit.testing.v1 import AppTest

    page, _, query = case.partition("?")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.switch_page(page)
    for key, value in parse_qsl(query):
        at.query_params[key] = value
    return at


def measure(page: str, reruns: int) -> Timing:
    _render(page).run()  # throwaway: imports, module-level work, first engine connect
    clear_caches()
    at = _render(page)
    started = time.perf_counter()
    at.run()
    first = time.perf_counter() - started
    if at.exception:
        return Timing(page, first, float("nan"), str(at.exception[0].message)[:80])
    times = []
    for _ in range(reruns):
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
    error = str(at.exception[0].message)[:80] if at.exception else ""
    return Timing(page, first, statistics.median(times), error)


def print_table(timings: list[Timing]) -> None:
    print(f"{'page':<34} {'first render (s)':>17} {'rerun (s)':>10}  verdict "
          f"(targets: first < {FIRST_RENDER_TARGET_S:g} s, rerun < {RERUN_TARGET_S:g} s)")
    for t in timings:
        print(f"{t.page:<34} {t.first_render:>17.2f} {t.rerun:>10.3f}  {t.verdict()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a built database (default: build a fresh demo SQLite)")
    parser.add_argument("--reruns", type=int, default=3, help="warm reruns per page; reports the median")
    parser.add_argument("--page", action="append", help="only this page (repeatable): pages/x.py?key=value")
    args = parser.parse_args()
    os.chdir(ROOT)
    # AppTest is driven from the main thread, which has no ScriptRunContext: Streamlit warns on every access.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True
    with tempfile.TemporaryDirectory(prefix="page-bench-") as folder:
        os.environ["DATABASE_URL"] = args.database_url or build_demo_database(Path(folder))
        clear_caches()
        timings = [measure(case, args.reruns) for case in (args.page or default_cases())]
        clear_caches()  # release the engine before the temporary database goes
    print_table(timings)
    return 1 if any(t.error for t in timings) else 0


if __name__ == "__main__":
    sys.exit(main())
