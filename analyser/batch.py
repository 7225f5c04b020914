"""Batch analysis: a table of feedback in, the same table with analysis columns out.

One output row per input row, in order, always. Bad cells are marked in `error`/`warnings`, never dropped.
Identical texts (templates are common) are analysed once. With workers > 1 the model runs in separate processes that
return compact rows. The output is written to a temporary file and renamed only when complete.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .config import MAX_CHARS, MODEL_DIR
from .tables import TableError, TableWriter, count_rows, read_table
from .taxonomy import load_taxonomy

CHUNK_ROWS = 2000
SUB_BATCH = 250  # texts per task sent to a worker process
CACHE_SIZE = 20_000
REVIEW_MARGIN = 0.1  # a top score this close to the 0.5 reporting line needs a human look
_NUMERIC = re.compile(r"^[\s\d.,:;/%£$€+\-()]*$")


def output_columns() -> list[str]:
    tax = load_taxonomy()
    return [
        "reasons",
        *(f"score_{r}" for r in tax.reason_names),
        "top_reason",
        "strengths",
        *tax.signals,
        "stage",
        "skills_mentioned",
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
    timings: dict[str, float] = field(
        default_factory=lambda: {"reading": 0.0, "cleaning": 0.0, "model": 0.0, "writing": 0.0}
    )
    seconds: float = 0.0


class Interrupted(Exception):
    """The run was stopped before the end; nothing was written under the output name."""

    def __init__(self, rows_done: int):
        super().__init__(f"interrupted after {rows_done:,} rows; no output file was written")
        self.rows_done = rows_done


def cell_problem(value) -> str | None:
    """Why a cell cannot be analysed as feedback, or None."""
    if value is None or (isinstance(value, float) and value != value):
        return "empty cell"
    if not isinstance(value, str):
        return f"not text ({type(value).__name__})"
    if not value.strip():
        return "empty cell"
    if _NUMERIC.match(value):
        return "not text (a number)"
    return None


def row_from_analysis(result, *, full: bool) -> dict:
    """The output columns for one analysis (and the full JSON object when the output is JSONL)."""
    d = result.to_dict()
    tax = load_taxonomy()
    top = d["reasons"][0]
    row = {
        "reasons": ";".join(r["reason"] for r in d["reasons"]),
        **{f"score_{r}": d["scores"][r] for r in tax.reason_names},
        "top_reason": top["reason"],
        "strengths": len(d["strengths"]),
        **{s: d["signals"][s] for s in tax.signals},
        "stage": d["stage"],
        "skills_mentioned": ";".join(d["skills_mentioned"]),
        "actions": ";".join(a["title"] for a in d["actions"]),
        "needs_review": abs(top["score"] - 0.5) < REVIEW_MARGIN or d["language"] != "en",
        "warnings": "; ".join(d["warnings"]),
        "error": "",
    }
    if full:
        row["_analysis"] = d
    return row


def error_row(message: str, warnings: str = "") -> dict:
    tax = load_taxonomy()
    return {
        "reasons": "",
        **{f"score_{r}": None for r in tax.reason_names},
        "top_reason": "",
        "strengths": None,
        **{s: None for s in tax.signals},
        "stage": "",
        "skills_mentioned": "",
        "actions": "",
        "needs_review": True,
        "warnings": warnings,
        "error": message,
        "_analysis": None,
    }


# -- the model side: runs in this process or in worker processes ---------------------------------------------------
_WORKER_OPTS: dict = {}


def _init_worker(model: str, actions: str | None, full: bool) -> None:
    _WORKER_OPTS.update(model=model, actions=actions, full=full)


def analyse_texts(texts: list[str], model: str, actions: str | None, full: bool) -> tuple[list[dict], dict[str, float]]:
    """Compact output rows for texts (errors included), with the time spent cleaning and in the model."""
    from .analysis import InputError, analyse_many
    from .pipeline import load_pipeline

    kwargs = {"model": Path(model)}
    if actions:
        kwargs["actions"] = Path(actions)
    timings = {"cleaning": 0.0, "model": 0.0}
    rows = []
    # The memory zone frees the strings these texts added to the vocabulary (names, rare words) once their rows are
    # plain values: without it a long run's memory grows with every new word. Per task, so the tokenizer cache still
    # helps within it (per text it cost about 20% of throughput).
    with load_pipeline(Path(model)).memory_zone():
        for result in analyse_many(texts, timings=timings, **kwargs):
            rows.append(
                error_row(str(result)) if isinstance(result, InputError) else row_from_analysis(result, full=full)
            )
    return rows, timings


def _worker_task(texts: list[str]):
    return analyse_texts(texts, _WORKER_OPTS["model"], _WORKER_OPTS["actions"], _WORKER_OPTS["full"])


# -- the run ---------------------------------------------------------------------------------------------------------
def pick_text_column(df: pd.DataFrame, text_column: str | None) -> str:
    columns = [str(c) for c in df.columns]
    if text_column is not None:
        if text_column not in columns:
            raise TableError(f"column '{text_column}' not found; columns are: {', '.join(columns)}")
        return text_column
    candidates = []
    for col in df.columns:
        values = [v for v in df[col].tolist() if isinstance(v, str) and v.strip()]
        if (
            values
            and sum(len(v) for v in values) / len(values) >= 30
            and sum(len(v.split()) >= 5 for v in values) >= len(values) / 2
        ):
            candidates.append(str(col))
    if len(candidates) != 1:
        found = f"{len(candidates)} columns look like free text" if candidates else "no column looks like free text"
        raise TableError(f"{found}; choose one with --text-column (columns are: {', '.join(columns)})")
    return candidates[0]


def run_batch(
    input_path: Path,
    output_path: Path,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    workers: int = 1,
    model: Path = MODEL_DIR,
    actions: Path | None = None,
    chunk_rows: int = CHUNK_ROWS,
    max_chars: int = MAX_CHARS,
    progress: Callable[[int], None] | None = None,
    total_callback: Callable[[int | None], None] | None = None,
) -> BatchSummary:
    """Analyse every row of `input_path` into `output_path`. Raises TableError for an unusable file or column."""
    input_path, output_path = Path(input_path), Path(output_path)
    if not input_path.is_file():
        raise TableError(f"input file not found: {input_path}")
    if output_path.resolve() == input_path.resolve():
        raise TableError("the output would overwrite the input; choose another --output name")
    summary = BatchSummary()
    started = time.perf_counter()
    full = output_path.suffix.lower() == ".jsonl"
    temp = output_path.with_name(f".{output_path.name}.partial-{os.getpid()}")
    writer = TableWriter.for_output(output_path, temp)
    if total_callback:
        total_callback(count_rows(input_path))
    cache: OrderedDict[str, dict] = OrderedDict()
    pool = None
    try:
        chunks = read_table(input_path, chunk_rows)
        t0 = time.perf_counter()
        first = next(chunks, None)
        summary.timings["reading"] += time.perf_counter() - t0
        if first is None:
            raise TableError(f"{input_path.name} has no rows")
        column = pick_text_column(first, text_column)
        if id_column is not None and id_column not in map(str, first.columns):
            raise TableError(f"column '{id_column}' not found; columns are: {', '.join(map(str, first.columns))}")
        if workers > 1:
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
            out_rows = _analyse_chunk(chunk[column].tolist(), cache, pool, model, actions, full, max_chars, summary)
            t = time.perf_counter()
            _write_chunk(writer, chunk, out_rows, full)
            summary.timings["writing"] += time.perf_counter() - t
            summary.rows_read += len(chunk)
            if progress:
                progress(len(chunk))
        writer.close()
        os.replace(temp, output_path)
    except BaseException as exc:
        writer.abort()
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(summary.rows_read) from None
        raise
    finally:
        if pool is not None:
            pool.terminate()
    summary.seconds = time.perf_counter() - started
    return summary


def _analyse_chunk(
    values: list, cache: OrderedDict, pool, model, actions, full: bool, max_chars: int, summary
) -> list[dict]:
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


def _write_chunk(writer: TableWriter, chunk: pd.DataFrame, rows: list[dict], full: bool) -> None:
    if full:
        records = []
        for rec, row in zip(chunk.to_dict(orient="records"), rows):
            rec = {k: (None if isinstance(v, float) and v != v else v) for k, v in rec.items()}
            analysis = row["_analysis"]
            rec["analysis"] = analysis
            rec["error"] = row["error"]
            records.append(rec)
        writer.write(chunk, records)
        return
    extra = pd.DataFrame([{k: v for k, v in row.items() if k != "_analysis"} for row in rows], columns=output_columns())
    extra = extra.astype(
        {"strengths": "Int64", **dict.fromkeys(load_taxonomy().signals, "boolean"), "needs_review": bool}
    )
    clash = [c for c in extra.columns if c in chunk.columns]
    if clash:
        extra = extra.rename(columns={c: f"{c}_analysis" for c in clash})
    out = pd.concat([chunk.reset_index(drop=True), extra], axis=1)
    writer.write(out)


def summary_dict(summary: BatchSummary) -> dict:
    return {
        "rows_read": summary.rows_read,
        "analysed": summary.analysed,
        "errors": summary.errors,
        "needs_review": summary.needs_review,
        "unique_texts": summary.unique_texts,
        "reasons": dict(summary.reasons.most_common()),
        "seconds": round(summary.seconds, 3),
        "rows_per_second": round(summary.rows_read / summary.seconds, 1) if summary.seconds else None,
        "timings": {k: round(v, 3) for k, v in summary.timings.items()},
    }
