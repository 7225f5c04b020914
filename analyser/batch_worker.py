"""The model side of `analyser batch`: compact output rows for texts, in this process or in pool worker processes.

A worker process imports this module (its task and initialiser live here), not analyser.batch: the worker never reads
or writes a table, so it does not import pandas and pyarrow (about 77 MB of each worker's memory).
"""

from __future__ import annotations

import json
from pathlib import Path

from .taxonomy import load_taxonomy

REVIEW_MARGIN = 0.1  # a top score this close to the 0.5 reporting line needs a human look


def row_from_analysis(result, *, full: bool) -> dict:
    """The output columns for one analysis (and the full JSON object when the output is JSONL)."""
    d = result.to_dict()
    tax = load_taxonomy()
    top = d["reasons"][0]
    gaps = d.get("skills_gaps")
    if gaps is None:  # results without skill polarity: the skills named in the evidence of a gap
        said = " ".join(e for r in d["reasons"] for e in r["evidence"]).lower()
        gaps = [s for s in d["skills_mentioned"] if s.lower() in said]
    row = {
        "reasons": ";".join(r["reason"] for r in d["reasons"]),
        **{f"score_{r}": d["scores"][r] for r in tax.reason_names},
        "top_reason": top["reason"],
        "evidence": json.dumps({r["reason"]: r["evidence"] for r in d["reasons"] if r["evidence"]}, ensure_ascii=False),
        "strengths": len(d["strengths"]),
        "strength_aspects": ";".join(dict.fromkeys(s["aspect"] for s in d["strengths"])),
        **{s: d["signals"][s] for s in tax.signals},
        "stage": d["stage"],
        "skills_mentioned": ";".join(d["skills_mentioned"]),
        "skills_gaps": ";".join(gaps),
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
        "evidence": "",
        "strengths": None,
        "strength_aspects": "",
        **{s: None for s in tax.signals},
        "stage": "",
        "skills_mentioned": "",
        "skills_gaps": "",
        "actions": "",
        "needs_review": True,
        "warnings": warnings,
        "error": message,
        "_analysis": None,
    }


# -- the model side: runs in this process or in worker processes ---------------------------------------------------
_WORKER_OPTS: dict = {}


def _init_worker(model: str, actions: str | None, full: bool) -> None:
    from .pipeline import allow_freezing
    from .workers import die_with_parent

    die_with_parent()
    allow_freezing()
    _WORKER_OPTS.update(model=model, actions=actions, full=full)


def analyse_texts(texts: list[str], model: str, actions: str | None, full: bool) -> tuple[list[dict], dict[str, float]]:
    """Compact output rows for texts (errors included), with the time spent cleaning and in the model."""
    from . import embeddings, language
    from .analysis import InputError, analyse_many
    from .pipeline import freeze_loaded, recycle_pipeline

    # the sentence embeddings and the language identifier load in background threads while the pipeline loads (most
    # batches have a text that needs the identifier); started before spaCy is imported they gained less
    embeddings.preload()
    language.preload()

    kwargs = {"model": Path(model)}
    if actions:
        kwargs["actions"] = Path(actions)
    timings = {"cleaning": 0.0, "model": 0.0}
    rows = []
    # Highlights are only in the full (JSONL) output. Every new word (names, rare terms) stays in the pipeline's
    # vocabulary, so the pipeline is reloaded every ~20k texts: memory stays flat, and tokenizing keeps its word cache
    # (a memory zone per chunk kept memory flat too, but made tokenizing ~1.36x slower).
    # One spaCy batch per task: the sentence vectors and scores of all its texts are computed in one call each.
    for result in analyse_many(texts, timings=timings, highlights=full, batch_size=max(len(texts), 1), **kwargs):
        rows.append(error_row(str(result)) if isinstance(result, InputError) else row_from_analysis(result, full=full))
    if not recycle_pipeline(len(texts), Path(model)):
        freeze_loaded()
    return rows, timings


def _worker_task(texts: list[str]):
    return analyse_texts(texts, _WORKER_OPTS["model"], _WORKER_OPTS["actions"], _WORKER_OPTS["full"])
