"""Page-render benchmark: AppTest first render (cold caches) and rerun (warm caches) of each page.

Usage: python benchmarks/page_benchmark.py [--database-url URL] [--reruns N] [--no-browser]

Runs on the national data: without --database-url, a fresh SQLite database built by `init-demo` from the
bundled files.
For each page declared in app.py: one throwaway render (imports warm), then Streamlit's caches and the engine
are cleared and the page is rendered in a new AppTest (first render), then rerun N times in the same AppTest
(warm caches; the median is reported). `init-demo` also trains and stores the early-warning model, so the risk
pages show their content.
Targets (issue 9): first render < 1 s, rerun < 0.3 s. Prints a table.

Then the same pages in headless Chromium (Debian's /usr/bin/chromium) against `streamlit run app.py` started
fresh on the same database: for each page, the time from navigation until the app has settled (script not
running, no skeleton placeholders left): the first visit in a new tab and a second visit.

Every page is behind the sign-in gate (issue 13): the benchmark adds a director account over every LA to
the database and signs in through the real form. AppTest: the sign-in runs are not timed (caches are cleared
after them); the page's first render is. Browser: each visit is a new session, so it opens the page's address,
fills the form and is timed from pressing "Sign in" (the address's page then renders) to settled.
"""

from __future__ import annotations

import argparse
import ast
import csv
import logging
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
FIRST_RENDER_TARGET_S = 1.0
RERUN_TARGET_S = 0.3
TIMEOUT_S = 300
BENCH_EMAIL = "page-benchmark@bench.example"
BENCH_PASSWORD = secrets.token_urlsafe(18)  # a fresh one per run: the account is the benchmark's own


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
    extra = [f"views/school.py?urn={first_graded_urn()}"] if "views/school.py" in pages else []
    return pages + extra


def ensure_bench_account(database_url: str) -> None:
    """A director over every LA with a known password (the benchmark signs in as it)."""
    from analytics import access
    from analytics.store.engine import make_engine

    engine = make_engine(database_url)
    try:
        if access.viewer(engine, BENCH_EMAIL) is None:
            access.add_account(engine, access.AccountSpec(BENCH_EMAIL, "director", None, (), None, None),
                               BENCH_PASSWORD)
        else:
            access.reset_password(engine, BENCH_EMAIL, BENCH_PASSWORD)
    finally:
        engine.dispose()


def _render(case: str):  # noqa: ANN202 (AppTest)
    """An AppTest on app.py, signed in through the form (not timed), switched to the page of `case`
    ("views/x.py" or "views/x.py?key=value&...")."""
    from streamlit.testing.v1 import AppTest

    page, _, query = case.partition("?")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    for key, value in parse_qsl(query):
        at.query_params[key] = value
    at.run()
    fields = {field.label: field for field in at.text_input}
    fields["Email"].input(BENCH_EMAIL)
    fields["Password"].input(BENCH_PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    at.switch_page(page)
    return at


def measure(page: str, reruns: int) -> Timing:
    _render(page).run()  # throwaway: imports, module-level work, first engine connect
    at = _render(page)
    clear_caches()  # after signing in: the sign-in runs drew the home page
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


CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SETTLED = "[data-testid='stApp'][data-test-script-state='notRunning']"
SKELETON = "[data-testid='stSkeleton']"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _url_of(case: str) -> str:
    """The browser address of a case: the page's url_path (app.py) plus its query string."""
    page, _, query = case.partition("?")
    tree = ast.parse(APP.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr == "Page" and node.args and ast.literal_eval(node.args[0]) == page:
            options = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
            path = "" if options.get("default") else options.get("url_path", Path(page).stem)
            return f"/{path}" + (f"?{query}" if query else "")
    raise SystemExit(f"{page} is not declared in app.py")


@contextmanager
def app_server(url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`streamlit run app.py` on a free loopback port against `url`: healthy when it yields, then stopped."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:  # noqa: S310
                    if response.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("streamlit did not start")
            time.sleep(0.3)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def browser_timings(database_url: str, cases: list[str]) -> list[tuple[str, float, float]]:
    """(case, first visit s, second visit s) in headless Chromium, navigation to settled."""
    from playwright.sync_api import sync_playwright

    results = []
    with app_server(database_url) as (base, _server), sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        for case in cases:
            visits = []
            for _ in range(2):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(base + _url_of(case))
                page.get_by_label("Email", exact=True).fill(BENCH_EMAIL)
                page.get_by_label("Password", exact=True).fill(BENCH_PASSWORD)
                started = time.perf_counter()
                page.get_by_role("button", name="Sign in").click()
                page.get_by_label("Password", exact=True).wait_for(state="detached",
                                                                   timeout=TIMEOUT_S * 1000)
                page.locator("h1").first.wait_for(state="visible", timeout=TIMEOUT_S * 1000)
                page.locator(SETTLED).wait_for(state="attached", timeout=TIMEOUT_S * 1000)
                page.wait_for_function(f"document.querySelectorAll(\"{SKELETON}\").length === 0",
                                       timeout=TIMEOUT_S * 1000)
                visits.append(time.perf_counter() - started)
                page.close()
            results.append((case, visits[0], visits[1]))
        browser.close()
    return results


def print_browser_table(rows: list[tuple[str, float, float]]) -> None:
    print()
    print(f"{'page (headless Chromium, fresh server)':<40} {'first visit (s)':>16} {'second visit (s)':>17}")
    for case, first, second in rows:
        print(f"{case:<40} {first:>16.2f} {second:>17.2f}")


def print_table(timings: list[Timing]) -> None:
    print(f"{'page':<34} {'first render (s)':>17} {'rerun (s)':>10}  verdict "
          f"(targets: first < {FIRST_RENDER_TARGET_S:g} s, rerun < {RERUN_TARGET_S:g} s)")
    for t in timings:
        print(f"{t.page:<34} {t.first_render:>17.2f} {t.rerun:>10.3f}  {t.verdict()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a built database (default: build a fresh demo SQLite)")
    parser.add_argument("--reruns", type=int, default=3, help="warm reruns per page; reports the median")
    parser.add_argument("--page", action="append", help="only this page (repeatable): views/x.py?key=value")
    parser.add_argument("--no-browser", action="store_true", help="skip the headless Chromium timings")
    args = parser.parse_args()
    os.chdir(ROOT)
    # AppTest is driven from the main thread, which has no ScriptRunContext: Streamlit warns on every access.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True
    with tempfile.TemporaryDirectory(prefix="page-bench-") as folder:
        os.environ["DATABASE_URL"] = args.database_url or build_demo_database(Path(folder))
        ensure_bench_account(os.environ["DATABASE_URL"])
        clear_caches()
        cases = args.page or default_cases()
        timings = [measure(case, args.reruns) for case in cases]
        clear_caches()  # release the engine before the temporary database goes
        print_table(timings)
        if not args.no_browser:
            print_browser_table(browser_timings(os.environ["DATABASE_URL"], cases))
    return 1 if any(t.error for t in timings) else 0


if __name__ == "__main__":
    sys.exit(main())
