"""Spreadsheet jobs for the web page: an upload in its own temporary folder, analysed in a separate process.

Jobs never share the web server's pipeline (spaCy's memory zones and one Vocab across threads do not mix: concurrent
jobs once failed with E018 and lost their rows): one job process runs them in turn, each on its own batch run.

Files live only in the job's folder, downloadable as often as wanted until the job expires (an hour after upload);
then its folder is deleted, and every job's folder when the server stops.
"""

from __future__ import annotations

import json
import queue
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
        self._queue: queue.Queue = queue.Queue()
        self._runner: threading.Thread | None = None
        self._pool = None

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
        if self._pool is not None:
            # the job process is ended with the server: no analysis outlives it
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
            self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def run(self, job: Job, text_column: str, *, model: Path) -> None:
        """Queue the upload for analysis in the job process: analysed CSV and XLSX, and the trends report."""
        job.state, job.text_column = "running", text_column
        with self.lock:
            if self._runner is None:
                self._runner = threading.Thread(target=self._run_jobs, daemon=True, name="analyser-jobs")
                self._runner.start()
        self._queue.put((job, text_column, model))

    def _run_jobs(self) -> None:
        """The one thread that owns the job process (so it lives as long as the server: the process is told to end
        with it), running jobs one after another and copying their progress in."""
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        from ..workers import die_with_parent

        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn"), initializer=die_with_parent)
        while True:
            job, text_column, model = self._queue.get()
            progress = job.folder / "progress.json"
            future = self._pool.submit(run_job, str(job.folder), str(job.source), text_column, str(model))
            while not future.done():
                _read_progress(job, progress)
                time.sleep(0.2)
            _read_progress(job, progress)
            try:
                result = future.result()
            except BaseException as exc:  # noqa: BLE001 - shown to the person as one line, never as a traceback
                job.state, job.error = "failed", (str(exc).splitlines() or [type(exc).__name__])[0][:300]
                continue
            job.analysed, job.excluded, job.notes = result["analysed"], result["excluded"], result["notes"]
            job.done, job.total = result["done"], result["total"]
            job.state = "done"


def _read_progress(job: Job, path: Path) -> None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    job.done, job.total = data.get("done", job.done), data.get("total", job.total)


def run_job(folder: str, source: str, text_column: str, model: str) -> dict:
    """In the job process: batch-analyse the upload, copy it to XLSX and write the trends report; progress goes to
    progress.json in the job folder. Returns the counts the job page shows."""
    from ..batch import copy_to_xlsx, run_batch, summary_notes
    from ..pipeline import model_version
    from ..trends import aggregate, load_rows
    from ..trends_report import write_report

    folder_path = Path(folder)
    state = {"done": 0, "total": None}
    last = [0.0]

    def save(force: bool = False) -> None:
        now = time.time()
        if force or now - last[0] > 0.2:
            last[0] = now
            tmp = folder_path / "progress.json.tmp"
            tmp.write_text(json.dumps(state))
            tmp.replace(folder_path / "progress.json")

    def advance(n: int) -> None:
        state["done"] += n
        save()

    def total(n) -> None:
        state["total"] = n
        save(force=True)

    csv_out = folder_path / "analysed.csv"
    summary = run_batch(
        Path(source),
        csv_out,
        text_column=text_column,
        workers=1,
        model=Path(model),
        progress=advance,
        total_callback=total,
    )
    save(force=True)
    copy_to_xlsx(csv_out, folder_path / "analysed.xlsx", summary)
    rows = load_rows(csv_out)  # analysis columns under their own names, whatever the input called its own
    errors = rows["error"].fillna("").astype(str)
    write_report(aggregate(rows, model_version=model_version(Path(model))), folder_path / "report.html")
    return {
        "analysed": summary.analysed,
        "excluded": errors[errors != ""].value_counts().to_dict(),
        "notes": summary_notes(summary)[1:],  # the column used is the one the person chose
        "done": state["done"],
        "total": state["total"],
    }
