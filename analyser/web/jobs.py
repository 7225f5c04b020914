"""Spreadsheet jobs for the web page: an upload in its own temporary folder, analysed in a background thread.

Files live only in the job's folder; each is deleted once downloaded, and whole jobs after a time limit.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

UPLOAD_TYPES = (".csv", ".tsv", ".xlsx")
DOWNLOADS = {
    "analysed.csv": "text/csv",
    "analysed.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "report.html": "text/html",
}


@dataclass
class Job:
    id: str
    folder: Path
    source: Path
    created: float = field(default_factory=time.time)
    state: str = "uploaded"  # uploaded -> running -> done | failed
    done: int = 0
    total: int | None = None
    error: str = ""
    text_column: str = ""
    downloaded: set = field(default_factory=set)

    def progress(self) -> dict:
        return {"state": self.state, "done": self.done, "total": self.total, "error": self.error}


class JobStore:
    """All jobs of one server, each in a folder under one temporary root that is removed at shutdown."""

    def __init__(self, ttl_seconds: int = 3600, root: Path | None = None):
        self.ttl = ttl_seconds
        self.root = Path(root or tempfile.mkdtemp(prefix="analyser-web-"))
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()

    def create(self, filename: str) -> Job:
        self.expire()
        job_id = uuid.uuid4().hex
        folder = self.root / job_id
        folder.mkdir(parents=True)
        job = Job(job_id, folder, folder / ("upload" + Path(filename).suffix.lower()))
        with self.lock:
            self.jobs[job_id] = job
        return job

    def get(self, job_id: str) -> Job | None:
        self.expire()
        return self.jobs.get(job_id)

    def remove(self, job_id: str) -> None:
        with self.lock:
            job = self.jobs.pop(job_id, None)
        if job:
            shutil.rmtree(job.folder, ignore_errors=True)

    def expire(self) -> None:
        now = time.time()
        for job_id, job in list(self.jobs.items()):
            if now - job.created > self.ttl and job.state != "running":
                self.remove(job_id)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def run(self, job: Job, text_column: str, *, model: Path) -> None:
        """Analyse the upload in a background thread: analysed CSV and XLSX, and the trends report."""
        job.state, job.text_column = "running", text_column
        threading.Thread(target=self._work, args=(job, text_column, model), daemon=True).start()

    def _work(self, job: Job, text_column: str, model: Path) -> None:
        from ..batch import run_batch
        from ..pipeline import model_version
        from ..tables import TableWriter, read_table
        from ..trends import aggregate, load_rows
        from ..trends_report import write_report

        try:
            csv_out = job.folder / "analysed.csv"

            def advance(n: int) -> None:
                job.done += n

            def total(n):
                job.total = n

            run_batch(
                job.source,
                csv_out,
                text_column=text_column,
                workers=1,
                model=model,
                progress=advance,
                total_callback=total,
            )
            writer = TableWriter(job.folder / "analysed.xlsx", ".xlsx")
            for chunk in read_table(csv_out):
                writer.write(chunk)
            writer.close()
            write_report(aggregate(load_rows(csv_out), model_version=model_version(model)), job.folder / "report.html")
            job.state = "done"
        except Exception as exc:  # noqa: BLE001 - shown to the person as one line, never as a traceback
            job.state, job.error = "failed", str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
