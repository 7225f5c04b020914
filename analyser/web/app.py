"""The local web app (FastAPI + Jinja2): paste an email, or upload a spreadsheet and get the trends report.

Every asset is served from the package; nothing is fetched from elsewhere and no text leaves the machine.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ..config import MODEL_DIR
from ..taxonomy import load_taxonomy
from .jobs import DOWNLOADS, UPLOAD_TYPES, JobStore

HERE = Path(__file__).resolve().parent
CHUNK = 1 << 20
PREVIEW_ROWS = 5
CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'"
# No other site may frame these pages (clickjacking); the trends report is framed by the job page, on this site only.
FRAMES = {"page": "frame-ancestors 'none'", "report": "frame-ancestors 'self'"}


def segments(text: str, highlights: list[tuple[int, int, str]]) -> list[tuple[str, tuple[str, ...]]]:
    """The text cut into (piece, kinds) runs: kinds are the reasons (and 'strength') a piece is evidence of, in the
    order first given; () for a piece not highlighted. A sentence that shows two reasons carries both."""
    marks: list[tuple[str, ...]] = [()] * len(text)
    for start, end, kind in highlights:
        for i in range(max(0, start), min(len(text), end)):
            if kind not in marks[i]:
                marks[i] = (*marks[i], kind)
    out: list[tuple[str, tuple[str, ...]]] = []
    for i, ch in enumerate(text):
        if out and out[-1][1] == marks[i]:
            out[-1] = (out[-1][0] + ch, marks[i])
        else:
            out.append((ch, marks[i]))
    return out


def create_app(
    *,
    max_upload_mb: float = 50,
    ttl_seconds: int = 3600,
    model: Path = MODEL_DIR,
    host: str = "127.0.0.1",
    max_rows: int = 100_000,
) -> FastAPI:
    """The app; `host` is the address it listens on (requests must name it, or a loopback name, as their Host)."""
    import threading

    from starlette.concurrency import run_in_threadpool

    from .security import Guard

    store = JobStore(ttl_seconds)
    limit = int(max_upload_mb * 1024 * 1024)
    # The API and the paste page share this process's pipeline; analyses run one at a time in a worker thread (so the
    # event loop keeps serving) inside a memory zone (so new words do not grow the vocabulary for ever). Spreadsheet
    # jobs run in their own process (JobStore), never on this pipeline.
    analysis_lock = threading.Lock()

    @asynccontextmanager
    async def lifespan(_app):
        yield
        store.close()

    app = FastAPI(title="analyser", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.add_middleware(Guard, listen_host=host, upload_limit=limit)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")
    tax = load_taxonomy()
    common = {"labels": {r.name: r.label for r in tax.reasons}, "max_upload_mb": max_upload_mb}

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        frames = FRAMES["report" if request.url.path.endswith("/report") else "page"]
        response.headers["Content-Security-Policy"] = f"{CSP}; {frames}"
        if frames == FRAMES["page"]:
            response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def page(request: Request, name: str, status: int = 200, **context):
        return templates.TemplateResponse(request, name, {**common, **context}, status_code=status)

    def analyse_text(text: str, tone: str = "formal", channel: str = "email"):
        from ..analysis import analyse
        from ..pipeline import load_pipeline

        with analysis_lock, load_pipeline(Path(model)).memory_zone():
            return analyse(text, model=model, tone=tone, channel=channel)

    def message_options(tone, channel) -> str | None:
        """What is wrong with the follow-up options, in one line, or None."""
        from ..follow_up import CHANNELS, TONES

        if tone not in TONES:
            return f"'tone' must be one of {', '.join(TONES)}"
        if channel not in CHANNELS:
            return f"'channel' must be one of {', '.join(CHANNELS)}"
        return None

    @app.get("/", response_class=HTMLResponse)
    def paste_page(request: Request):
        return page(request, "paste.html", text="")

    @app.post("/analyse", response_class=HTMLResponse)
    def analyse_form(request: Request, text: str = Form(""), tone: str = Form("formal"), channel: str = Form("email")):
        from ..analysis import InputError

        problem = message_options(tone, channel)
        if problem:
            return page(request, "paste.html", 400, text=text, error=problem)
        try:
            result = analyse_text(text, tone, channel)
        except InputError as exc:
            return page(request, "paste.html", 400, text=text, error=page_words(str(exc)))
        return page(
            request,
            "result.html",
            result=result.to_dict(),
            pieces=segments(result.text, result.highlights),
            text=text,
            tone=tone,
            channel=channel,
        )

    @app.post("/api/analyse")
    async def analyse_api(request: Request):
        """The `analyse --json` object for {"text": "...", "tone": "formal|warm", "channel": "email|linkedin"} (tone
        and channel optional); a 4xx with {"error": "..."} for bad input."""
        from ..analysis import InputError

        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": 'send a JSON object like {"text": "..."}'}, status_code=400)
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str):
            return JSONResponse({"error": "the JSON object needs a 'text' string"}, status_code=422)
        tone, channel = body.get("tone", "formal"), body.get("channel", "email")
        problem = message_options(tone, channel)
        if problem:
            return JSONResponse({"error": problem}, status_code=422)
        try:
            result = await run_in_threadpool(analyse_text, text, tone, channel)
            return JSONResponse(result.to_dict())
        except InputError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon():
        return FileResponse(HERE / "static" / "favicon.ico", media_type="image/x-icon")

    @app.get("/spreadsheet", response_class=HTMLResponse)
    def spreadsheet_page(request: Request):
        return page(request, "spreadsheet.html")

    @app.post("/spreadsheet", response_class=HTMLResponse)
    async def upload(request: Request, file: UploadFile = File(...)):
        suffix = Path(file.filename or "").suffix.lower()
        if suffix not in UPLOAD_TYPES:
            return page(
                request,
                "spreadsheet.html",
                415,
                error=f"'{file.filename}' is not a spreadsheet: upload a {', '.join(UPLOAD_TYPES)} file",
            )
        job = store.create(file.filename or "upload")
        size = 0
        with open(job.source, "wb") as out:
            while chunk := await file.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    out.close()
                    store.remove(job.id)
                    return page(
                        request,
                        "spreadsheet.html",
                        413,
                        error=f"the file is larger than the {max_upload_mb:g} MB limit",
                    )
                out.write(chunk)
        from .security import expanded_problem

        # reading a spreadsheet takes a while: in a worker thread, so the event loop keeps serving other requests
        problem = await run_in_threadpool(expanded_problem, job.source, max_rows=max_rows)
        if problem:
            store.remove(job.id)
            return page(request, "spreadsheet.html", 413, error=problem)
        try:
            columns, preview, guess = await run_in_threadpool(_preview, job.source)
        except Exception as exc:  # noqa: BLE001 - any unreadable upload is one line for the person
            store.remove(job.id)
            return page(
                request,
                "spreadsheet.html",
                422,
                error=page_words(str(exc).splitlines()[0]) if str(exc) else "the file could not be read",
            )
        return page(
            request, "columns.html", job=job, columns=columns, preview=preview, guess=guess, filename=file.filename
        )

    @app.post("/spreadsheet/{job_id}/run")
    def run(request: Request, job_id: str, text_column: str = Form(...)):
        job = store.get(job_id)
        if job is None:
            return page(
                request, "spreadsheet.html", 404, error="that upload has expired or was removed; upload it again"
            )
        if job.state == "uploaded":
            store.run(job, text_column, model=model)
        return RedirectResponse(f"/spreadsheet/{job_id}", status_code=303)

    @app.get("/spreadsheet/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: str):
        job = store.get(job_id)
        if job is None:
            return page(
                request, "spreadsheet.html", 404, error="that upload has expired or was removed; upload it again"
            )
        return page(request, "job.html", job=job, downloads=list(DOWNLOADS), expires=store.expires_at(job))

    @app.get("/api/jobs/{job_id}")
    def job_status(job_id: str):
        job = store.get(job_id)
        if job is None:
            return JSONResponse({"error": "no such job"}, status_code=404)
        return job.progress()

    @app.get("/spreadsheet/{job_id}/report")
    def report(job_id: str):
        job = store.get(job_id)
        path = job.folder / "report.html" if job else None
        if path is None or not path.exists():
            return JSONResponse({"error": "no report (yet)"}, status_code=404)
        return FileResponse(path, media_type="text/html")

    @app.get("/spreadsheet/{job_id}/download/{name}")
    def download(job_id: str, name: str):
        job = store.get(job_id)
        if job is None or name not in DOWNLOADS or job.state != "done" or not (job.folder / name).exists():
            return JSONResponse(
                {"error": "not available: the job may still be running, or it has expired (after an hour)"},
                status_code=404,
            )
        job.downloaded.add(name)
        # files stay until the job expires (an hour), so a second download works; expiry and shutdown delete them
        return FileResponse(job.folder / name, media_type=DOWNLOADS[name], filename=name)

    return app


# What the CLI says, in the words of this page.
PAGE_WORDS = {
    "paste or pass the text of the email or note": "paste the text of the email or note into the box",
    "choose one with --text-column": "choose it from the list",
    "--text-column": "the feedback column",
}


def page_words(message: str) -> str:
    """A message written for the command line, reworded for the web page (no options, no 'pass')."""
    for cli, web in PAGE_WORDS.items():
        message = message.replace(cli, web)
    return message


def _cell(value) -> str:
    """A preview cell as text: blanks (None, NaN, NaT) empty, long text cut."""
    import pandas as pd

    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    text = str(value)
    return text if len(text) <= 160 else text[:157] + "..."


def _preview(path: Path) -> tuple[list[str], list[dict], str | None]:
    """Columns, the first rows, and the column that looks like the feedback text (if one does)."""
    from ..batch import pick_text_column
    from ..tables import TableError, read_table

    first = next(read_table(path, chunk_rows=200), None)
    if first is None or first.empty:
        raise TableError("the file has no rows")
    first.columns = [str(c) for c in first.columns]
    try:
        guess = pick_text_column(first, None)
    except TableError:
        guess = None
    # cell by cell: astype(str) keeps blanks as NaN under pandas 3 ("object of type 'float' has no len()")
    rows = [{c: _cell(v) for c, v in row.items()} for row in first.head(PREVIEW_ROWS).to_dict("records")]
    return list(first.columns), rows, guess
