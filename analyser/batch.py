"""Batch analysis: a table of feedback in, the same table with analysis columns out.

One output row per input row, in order, always. Bad cells are marked in `error`/`warnings`, never dropped.
Identical texts (templates are common) are analysed once. With workers > 1 the model runs in separate processes that
return compact rows. The output is written to a temporary file and renamed only when complete.
"""

from __future__ import annotations

import os
import re
import time
import tomllib
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import pandas as pd

from .batch_worker import _init_worker, _worker_task, analyse_texts, error_row, row_from_analysis  # noqa: F401
from .config import DATA_DIR, MAX_CHARS, MODEL_DIR
from .tables import XLSX_MAX_CELL, TableError, TableWriter, count_rows, neutralise, read_table, xlsx_overflow
from .taxonomy import load_taxonomy

CHUNK_ROWS = 2000
SUB_BATCH = 250  # texts per task sent to a worker process
CACHE_SIZE = 20_000
_NUMERIC = re.compile(r"^[\s\d.,:;/%£$€+\-()]*$")
_WORD = re.compile(r"[^\W\d_]+")
_FORMULA = re.compile(r"^\s*[=+@]\s*(?:[A-Za-z_][\w.]*\s*\(|[^A-Za-z]*$)")
_UNSPACED_SCRIPT = re.compile("[\u2e80-\u9fff\uac00-\ud7af\u0e00-\u0e7f\u3040-\u30ff]")  # CJK, kana, Hangul, Thai
NO_FEEDBACK = "no feedback text"
PLACEHOLDERS_PATH = DATA_DIR / "placeholders.toml"
# A column whose name says it holds the feedback is preferred over guessing from the cells (earlier = stronger).
TEXT_COLUMN_WORDS = ("feedback", "comments", "comment", "text", "notes", "note", "reason", "remarks", "message", "body")
SUFFIX = "_analysis"  # added to an analysis column whose name an input column already has
Engine = Literal["local", "dask"]
ENGINES: tuple[str, ...] = get_args(Engine)


def output_columns() -> list[str]:
    tax = load_taxonomy()
    return [
        "reasons",
        *(f"score_{r}" for r in tax.reason_names),
        "top_reason",
        "evidence",
        "strengths",
        "strength_aspects",
        *tax.signals,
        "stage",
        "skills_mentioned",
        "skills_gaps",
        "actions",
        "needs_review",
        "warnings",
        "error",
    ]


@dataclass
class BatchSummary:
    rows_read: int = 0
    analysed: int = 0
    errors: int = 0
    needs_review: int = 0
    unique_texts: int = 0
    reasons: Counter = field(default_factory=Counter)
    text_column: str = ""
    text_column_how: str = ""  # why that column: "given", "named like feedback", "the only free-text column"
    renamed: dict[str, str] = field(default_factory=dict)  # analysis column -> the name it got (input kept its own)
    cells_cut: int = 0  # cells longer than Excel's 32,767 characters, cut in XLSX output
    rows_cut: int = 0
    rows_repaired: int = 0  # rows whose invalid characters (lone surrogates) were replaced
    timings: dict[str, float] = field(
        default_factory=lambda: {"reading": 0.0, "cleaning": 0.0, "model": 0.0, "writing": 0.0}
    )
    seconds: float = 0.0


class Interrupted(Exception):
    """The run was stopped before the end; nothing was written under the output name."""

    def __init__(self, rows_done: int):
        super().__init__(f"interrupted after {rows_done:,} rows; no output file was written")
        self.rows_done = rows_done


@lru_cache(maxsize=1)
def placeholders(path: Path = PLACEHOLDERS_PATH) -> frozenset[str]:
    """The placeholder cells of data/placeholders.toml, normalised; a malformed file is a ValueError naming it."""
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    extra = set(raw) - {"placeholders"}
    values = raw.get("placeholders")
    if extra or not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise ValueError(f'{path}: expected only `placeholders = ["...", ...]` (non-empty strings)')
    return frozenset(_normal(v) for v in values)


