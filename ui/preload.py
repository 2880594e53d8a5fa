"""The pages' modules imported in the background once per server process, while the first visitor signs in.

Page scripts import plotly, scipy, scikit-learn, matplotlib and the report writers on their first run. In a
fresh server every session that opens a page then waits on Python's import locks while one of them imports
(under 20 sessions at once, a sixth of the server's first minute: benchmarks/load_benchmark.py, py-spy). The
app starts this thread on its first run, when nobody can be signed in yet (the home page's modules first),
and a signed-in run waits until its own page's modules are in before running the page.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)
#: A signed-in run never waits longer than this for the thread (then imports for itself, as before).
WAIT_AT_MOST_S = 60.0

_lock = threading.Lock()
_started = False
_done = threading.Event()
#: Set once a page's modules are imported (pages in the order given: the home page first).
_ready: dict[Path, threading.Event] = {}


def imported_names(source: str) -> list[str]:
    """Every module a Python source imports (at any depth: function-level imports too), in order; for
    `from package import name`, `package.name` where that is a module."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"]
    return list(dict.fromkeys(names))


def modules_of_pages(pages: Iterable[Path]) -> list[str]:
    """The modules the page scripts import (importing them imports theirs; modules our own modules import
    only inside a function are not followed: that is left lazy on purpose)."""
    found: list[str] = []
    for name in dict.fromkeys(n for page in pages for n in imported_names(page.read_text(encoding="utf-8"))):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):  # `from module import function`: not a module
            continue
        if spec is not None:
            found.append(name)
    return found


def page_script(page: Any) -> Path | None:
    """The script of an `st.Page` (Streamlit keeps it in a private attribute: None if that changes, and then
    nothing is preloaded and no page waits)."""
    script = getattr(page, "_page", None)
    return script if isinstance(script, Path) else None


def start(pages: Iterable[Any]) -> None:
    """Import the modules of the pages (`st.Page`s) in a daemon thread, page by page in the order given; only
    the first call in a process starts it."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
        ordered = list(dict.fromkeys(s for s in map(page_script, pages) if s is not None))
        _ready.update({page: threading.Event() for page in ordered})
    threading.Thread(target=_import_all, args=(ordered,), name="page-module-preload", daemon=True).start()


def wait(page: Any) -> None:
    """Before a page (`st.Page`) runs: wait until the thread has imported its modules (every page's when
    the page is not one it knows), if a thread was started; at most WAIT_AT_MOST_S."""
    if not _started:
        return
    script = page_script(page)
    event = _ready.get(script) if script is not None else None
    (event or _done).wait(WAIT_AT_MOST_S)


def _import_all(pages: list[Path]) -> None:
    try:
        for page in pages:
            for name in modules_of_pages([page]):
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: BLE001 (the page's own import will raise it where it is seen)
                    LOG.warning("preloading %s failed", name, exc_info=True)
            _ready[page].set()
    finally:
        for event in _ready.values():
            event.set()
        _done.set()
