"""At most CONCURRENT_PAGE_RUNS page runs at once in the server; the others queue, first come first served.

Streamlit runs every session's script in a thread of one process, and Python runs one thread at a time. With
twenty sessions each asking for a page at once, every page shared the interpreter with nineteen others and
all of them finished late (processor sharing: the Overview, the longest page, took about twenty times its own
time). Queueing pages and running two at a time gives the same throughput, each page its own time plus its
wait, and fewer switches between threads. Measured with benchmarks/load_benchmark.py (20 protocol sessions,
PostgreSQL, monthly import running): p95 of all pages 8.2 s unlimited, 5.9 s with two at a time.

The sign-in form and the sign-in itself (argon2, which runs outside the interpreter lock) do not queue; long
work a person asked for (building a meeting pack) leaves the queue while it runs (`outside_queue`), so one
pack does not hold up everyone else's pages.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from analytics.config import get_settings

_lock = threading.Lock()
_semaphores: dict[int, threading.BoundedSemaphore] = {}
_held = threading.local()


def _slots() -> threading.BoundedSemaphore | None:
    """The process's semaphore for the configured number of runs (None: no limit, the setting is 0)."""
    limit = get_settings().concurrent_page_runs
    if limit <= 0:
        return None
    with _lock:
        return _semaphores.setdefault(limit, threading.BoundedSemaphore(limit))


@contextmanager
def page_slot() -> Iterator[None]:
    """Run the page once one of the slots is free (waiting in arrival order)."""
    slots = _slots()
    if slots is None:
        yield
        return
    slots.acquire()
    _held.slots = slots
    try:
        yield
    finally:
        _held.slots = None
        slots.release()


@contextmanager
def outside_queue() -> Iterator[None]:
    """Give the run's slot back for the duration of long work (a pack build), then queue for it again."""
    slots = getattr(_held, "slots", None)
    if slots is None:
        yield
        return
    _held.slots = None
    slots.release()
    try:
        yield
    finally:
        slots.acquire()
        _held.slots = slots