@lru_cache(maxsize=2)
def _longest(strings: frozenset[str]) -> int:
    return max(map(len, strings), default=0)


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def cell_problem(value) -> str | None:
    """Why a cell cannot be analysed as feedback, or None.

    Cells with no words of feedback (placeholders like N/A or "no comment", booleans, single words, formulas) are
    marked like empty cells, so that they are not counted as feedback that gives no reason.
    """
    if value is None or (isinstance(value, float) and value != value):
        return "empty cell"
    if not isinstance(value, str):
        return f"not text ({type(value).__name__})"
    if not value.strip():
        return "empty cell"
    if _NUMERIC.match(value) and any(ch.isdigit() for ch in value):
        return "not text (a number)"
    if len(value) < 2000:  # long cells are feedback whatever they start with
        words = _WORD.findall(value)
        if len(words) < 2 and not _UNSPACED_SCRIPT.search(value):
            return NO_FEEDBACK
        if _FORMULA.match(value):
            return NO_FEEDBACK
        known = placeholders()
        # every letter of a cell is in its normal form (lower-cased: still a letter, or a letter and a mark; a test
        # checks every code point): a cell with more letters than any placeholder is none
        could_be = sum(map(len, words)) <= _longest(known)
        if could_be and _normal(value) in known:
            return NO_FEEDBACK
    return None


# -- the run ---------------------------------------------------------------------------------------------------------
def pick_text_column(df: pd.DataFrame, text_column: str | None) -> str:
    """The feedback column: the one given, else one named like feedback, else the only one that looks like free text."""
    return choose_text_column(df, text_column)[0]


def choose_text_column(df: pd.DataFrame, text_column: str | None) -> tuple[str, str]:
    """The feedback column and how it was chosen (said in the summary, so a wrong guess is seen at once)."""
    columns = [str(c) for c in df.columns]
    if text_column is not None:
        if text_column not in columns:
            raise TableError(f"column '{text_column}' not found; columns are: {', '.join(columns)}")
        return text_column, "given"
    texts = {c: [v for v in df[c].tolist() if isinstance(v, str) and v.strip()] for c in columns}
    ours = set(output_columns())
    named = []
    for c in columns:
        words = _normal(c).split()
        hits = [i for i, w in enumerate(TEXT_COLUMN_WORDS) if w in words]
        if hits and c not in ours and any(len(_WORD.findall(v)) >= 2 for v in texts[c]):
            named.append((min(hits), columns.index(c), c))
    if named:
        return min(named)[2], "named like feedback"
    candidates = [
        c
        for c in columns
        if texts[c]
        and sum(len(v) for v in texts[c]) / len(texts[c]) >= 30
        and sum(len(v.split()) >= 5 for v in texts[c]) >= len(texts[c]) / 2
    ]
    if len(candidates) != 1:
        found = f"{len(candidates)} columns look like free text" if candidates else "no column looks like free text"
        raise TableError(f"{found}; choose one with --text-column (columns are: {', '.join(columns)})")
    return candidates[0], "the only free-text column"


def analysis_names(input_columns, names: list[str]) -> dict[str, str]:
    """The name each analysis column gets: its own, or with `_analysis` added (again if need be) when an input column
    has it. Input columns always keep their names."""
    taken = set(map(str, input_columns))
    out = {}
    for name in names:
        new = name
        while new in taken:
            new += SUFFIX
        taken.add(new)
        out[name] = new
    return out


