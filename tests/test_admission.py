"""CONCURRENT_PAGE_RUNS (ui/admission.py): at most that many page runs at once, the rest wait; long work
leaves the queue; the app still serves pages with a single slot (the data-age line and the sign-in run
outside it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from signin import signed_in_app

from analytics.config import Settings, get_settings
from ui import admission

THREADS = 5


@pytest.fixture
def limit(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("CONCURRENT_PAGE_RUNS", str(request.param))
    get_settings.cache_clear()
    yield int(request.param)
    get_settings.cache_clear()


def _most_at_once(runs: int) -> int:
    """Start `runs` threads that each hold a slot for a moment; the most seen inside at the same time."""
    inside = most = 0
    count = threading.Lock()

    def page() -> None:
        nonlocal inside, most
        with admission.page_slot():
            with count:
                inside += 1
                most = max(most, inside)
            time.sleep(0.2)  # long enough for every free slot to fill meanwhile
            with count:
                inside -= 1

    threads = [threading.Thread(target=page) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a page never got a slot"
    return most


@pytest.mark.parametrize("limit", [1, 2], indirect=True)
def test_no_more_page_runs_at_once_than_the_setting(limit: int) -> None:
    assert _most_at_once(THREADS) == limit


@pytest.mark.parametrize("limit", [0], indirect=True)
def test_zero_means_no_limit(limit: int) -> None:
    assert _most_at_once(THREADS) == THREADS


def test_the_default_is_two_and_a_negative_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONCURRENT_PAGE_RUNS", raising=False)
    assert Settings().concurrent_page_runs == 2
    monkeypatch.setenv("CONCURRENT_PAGE_RUNS", "-1")
    with pytest.raises(ValidationError, match="concurrent_page_runs"):
        Settings()


@pytest.mark.parametrize("limit", [1], indirect=True)
def test_long_work_gives_its_slot_to_a_waiting_page(limit: int) -> None:
    """With one slot, a page building a pack (outside_queue) lets another page run meanwhile, then gets its
    slot back (it waits while the other page holds it)."""
    first_inside, second_ran, first_back = threading.Event(), threading.Event(), threading.Event()
    order: list[str] = []

    def building_a_pack() -> None:
        with admission.page_slot():
            first_inside.set()
            with admission.outside_queue():
                assert second_ran.wait(timeout=10), "the other page never ran while the pack was built"
            order.append("pack page back in its slot")
            first_back.set()

    def another_page() -> None:
        assert first_inside.wait(timeout=10)
        with admission.page_slot():
            second_ran.set()
            time.sleep(0.2)
            order.append("other page done")

    threads = [threading.Thread(target=building_a_pack), threading.Thread(target=another_page)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert first_back.is_set() and second_ran.is_set()
    assert order == ["other page done", "pack page back in its slot"]


@pytest.mark.parametrize("limit", [1], indirect=True)
def test_the_app_serves_pages_with_a_single_slot(limit: int, app_env: Path) -> None:
    """Sign in (outside the queue), then three pages one after another: each run takes the one slot and
    gives it back (a run that kept it would leave the next one waiting for ever)."""
    at = signed_in_app(timeout=120)
    assert not at.exception
    assert [t.value for t in at.title][:1] and at.title[0].value.startswith("Overview")
    for page in ("views/movement.py", "views/districts.py", "views/overview.py"):
        at.switch_page(page)
        at.run(timeout=120)
        assert not at.exception, page
    assert at.title[0].value.startswith("Overview")


def test_an_import_runs_at_a_lower_cpu_priority_than_the_dashboard() -> None:
    """`analytics.cli.background_priority` (around a command-line import and its read-model refresh): the
    thread runs IMPORT_NICENESS nicer inside, and at its old priority after where the system allows."""
    import os

    from analytics.cli import IMPORT_NICENESS, background_priority

    thread = threading.get_native_id()
    before = os.getpriority(os.PRIO_PROCESS, thread)
    seen_by_a_worker: list[int] = []
    with background_priority():
        inside = os.getpriority(os.PRIO_PROCESS, thread)

        def a_worker() -> None:  # a thread the import starts (pyarrow's readers) inherits it
            seen_by_a_worker.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

        worker = threading.Thread(target=a_worker)
        worker.start()
        worker.join()
    after = os.getpriority(os.PRIO_PROCESS, thread)
    assert inside == min(19, before + IMPORT_NICENESS) > before or before == 19
    assert seen_by_a_worker == [inside]
    assert after == before or (after == inside and os.geteuid() != 0)  # only root may raise it again
