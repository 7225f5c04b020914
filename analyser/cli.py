"""The `analyser` command line: thin wrappers over the package's functions.

Heavy libraries (spaCy, pandas, scikit-learn) are imported inside the commands that use them, so `--help` is instant.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape  # every user string printed through rich: a path like "a[/x]" is not markup

from .config import ACTIONS_PATH, MODEL_DIR

app = typer.Typer(
    help="Turn job-rejection feedback into reasons, evidence, strengths, signals and next steps. Runs offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
EXIT_BAD_INPUT = 2
EXIT_NO_MODEL = 3

ModelOpt = Annotated[Path, typer.Option("--model", help="Trained model directory.", file_okay=False)]
ActionsOpt = Annotated[
    Path, typer.Option("--actions", help="Action catalogue (TOML, same schema as data/actions.toml).", dir_okay=False)
]
WorkersOpt = Annotated[
    Optional[int],
    typer.Option(
        "--workers", "-w", min=1, help="Processes running the model. [default: all cores]", show_default=False
    ),
]


def _workers(n: Optional[int]) -> int:
    """Worker processes for --workers N: at most what the machine's cores and free memory allow (said when capped)."""
    from .workers import cap_workers

    count, why = cap_workers(n)
    if why:
        err.print(f"[bold yellow]warning:[/] {escape(why)}", highlight=False)
    return count


def _end_on_signals() -> None:
    """SIGTERM and SIGHUP stop a run as Ctrl-C does: the partial output is removed and the workers are ended."""
    import signal

    signals = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]

    def stop(signum, _frame):
        for sig in signals:  # a second signal must not interrupt the clean-up of the first
            signal.signal(sig, signal.SIG_IGN)
        raise KeyboardInterrupt

    for sig in signals:
        try:
            signal.signal(sig, stop)
        except ValueError:  # not the main thread (a test runner): leave the signals as they are
            return


def _exit_soon(code: int, seconds: float = 30.0) -> None:
    """After an interrupted run has cleaned up, make sure the process ends even if interpreter shutdown hangs
    (multiprocessing's exit handlers join children and handler threads): a stopped batch must not linger."""
    import os
    import threading

    timer = threading.Timer(seconds, os._exit, (code,))
    timer.daemon = True
    timer.start()


def _require_model(model: Path) -> None:
    from .pipeline import require_model

    try:
        require_model(model)
    except FileNotFoundError as exc:
        raise fail(str(exc), EXIT_NO_MODEL) from None


def _require_folder(output: Path) -> None:
    if not output.parent.is_dir():
        raise fail(f"the folder for {output} does not exist: create it or choose another --output")


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print a one-line error to stderr and return the Exit to raise."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _read_input(text: Optional[str], file: Optional[Path]) -> str:
    from .reading import UnreadableInput, read_feedback_file

    if text is not None and file is not None:
        raise fail("give the feedback as TEXT or with --file, not both")
    if file is not None:
        try:
            return read_feedback_file(file)
        except UnreadableInput as exc:
            raise fail(str(exc)) from None
    if text is not None:
        return text
    if sys.stdin is None:
        raise fail("no feedback given: pass TEXT, --file PATH, or pipe the text in")
    if sys.stdin.isatty():
        err.print("Paste the feedback, then press Ctrl-D", style="bold")
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    from .reading import decode_bytes

    try:
        return decode_bytes(data)
    except UnreadableInput as exc:
        raise fail(str(exc)) from None


