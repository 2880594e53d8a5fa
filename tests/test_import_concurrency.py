"""Two imports at once, on SQLite and PostgreSQL: real processes, the write lock, background import jobs, the
import panel (AppTest) and the command line's exit codes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from app_under_test import serve
from signin import signed_in_app
from sqlalchemy import Engine, func, select
from store_checks import OFSTED_SLICE, snapshot
from streamlit.testing.v1 import AppTest

from analytics.ingest import jobs, ofsted_outcomes
from analytics.ingest.registry import OFSTED_FILE
from analytics.ingest.runner import WAITING, write_transaction
from analytics.store import data_version
from analytics.store.models import ImportLog

ROOT = Path(__file__).resolve().parents[1]
NO_LOG = ("import_log",)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def cli_env(engine: Engine) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url_of(engine)}


def import_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(ImportLog)).scalar_one())


def mapping_bytes(rows: list[tuple[str, str]] | None = None) -> bytes:
    """URN,District for every school of the outcomes slice (district = its local authority)."""
    import csv
    import io

    with OFSTED_SLICE.open(encoding="utf-8", newline="") as handle:
        found = [(r["URN"], r["Local authority"]) for r in csv.DictReader(handle)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([("URN", "District"), *(rows or found)])
    return buffer.getvalue().encode()


# --------------------------------------------------------------------------------- two real processes


@pytest.mark.slow
def test_two_imports_started_together_both_succeed(empty_store: Engine) -> None:
    """Two CLI processes import the national Ofsted file into one store at the same moment (each takes
    seconds, so their transactions overlap): both succeed, one after the other, and the store is what one
    import gives (a third import changes nothing)."""
    command = [sys.executable, "-m", "analytics", "import", "ofsted-outcomes", str(OFSTED_FILE)]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=cli_env(empty_store), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        assert "rows read" in out and "Traceback" not in err
    assert import_count(empty_store) == 2
    state = snapshot(empty_store, skip=NO_LOG)
    assert state["school"][0] > 21_990
    ofsted_outcomes.import_file(empty_store, OFSTED_FILE)
    assert snapshot(empty_store, skip=NO_LOG) == state


def test_an_import_waits_for_the_write_lock_then_succeeds(empty_store: Engine) -> None:
    """While the write lock is held (as a running import holds it), a CLI import in another process waits,
    and succeeds once the lock is released. On PostgreSQL the waiting advisory lock is seen in pg_locks."""
    command = [sys.executable, "-m", "analytics", "import", "ofsted-outcomes", str(OFSTED_SLICE)]
    with write_transaction(empty_store) as held:
        process = subprocess.Popen(command, cwd=ROOT, env=cli_env(empty_store), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        if empty_store.dialect.name == "postgresql":
            waiting = 0
            while time.monotonic() < deadline and process.poll() is None and not waiting:
                time.sleep(0.2)
                waiting = held.exec_driver_sql(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                ).scalar_one()
            assert waiting, "the second import never waited for the advisory lock"
        else:
            time.sleep(8)  # start-up, reading and checking the slice take about 3 s
        assert process.poll() is None, process.communicate()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert import_count(empty_store) == 1


# ------------------------------------------------------------------------------------------- import jobs


def wait_for(job: jobs.ImportJob, stage: str, seconds: float = 60) -> jobs.JobStatus:
    deadline = time.monotonic() + seconds
    status = job.status()
    while time.monotonic() < deadline and status.stage != stage and not status.done:
        time.sleep(0.05)
        status = job.status()
    return status


@pytest.fixture
def slice_store(empty_store: Engine) -> Engine:
    ofsted_outcomes.import_file(empty_store, OFSTED_SLICE)
    return empty_store


def test_job_runs_off_the_caller_waits_for_the_lock_and_refuses_a_second(slice_store: Engine) -> None:
    version = data_version(slice_store)
    with write_transaction(slice_store):
        job = jobs.RUNNER.start("districts", slice_store, mapping_bytes(), "areas.csv", {"scheme": "areas"})
        status = wait_for(job, WAITING)
        assert (status.state, status.stage) == ("running", WAITING)
        assert 0 < status.fraction < 1
        time.sleep(0.5)
        assert not job.status().done, "the job must wait while another import writes"
        with pytest.raises(jobs.ImportBusy) as busy:
            jobs.RUNNER.start("districts", slice_store, mapping_bytes(), "other.csv", {"scheme": "other"})
        assert busy.value.running.id == job.id
        assert jobs.RUNNER.running() is not None
    done = job.wait(60)
    assert done.state == "imported", done.message
    assert (done.fraction, done.stage, done.file_name) == (1.0, "imported", "areas.csv")
    assert done.result is not None and done.result.rows_read == len(mapping_bytes().splitlines()) - 1
    assert data_version(slice_store) > version, "pages cache on the data version: it must change"
    assert jobs.RUNNER.running() is None
    second = jobs.RUNNER.start("districts", slice_store, mapping_bytes(), "other.csv", {"scheme": "other"})
    assert second.wait(60).state == "imported"


def test_job_rejection_keeps_the_report_and_changes_nothing(slice_store: Engine) -> None:
    before = snapshot(slice_store)
    rows = [("100472", "North"), ("100472", "South"), ("999999", "East"), ("12x", "West")]
    job = jobs.RUNNER.start("districts", slice_store, mapping_bytes(rows), "../../etc/bad name.csv",
                            {"scheme": "areas"})
    status = job.wait(60)
    assert status.state == "rejected" and status.file_name == "bad name.csv"
    assert status.report is not None
    found = {(r.row, r.column) for r in status.report.itertuples()}
    assert {(3, "URN"), (5, "URN")} <= found
    assert set(status.report["file"]) == {"bad name.csv"}
    assert snapshot(slice_store) == before


def test_safe_file_names() -> None:
    assert jobs.safe_file_name("C:\\Users\\me\\districts 2025.csv") == "districts 2025.csv"
    assert jobs.safe_file_name("../../x\u200b.xlsx") == "x.xlsx"
    assert jobs.safe_file_name("..") == "upload"
    long = jobs.safe_file_name("a" * 500 + ".csv")
    assert len(long) == jobs.MAX_NAME_CHARS and long.endswith(".csv")


# ------------------------------------------------------------------------------------ the import panel


@pytest.fixture
def panel_env(slice_store: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Point the dashboard at the slice store."""
    for _ in serve(url_of(slice_store), monkeypatch):
        yield slice_store