def run_batch(
    input_path: Path,
    output_path: Path,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    workers: int = 1,
    model: Path = MODEL_DIR,
    actions: Path | None = None,
    chunk_rows: int | None = None,
    max_chars: int = MAX_CHARS,
    progress: Callable[[int], None] | None = None,
    total_callback: Callable[[int | None], None] | None = None,
    engine: Engine = "local",
    scheduler: str | None = None,
) -> BatchSummary:
    """Analyse every row of `input_path` into `output_path`. Raises TableError for an unusable file or column.

    engine "dask" runs the model on a Dask cluster (a LocalCluster of `workers` processes, or the one whose scheduler
    is at `scheduler`) with the same rows, order and counts; Parquet output is then a folder of part files.
    `chunk_rows` None reads CHUNK_ROWS rows at a time, more for a Dask cluster with many workers.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; engines are: {', '.join(ENGINES)}")
    if not input_path.is_file():
        raise TableError(f"input file not found: {input_path}")
    if output_path.resolve() == input_path.resolve():
        raise TableError("the output would overwrite the input; choose another --output name")
    if engine == "dask":
        from . import dask_engine

        dask_engine.require_dask()
        dask_engine.check_output(output_path)
    summary = BatchSummary()
    started = time.perf_counter()
    full = output_path.suffix.lower() == ".jsonl"
    temp = output_path.with_name(f".{output_path.name}.partial-{os.getpid()}")
    if engine == "dask":
        writer = dask_engine.writer_for(output_path, temp)
    else:
        writer = TableWriter.for_output(output_path, temp)
    if total_callback:
        total_callback(count_rows(input_path))
    cache: OrderedDict[str, dict] = OrderedDict()
    pool = None
    try:
        if engine == "dask":
            if scheduler:  # connected first: an unreachable scheduler fails at once, and its workers are counted
                pool = dask_engine.DaskPool(
                    workers=workers, scheduler=scheduler, model=model, actions=actions, max_chars=max_chars
                )
                workers = pool.workers
            if chunk_rows is None:  # enough texts per chunk for two partitions per worker
                chunk_rows = max(CHUNK_ROWS, 2 * SUB_BATCH * workers)
        chunks = read_table(input_path, chunk_rows or CHUNK_ROWS)
        t0 = time.perf_counter()
        first = next(chunks, None)
        summary.timings["reading"] += time.perf_counter() - t0
        if first is None:
            raise TableError(f"{input_path.name} has no rows")
        column, summary.text_column_how = choose_text_column(first, text_column)
        summary.text_column = column
        ours = ["analysis", "error"] if full else output_columns()
        names = analysis_names(first.columns, ours)
        summary.renamed = {k: v for k, v in names.items() if k != v}
        if id_column is not None and id_column not in map(str, first.columns):
            raise TableError(f"column '{id_column}' not found; columns are: {', '.join(map(str, first.columns))}")
        if engine == "dask" and pool is None:
            pool = dask_engine.DaskPool(
                workers=workers, scheduler=None, model=model, actions=actions, max_chars=max_chars
            )
        elif workers > 1:
            import multiprocessing as mp

            pool = mp.get_context("spawn").Pool(
                workers, _init_worker, (str(model), str(actions) if actions else None, full)
            )

        def chunk_stream():
            yield first
            while True:
                t = time.perf_counter()
                chunk = next(chunks, None)
                summary.timings["reading"] += time.perf_counter() - t
                if chunk is None:
                    return
                yield chunk

        for chunk in chunk_stream():
            chunk.columns = [str(c) for c in chunk.columns]
            summary.rows_repaired += len(chunk.attrs.get("repaired_rows", []))
            out_rows = analyse_cells(
                chunk[column].tolist(), model=model, actions=actions, full=full, max_chars=max_chars,
                cache=cache, pool=pool, summary=summary,
            )  # fmt: skip
            t = time.perf_counter()
            _write_chunk(writer, frame_of(chunk, out_rows, full=full), full, summary)
            summary.timings["writing"] += time.perf_counter() - t
            summary.rows_read += len(chunk)
            if progress:
                progress(len(chunk))
        writer.close()
        if engine == "dask":
            dask_engine.replace_output(temp, output_path)
        else:
            os.replace(temp, output_path)
    except BaseException as exc:
        writer.abort()
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(summary.rows_read) from None
        raise
    finally:
        if pool is not None:
            end_pool(pool)
    summary.seconds = time.perf_counter() - started
    return summary


def end_pool(pool, timeout: float = 20.0) -> None:
    """Terminate the worker pool and reap it, so no process or semaphore is left behind.

    A signal that lands inside the pool's own bookkeeping can leave a lock held, and `Pool.terminate` then waits for
    ever (seen once in CI after SIGHUP): past `timeout` seconds the workers are killed instead."""
    import threading

    ender = threading.Thread(target=lambda: (pool.terminate(), pool.join()), daemon=True)
    ender.start()
    ender.join(timeout)
    if ender.is_alive():
        import multiprocessing as mp

        for child in mp.active_children():
            child.kill()


def analyse_cells(
    values: list,
    *,
    model: Path = MODEL_DIR,
    actions: Path | None = None,
    full: bool = False,
    max_chars: int = MAX_CHARS,
    cache: OrderedDict | None = None,
    pool=None,
    summary: BatchSummary | None = None,
) -> list[dict]:
    """One output row per cell, in order: cells that are not feedback get an error row; each distinct text (not in
    `cache`) is analysed once, in this process or by `pool.map(_worker_task, batches)`. Counts go into `summary`."""
    cache = OrderedDict() if cache is None else cache
    summary = BatchSummary() if summary is None else summary
    rows: list[dict | None] = [None] * len(values)
    todo: dict[str, list[int]] = {}
    for i, value in enumerate(values):
        problem = cell_problem(value)
        if problem:
            rows[i] = error_row(problem)
            continue
        key = value
        if key in cache:
            cache.move_to_end(key)
            rows[i] = cache[key]
        else:
            todo.setdefault(key, []).append(i)
    texts = list(todo)
    summary.unique_texts += len(texts)
    if texts:
        batches = [texts[k : k + SUB_BATCH] for k in range(0, len(texts), SUB_BATCH)]
        if pool is not None:
            results = pool.map(_worker_task, batches)
        else:
            results = [analyse_texts(b, str(model), str(actions) if actions else None, full) for b in batches]
        done = [row for batch_rows, _ in results for row in batch_rows]
        for _, timing in results:
            for k, v in timing.items():
                summary.timings[k] += v
        for text, row in zip(texts, done):
            if len(text) > max_chars and not row["error"]:
                row["needs_review"] = True
            cache[text] = row
            for i in todo[text]:
                rows[i] = row
        while len(cache) > CACHE_SIZE:
            cache.popitem(last=False)
    for row in rows:
        if row["error"]:
            summary.errors += 1
        else:
            summary.analysed += 1
            summary.needs_review += bool(row["needs_review"])
            summary.reasons.update(r for r in row["reasons"].split(";") if r)
    return rows


REPAIRED = "invalid characters in this row (lone surrogates) were replaced with \ufffd"


def frame_of(chunk: pd.DataFrame, rows: list[dict], *, full: bool) -> pd.DataFrame:
    """The input rows with their analysis columns: the table `batch` writes, cells made safe for spreadsheets.

    Table output: the columns of `output_columns()` with fixed dtypes (scores Float64, signals boolean, strengths
    Int64). JSONL output (`full`): an `analysis` column of JSON objects (None for a bad row) and `error`. Analysis
    columns whose names the input has get `_analysis` added. Rows whose invalid characters were replaced when read
    (`chunk.attrs["repaired_rows"]`) say so in their warnings. Every text cell that a spreadsheet would run as a
    formula gets a leading apostrophe (`tables.neutralise`), so whichever writer gets the frame keeps that protection.
    """
    repaired = set(chunk.attrs.get("repaired_rows", []))
    chunk = chunk.reset_index(drop=True)
    chunk.columns = [str(c) for c in chunk.columns]
    names = analysis_names(chunk.columns, ["analysis", "error"] if full else output_columns())
    if full:
        analyses, errors = [], []
        for i, row in enumerate(rows):
            analysis, error = row["_analysis"], row["error"]
            if i in repaired:
                if analysis is not None:
                    analysis = {**analysis, "warnings": [*analysis["warnings"], REPAIRED]}
                error = f"{error}; {REPAIRED}" if error else error
            analyses.append(analysis)
            errors.append(error)
        inputs = chunk.astype(object)
        inputs = inputs.where(inputs.notna(), None)  # JSON null, not NaN
        extra = pd.DataFrame({"analysis": pd.Series(analyses, dtype=object), "error": pd.Series(errors, dtype=object)})
    else:
        tax = load_taxonomy()
        extra = pd.DataFrame([{k: v for k, v in r.items() if k != "_analysis"} for r in rows], columns=output_columns())
        numbers = {
            "strengths": "Int64",
            **dict.fromkeys(tax.signals, "boolean"),
            **dict.fromkeys((f"score_{r}" for r in tax.reason_names), "Float64"),
            "needs_review": bool,
        }
        # the text columns are text even with no rows (a Dask meta, a Spark schema)
        extra = extra.astype({**dict.fromkeys(set(extra.columns) - set(numbers), str), **numbers})
        if repaired:
            extra["warnings"] = [
                "; ".join(x for x in (w, REPAIRED) if x) if i in repaired else w
                for i, w in enumerate(extra["warnings"].tolist())
            ]
        inputs = chunk
    out = pd.concat([inputs, extra.rename(columns=names)], axis=1)
    for c in out.columns:
        if c != names.get("analysis") and (out[c].dtype == object or pd.api.types.is_string_dtype(out[c].dtype)):
            out[c] = _protect(out[c])
    return out


_PLAIN_START = r"""[A-Za-z0-9{}\[\]"'(<#*_.,;:!?/&%]|$"""


def _protect(cells: pd.Series) -> pd.Series:
    """`neutralise` on every cell that could start a formula: an empty one, or one that starts with an ASCII letter,
    digit or common punctuation, cannot (most cells: they are skipped without a Python call each)."""
    try:
        plain = cells.str.match(_PLAIN_START, na=False).astype(bool)
    except AttributeError:  # an object column holding no text at all (numbers, None): pandas refuses .str
        return cells.map(neutralise).astype(cells.dtype)
    risky = ~plain  # a value that is not text, or text starting with anything else
    if not risky.any():
        return cells
    cells = cells.copy()
    cells[risky] = [neutralise(v) for v in cells[risky]]  # a list: values keep their own types (1 stays 1)
    return cells


def _write_chunk(writer: TableWriter, out: pd.DataFrame, full: bool, summary: BatchSummary) -> None:
    if full:
        writer.write(out, out.to_dict(orient="records"))
        return
    if writer.fmt == ".xlsx":
        warnings = summary.renamed.get("warnings", "warnings")
        notes = []
        for row in out.itertuples(index=False):
            cut = [str(c) for c, v in zip(out.columns, row) if xlsx_overflow(v)]
            if cut:
                summary.cells_cut += len(cut)
                summary.rows_cut += 1
                notes.append(f"{', '.join(cut)} cut to {XLSX_MAX_CELL:,} characters (Excel's cell limit)")
            else:
                notes.append("")
        if any(notes):
            out[warnings] = ["; ".join(x for x in (w, n) if x) for w, n in zip(out[warnings].tolist(), notes)]
    writer.write(out)


def copy_to_xlsx(source: Path, target: Path, summary: BatchSummary) -> None:
    """A batch CSV output as XLSX, with cells over Excel's limit cut and said in that row's warnings and the summary."""
    warnings = summary.renamed.get("warnings", "warnings")
    writer = TableWriter(target, ".xlsx")
    for chunk in read_table(source):
        chunk = chunk.reset_index(drop=True)
        for i, row in enumerate(chunk.itertuples(index=False)):
            cut = [str(c) for c, v in zip(chunk.columns, row) if xlsx_overflow(v)]
            if cut:
                summary.cells_cut += len(cut)
                summary.rows_cut += 1
                note = f"{', '.join(cut)} cut to {XLSX_MAX_CELL:,} characters (Excel's cell limit)"
                old = chunk.at[i, warnings]
                chunk.at[i, warnings] = f"{old}; {note}" if old else note
        writer.write(chunk)
    writer.close()


def summary_notes(summary: BatchSummary) -> list[str]:
    """What the person should know about the run beyond the counts: the column used, renamed columns, cut cells."""
    notes = [f"text column: {summary.text_column} ({summary.text_column_how})"]
    if summary.renamed:
        pairs = ", ".join(f"{k} -> {v}" for k, v in summary.renamed.items())
        notes.append(f"input columns keep their names; analysis columns renamed to avoid a clash: {pairs}")
    if summary.cells_cut:
        notes.append(
            f"warning: {summary.cells_cut:,} cells in {summary.rows_cut:,} rows are longer than Excel's "
            f"{XLSX_MAX_CELL:,}-character limit and were cut (see those rows' warnings); write .csv or .parquet to "
            "keep them whole"
        )
    if summary.rows_repaired:
        notes.append(
            f"warning: {summary.rows_repaired:,} rows had invalid characters replaced with \ufffd (see their warnings)"
        )
    return notes


def summary_dict(summary: BatchSummary) -> dict:
    return {
        "rows_read": summary.rows_read,
        "analysed": summary.analysed,
        "errors": summary.errors,
        "needs_review": summary.needs_review,
        "unique_texts": summary.unique_texts,
        "text_column": summary.text_column,
        "text_column_how": summary.text_column_how,
        "renamed": summary.renamed,
        "cells_cut": summary.cells_cut,
        "rows_cut": summary.rows_cut,
        "rows_repaired": summary.rows_repaired,
        "reasons": dict(summary.reasons.most_common()),
        "seconds": round(summary.seconds, 3),
        "rows_per_second": round(summary.rows_read / summary.seconds, 1) if summary.seconds else None,
        "timings": {k: round(v, 3) for k, v in summary.timings.items()},
    }