@app.command("analyse")
def analyse_cli(
    text: Annotated[
        Optional[str],
        typer.Argument(help="The feedback text. Omit to use --file or standard input.", show_default=False),
    ] = None,
    file: Annotated[
        Optional[Path],
        typer.Option(
            "--file",
            "-f",
            help="A .txt, .html or .eml file with the feedback.",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of the people's view.")
    ] = False,
    model: ModelOpt = MODEL_DIR,
    actions: ActionsOpt = ACTIONS_PATH,
    tone: Annotated[
        str, typer.Option("--tone", help="Follow-up message tone: formal or warm.", case_sensitive=False)
    ] = "formal",
    channel: Annotated[
        str,
        typer.Option(
            "--channel", help="Follow-up message channel: email, or linkedin (short, no subject).", case_sensitive=False
        ),
    ] = "email",
) -> None:
    """Analyse one rejection email or piece of feedback: reasons, evidence, strengths, signals, next steps."""
    from .follow_up import CHANNELS, TONES

    tone, channel = tone.lower(), channel.lower()
    if tone not in TONES:
        raise fail(f"--tone must be one of {', '.join(TONES)}, got '{tone}'")
    if channel not in CHANNELS:
        raise fail(f"--channel must be one of {', '.join(CHANNELS)}, got '{channel}'")
    raw = _read_input(text, file)
    from .actions import CatalogueError
    from .analysis import InputError, analyse

    try:
        result = analyse(raw, model=model, actions=actions, tone=tone, channel=channel)
    except InputError as exc:
        raise fail(str(exc)) from None
    except CatalogueError as exc:
        raise fail(str(exc)) from None
    except FileNotFoundError as exc:
        raise fail(str(exc), EXIT_NO_MODEL) from None
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        return
    from .report_view import render_analysis

    render_analysis(result, Console())


@app.command("batch")
def batch_cli(
    input: Annotated[
        Path, typer.Argument(help="Feedback table: .csv, .tsv, .jsonl, .parquet or .xlsx.", show_default=False)
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Analysed table: .csv, .jsonl, .parquet or .xlsx.", show_default=False),
    ],
    text_column: Annotated[
        Optional[str],
        typer.Option(
            "--text-column", "-t", help="Column with the feedback text (guessed when only one column is free text)."
        ),
    ] = None,
    id_column: Annotated[
        Optional[str], typer.Option("--id-column", help="Column that identifies each row (checked to exist).")
    ] = None,
    workers: WorkersOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    model: ModelOpt = MODEL_DIR,
    actions: ActionsOpt = ACTIONS_PATH,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="Where the model runs: local (processes of this machine) or dask (a Dask cluster; "
            "pip install 'analyser[dask]'; Parquet output is then a folder of part files).",
        ),
    ] = "local",
    scheduler: Annotated[
        Optional[str],
        typer.Option(
            "--scheduler",
            help="With --engine dask: the address of a running scheduler (tcp://host:8786) instead of a local "
            "cluster of --workers processes.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Analyse every row of a feedback table into a new table: one output row per input row, in order."""
    import time

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    from .actions import CatalogueError, load_catalogue
    from .batch import ENGINES, Interrupted, run_batch, summary_dict, summary_notes
    from .pipeline import allow_freezing
    from .tables import TableError

    if engine not in ENGINES:
        raise typer.BadParameter(
            f"'{engine}' is not an engine; engines are: {', '.join(ENGINES)}", param_hint="--engine"
        )
    if scheduler and engine != "dask":
        raise typer.BadParameter("--scheduler needs --engine dask", param_hint="--scheduler")
    if engine == "dask":
        from .dask_engine import require_dask

        try:
            require_dask()
        except TableError as exc:
            raise fail(str(exc)) from None
    if not input.is_file():
        raise fail(f"input file not found: {input}")
    _require_folder(output)
    try:
        load_catalogue(actions)
    except CatalogueError as exc:
        raise fail(str(exc)) from None
    _require_model(model)
    if scheduler and workers is not None:
        err.print("[bold yellow]warning:[/] --workers is ignored with --scheduler: the cluster has its own workers")
    workers = 1 if scheduler else _workers(workers)
    _end_on_signals()
    allow_freezing()  # this process is the batch's own: its long-lived model objects may leave the collector
    show = not quiet and err.is_terminal
    progress = Progress(
        TextColumn("[bold]analysing"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]} rows/s"),
        TimeRemainingColumn(),
        console=err,
        disable=not show,
    )
    task = progress.add_task("rows", total=None, rate="-")
    started = time.perf_counter()

    def advance(n: int) -> None:
        done = progress.tasks[0].completed + n
        elapsed = time.perf_counter() - started
        progress.update(task, advance=n, rate=f"{done / elapsed:,.0f}" if elapsed else "-")

    try:
        with progress:
            summary = run_batch(
                input,
                output,
                text_column=text_column,
                id_column=id_column,
                workers=workers,
                model=model,
                actions=actions,
                progress=advance,
                total_callback=lambda total: progress.update(task, total=total),
                engine=engine,
                scheduler=scheduler,
            )
    except TableError as exc:
        raise fail(str(exc)) from None
    except Interrupted as exc:
        _exit_soon(130)
        raise fail(str(exc), 130) from None
    if quiet:
        return
    info = summary_dict(summary)
    err.print(
        f"[bold]{info['rows_read']:,}[/] rows read, [green]{info['analysed']:,}[/] analysed, "
        f"[red]{info['errors']:,}[/] with errors, {info['needs_review']:,} to review "
        f"({info['unique_texts']:,} distinct texts, {info['rows_per_second'] or 0:,.0f} rows/s) -> {escape(str(output))}",
        highlight=False,
    )
    if info["reasons"]:
        err.print("reasons: " + ", ".join(f"{r} {n:,}" for r, n in info["reasons"].items()), highlight=False)
    for note in summary_notes(summary):
        err.print(note, markup=False, highlight=False)


@app.command("trends")
def trends_cli(
    input: Annotated[
        Path,
        typer.Argument(
            help="A `batch` output (a file, or the folder of Parquet parts `--engine dask` writes), or a raw feedback table (analysed first).",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The report: one self-contained .html file.", show_default=False)
    ],
    date_column: Annotated[
        Optional[str], typer.Option("--date-column", help="Date column (default: a column named date, sent, ...).")
    ] = None,
    by: Annotated[
        Optional[list[str]],
        typer.Option(
            "--by",
            help="Columns to break reasons down by; repeat or comma-separate. [default: sector, stage, employer, cohort when present]",
        ),
    ] = None,
    freq: Annotated[
        str, typer.Option("--freq", help="Period for the time view: M (month), Q (quarter) or Y (year).")
    ] = "M",
    min_group: Annotated[
        int, typer.Option("--min-group", min=1, help="Groups smaller than this are shown as '<N'.")
    ] = 5,
    csv_dir: Annotated[
        Optional[Path],
        typer.Option("--csv", help="Also write the aggregated tables as CSV files here.", file_okay=False),
    ] = None,
    text_column: Annotated[
        Optional[str], typer.Option("--text-column", "-t", help="Feedback column, for a raw file.")
    ] = None,
    workers: WorkersOpt = None,
    model: ModelOpt = MODEL_DIR,
) -> None:
    """Trends across many rejections for careers advisers: one offline HTML report, small groups suppressed."""

    from rich.table import Table

    from .pipeline import model_version
    from .tables import TableError
    from .trends import aggregate, load_rows, refuse_overwrite, write_tables
    from .trends_report import write_report

    if not (input.is_file() or input.is_dir()):
        raise fail(f"input not found: {input} (a batch output file, a folder of Parquet parts, or a raw feedback file)")
    if output.suffix.lower() not in (".html", ".htm"):
        raise fail(f"--output must be an .html file, got '{output.name}'")
    _require_folder(output)
    columns = [c.strip() for item in by or [] for c in item.split(",") if c.strip()]
    freq = freq.upper()
    if freq not in ("M", "Q", "Y"):
        raise fail(f"--freq must be M, Q or Y, got '{freq}'")
    try:
        refuse_overwrite(input, output, csv_dir)
        rows = load_rows(
            input,
            text_column=text_column,
            workers=_workers(workers),
            model=model,
            report_only=True,
            date_column=date_column,
            by=columns,
        )
        trends = aggregate(
            rows,
            date_column=date_column,
            by=columns,
            freq=freq,
            min_group=min_group,
            model_version=model_version(model),
        )
        write_report(trends, output)
        if csv_dir is not None:
            write_tables(trends, csv_dir)
    except TableError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write {exc.filename or csv_dir or output}: {exc.strerror or exc}") from None
    h = trends.headline
    err.print(
        f"[bold]{h['analysed']:,}[/] rejections analysed ({h['excluded']:,} excluded)"
        + (escape(f" from {h['date_from']} to {h['date_to']}") if h["date_from"] else ""),
        highlight=False,
    )
    table = Table(title="Reasons overall", title_justify="left")
    for col in ("reason", "rejections", "share", "95% interval"):
        table.add_column(col, justify="left" if col == "reason" else "right")
    for row in trends.overall.to_dict("records"):
        share = "" if row["share"] is None else f"{row['share']:.0%}"
        ci = "" if row["share"] is None else f"{row['ci_low']:.0%}-{row['ci_high']:.0%}"
        table.add_row(row["reason"], str(row["count"]), share, ci)
    err.print(table)
    sig = trends.changes[trends.changes["significant"]] if len(trends.changes) else trends.changes
    for c in sig.to_dict("records") if len(sig) else []:
        err.print(
            escape(
                f"significant change ({c['group']}): {c['reason']} {c['direction']} from {c['share_from']:.0%} "
                f"({c['from']}) to {c['share_to']:.0%} ({c['to']})"
            ),
            highlight=False,
        )
    err.print(escape(f"report: {output}" + (f"; tables: {csv_dir}" if csv_dir else "")), highlight=False)


@app.command("serve")
def serve_cli(
    host: Annotated[
        str, typer.Option(help="Address to listen on. Anything but this machine (127.0.0.1) exposes it to others.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    max_upload_mb: Annotated[
        float, typer.Option("--max-upload-mb", min=0.1, help="Largest spreadsheet accepted, in MB.")
    ] = 50,
    model: ModelOpt = MODEL_DIR,
) -> None:
    """A local web page: paste an email, or upload a spreadsheet and see the trends report. Nothing leaves this machine."""
    try:
        import uvicorn

        from .web.app import create_app
        from .web.security import is_loopback, is_wildcard, url_host
    except ImportError as exc:
        raise fail(f"the web page needs {exc.name}, which is missing: reinstall with pip install -e .", 1) from None
    _require_model(model)
    if not is_loopback(host):  # localhost, 127.0.0.0/8 and ::1 keep it on this machine
        err.print(
            f"[bold yellow]warning:[/] listening on {escape(host)}: other computers on the network can reach this page and the "
            "feedback people paste into it. Use --host 127.0.0.1 to keep it on this machine.",
            highlight=False,
        )
    err.print(
        f"analyser is running at http://{'127.0.0.1' if is_wildcard(host) else url_host(host)}:{port}/  (Ctrl-C to stop)",
        highlight=False,
    )
    app_ = create_app(max_upload_mb=max_upload_mb, model=model, host=host)
    uvicorn.run(app_, host=host.strip("[]"), port=port, log_level="warning")


@app.command("train")
def train_cli(
    out: Annotated[Path, typer.Option("--out", help="Where to save the trained model.", file_okay=False)] = MODEL_DIR,
    seed: Annotated[int, typer.Option(help="Random seed (the shipped model uses 0).")] = 0,
) -> None:
    """Rebuild the reason model from data/labelled (train split; tuned on dev), reproducibly."""
    from .training import train

    try:
        train(out_dir=out, seed=seed, log=err.print)
    except (FileNotFoundError, ValueError) as exc:
        raise fail(str(exc), 1) from None
    except OSError as exc:
        raise fail(f"cannot write the model to {out}: {exc.strerror or exc}") from None


@app.command("evaluate")
def evaluate_cli(
    data: Annotated[
        list[Path],
        typer.Argument(
            help="Labelled data, one or more: project .jsonl files or split folders, or CSVs with 'text' and 'reasons' "
            "columns (e.g. both files of ../shared/real-dev). Several are scored each on its own, then together.",
            exists=True,
        ),
    ],
    model: ModelOpt = MODEL_DIR,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Score the model on labelled feedback: per-reason precision, recall and F1, micro/macro F1, exact match."""
    from .evaluate import evaluate_paths, render_metrics

    try:
        results = evaluate_paths(data, model=model)
    except (FileNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(results["all"] if len(data) == 1 else results, indent=2) + "\n")
        return
    console = Console()
    for name, metrics in results["files"].items() if len(data) > 1 else []:
        console.rule(name)
        render_metrics(metrics, console, worst=False)
    if len(data) > 1:
        console.rule("all files together")
    render_metrics(results["all"], console)


def main() -> None:
    """Entry point: unexpected failures end with one line on stderr, not a traceback (ANALYSER_DEBUG=1 shows it)."""
    import os

    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the last line of defence for people, not for tests
        if os.environ.get("ANALYSER_DEBUG"):
            raise
        err.print(f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
