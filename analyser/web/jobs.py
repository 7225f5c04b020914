"""Spreadsheet jobs for the web page: an upload in its own temporary folder, analysed in a background thread.

Files live only in the job's folder, downloadable as often as wanted until the job expires (an hour after upload);
then its folder is deleted, and every job's folder when the server stops.
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
    analysed: int = 0
    excluded: dict = field(default_factory=dict)  # why -> rows, for rows with an error (empty, no feedback text, ...)
    notes: list = field(default_factory=list)  # what the batch summary says beyond the counts (cut cells, renames)

    def progress(self) -> dict:
        return {
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "error": self.error,
            "analysed": self.analysed,
            "excluded": sum(self.excluded.values()),
        }


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

    def expires_at(self, job: Job) -> str:
        """When the job's files are deleted, as the local time of day (HH:MM)."""
        return time.strftime("%H:%M", time.localtime(job.created + self.ttl))

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
        from ..batch import copy_to_xlsx, run_batch, summary_notes
        from ..pipeline import model_version
        from ..trends import aggregate, load_rows
        from ..trends_report import write_report

        try:
            csv_out = job.folder / "analysed.csv"

            def advance(n: int) -> None:
                job.done += n

            def total(n):
                job.total = n

            summary = run_batch(
                job.source,
                csv_out,
                text_column=text_column,
                workers=1,
                model=model,
                progress=advance,
                total_callback=total,
            )
            job.analysed = summary.analysed
            copy_to_xlsx(csv_out, job.folder / "analysed.xlsx", summary)
            job.notes = summary_notes(summary)[1:]  # the column used is the one the person chose
            rows = load_rows(csv_out)  # analysis columns under their own names, whatever the input called its own
            errors = rows["error"].fillna("").astype(str)
            job.excluded = errors[errors != ""].value_counts().to_dict()
            write_report(aggregate(rows, model_version=model_version(model)), job.folder / "report.html")
            job.state = "done"
        except Exception as exc:  # noqa: BLE001 - shown to the person as one line, never as a traceback
            job.state, job.error = "failed", str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
