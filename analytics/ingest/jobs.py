"""Import jobs: run an import off the request path (a background thread) with progress, and keep its outcome
(result, or the row/column/reason report of a rejection) for display.

At most one import runs per process: starting another while one runs raises `ImportBusy` (the dashboard says
"another import is running"). Across processes and replicas the store's write lock
(`analytics.ingest.runner.write_transaction`) serialises imports: a job that finds another replica writing
waits (stage "waiting for any other import to finish"), then runs. Progress comes from the shared reader,
parser and writer (`common.report_progress`), so every importer reports it without doing anything.

    job = start_import("districts", engine, upload.getvalue(), upload.name, {"scheme": "localities"})
    status = RUNNER.status(job.id)   # stage, fraction, state ('running', 'imported', 'rejected', 'failed')

Nothing here imports Streamlit: `ui/imports.py` draws a job.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from analytics.derived import refresh, refresh_follows
from analytics.ingest.common import ImportRejected, ImportResult, normalise_text, progress_to
from analytics.ingest.runner import describe_database_error, describe_os_error

State = Literal["running", "imported", "rejected", "failed"]
KEEP_JOBS = 50
MAX_NAME_CHARS = 100


@dataclass(frozen=True)
class JobStatus:
    """A consistent snapshot of one job, safe to read from any thread."""

    id: str
    kind: str
    file_name: str
    state: State = "running"
    stage: str = "starting"
    fraction: float = 0.0
    started: datetime = field(default_factory=datetime.now)
    finished: datetime | None = None
    result: ImportResult | None = None
    report: pd.DataFrame | None = None  # file, row, column, reason (a rejection)
    message: str = ""

    @property
    def done(self) -> bool:
        return self.state != "running"


class ImportBusy(Exception):
    """Another import is running in this process; carries its status."""

    def __init__(self, running: JobStatus):
        self.running = running
        super().__init__(f"another import is running ({running.kind}, started {running.started:%H:%M})")


class ImportJob:
    """One import running in its own thread; `status()` gives a snapshot, `wait()` blocks until it ends."""

    def __init__(self, kind: str, file_name: str):
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._status = JobStatus(id=uuid.uuid4().hex, kind=kind, file_name=file_name)

    @property
    def id(self) -> str:
        return self._status.id

    def status(self) -> JobStatus:
        with self._lock:
            return self._status

    def progress(self, stage: str, fraction: float | None) -> None:
        with self._lock:
            if self._status.done:
                return
            self._status = replace(
                self._status, stage=stage,
                fraction=self._status.fraction if fraction is None else max(fraction, self._status.fraction),
            )

    def finish(self, state: State, **outcome: Any) -> None:
        with self._lock:
            fraction = 1.0 if state == "imported" else self._status.fraction
            self._status = replace(
                self._status, state=state, finished=datetime.now(), fraction=fraction,
                stage={"imported": "imported", "rejected": "rejected", "failed": "failed"}[state], **outcome,
            )
        self._done.set()

    def wait(self, timeout: float | None = None) -> JobStatus:
        self._done.wait(timeout)
        return self.status()


class ImportJobRunner:
    """Runs at most one import at a time in this process and remembers the last `KEEP_JOBS` outcomes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, ImportJob] = OrderedDict()
        self._running: ImportJob | None = None

    def start(
        self,
        kind: str,
        engine: Engine,
        data: bytes,
        file_name: str,
        options: dict[str, Any] | None = None,
        *,
        load: Callable[..., ImportResult] | None = None,
    ) -> ImportJob:
        """Save the uploaded bytes to a private temporary file and import them in a background thread.

        `load` defaults to the registered importer of `kind`. Raises `ImportBusy` if an import is running.
        """
        if load is None:
            from analytics.ingest.registry import IMPORTERS

            load = IMPORTERS[kind].load
        with self._lock:
            if self._running is not None:
                raise ImportBusy(self._running.status())
            job = ImportJob(kind, safe_file_name(file_name))
            self._running = job
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                self._jobs.popitem(last=False)
        thread = threading.Thread(
            target=self._run, args=(job, engine, data, dict(options or {}), load),
            name=f"import-{kind}-{job.id[:8]}", daemon=True,
        )
        thread.start()
        return job

    def _run(
        self, job: ImportJob, engine: Engine, data: bytes, options: dict[str, Any],
        load: Callable[..., ImportResult],
    ) -> None:
        folder: str | None = None
        state: State = "failed"
        outcome: dict[str, Any] = {}
        try:
            job.progress("saving the upload", 0.01)
            folder = tempfile.mkdtemp(prefix="import-")
            path = Path(folder) / job.status().file_name
            path.write_bytes(data)
            with progress_to(job.progress), refresh_follows():
                result = load(engine, path, **options)
            job.progress("preparing the read model", 0.95)
            refresh(engine)
            state, outcome = "imported", {"result": result}
        except ImportRejected as rejected:
            state, outcome = "rejected", {"report": rejected.report(), "message": str(rejected)}
        except DBAPIError as error:
            outcome = {"message": describe_database_error(error)}
        except OSError as error:
            outcome = {"message": describe_os_error(error)}
        except Exception as error:  # never let a job thread die silently: say what failed
            detail = str(error).splitlines()[0][:200] if str(error) else ""
            outcome = {"message": f"the import failed ({type(error).__name__}: {detail})"}
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            with self._lock:  # free the runner before anyone waiting on the job hears it has ended
                if self._running is job:
                    self._running = None
            job.finish(state, **outcome)

    def job(self, job_id: str | None) -> ImportJob | None:
        with self._lock:
            return self._jobs.get(job_id) if job_id else None

    def status(self, job_id: str | None) -> JobStatus | None:
        job = self.job(job_id)
        return job.status() if job is not None else None

    def running(self) -> JobStatus | None:
        with self._lock:
            return self._running.status() if self._running is not None else None


def safe_file_name(name: str) -> str:
    """The uploaded file's own name (no folders, no control characters, bounded), keeping its suffix."""
    base = normalise_text(name.replace("\\", "/").rsplit("/", 1)[-1]).replace("\x00", "")
    base = "".join(ch if ch.isalnum() or ch in " ._-()" else "_" for ch in base).strip(" .") or "upload"
    if len(base) > MAX_NAME_CHARS:
        stem, dot, suffix = base.rpartition(".")
        keep = suffix[:10] if dot else ""
        base = base[: MAX_NAME_CHARS - len(keep) - 1] + ("." + keep if keep else "")
    return base


#: The one runner of this process (Streamlit serves every session from one process).
RUNNER = ImportJobRunner()


def start_import(
    kind: str, engine: Engine, data: bytes, file_name: str, options: dict[str, Any] | None = None
) -> ImportJob:
    """Start an import of uploaded bytes on this process's runner (raises `ImportBusy` if one is running)."""
    return RUNNER.start(kind, engine, data, file_name, options)