def panel_script() -> None:
    from ui.imports import import_panel

    import_panel("districts", key="t", options={"scheme": "areas"}, label="Mapping file")


def run_until_done(at: AppTest, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if at.success or at.error:
            return
        time.sleep(0.2)
    raise AssertionError("the import never finished")


def upload_and_import(at: AppTest, data: bytes, name: str = "areas.csv") -> None:
    at.run()
    at.file_uploader[0].set_value((name, data, "text/csv"))
    at.run()
    at.button(key="t-start").click()
    at.run()
    assert not at.exception, at.exception


def test_panel_reports_a_rejection_as_a_table(panel_env: Engine) -> None:
    before = snapshot(panel_env)
    at = AppTest.from_function(panel_script, default_timeout=60)
    upload_and_import(at, mapping_bytes([("100472", "North"), ("100472", "South")]))
    run_until_done(at)
    assert "rejected" in at.error[0].value
    report = at.dataframe[0].value
    assert list(report.columns) == ["file", "row", "column", "reason"]
    assert (int(report["row"].iloc[0]), report["column"].iloc[0]) == (3, "URN")
    assert "duplicate URN '100472' (first at row 2)" in report["reason"].iloc[0]
    assert snapshot(panel_env) == before


def test_panel_imports_with_progress_and_refuses_a_second_upload_meanwhile(panel_env: Engine) -> None:
    version = data_version(panel_env)
    first, second = (AppTest.from_function(panel_script, default_timeout=60) for _ in range(2))
    with write_transaction(panel_env):  # another replica is writing: the job waits, showing progress
        upload_and_import(first, mapping_bytes())
        job = jobs.RUNNER.job(first.session_state["t-job"])
        assert job is not None and wait_for(job, WAITING).stage == WAITING
        first.run()
        assert first.get("progress") and "waiting for any other import" in first.get("progress")[0].proto.text
        second.run()
        assert "Another import is running" in second.info[0].value
        assert second.button(key="t-start").disabled
    run_until_done(first)
    assert "Imported: " in first.success[0].value
    assert data_version(panel_env) > version
    second.run()
    assert not second.info, "the other session may import again"


def test_districts_page_imports_a_mapping_off_the_request_path(demo_copy: Path) -> None:
    """The page's panel: upload a Kent mapping (postcode areas from the raw Ofsted CSV), import it in the
    background, and the new mapping is offered and selected at once."""
    import csv
    import io

    with OFSTED_FILE.open(encoding="utf-8-sig", newline="") as handle:
        kent = [(r["URN"], r["Postcode"][:2]) for r in csv.DictReader(handle)
                if r["Local authority"] == "Kent" and r["Postcode"]]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([("URN", "District"), *kent])
    at = signed_in_app(query_params={"la": "Kent"})  # a director: may import
    at.switch_page("views/districts.py")
    at.run()
    assert not at.exception, at.exception
    at.text_input(key="districts_scheme").set_value("postcode areas")
    at.file_uploader[0].set_value(("kent areas.csv", buffer.getvalue().encode(), "text/csv"))
    at.run()
    at.button(key="districts-import-start").click()
    deadline = time.monotonic() + 120
    at.run()
    while not (at.success or at.error) and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.exception, at.exception
    assert at.success and f"{len(kent):,} rows read" in at.success[0].value, [e.value for e in at.error]
    assert "postcode areas" in at.selectbox(key="_w_scheme").options
    assert at.session_state["scheme"] == "postcode areas"
    districts = at.dataframe[0].value
    assert int(districts["Schools"].sum()) == len(kent)
