"""Labelled feedback documents: the JSONL schema, loading and validation.

Each line of a file in data/labelled/<split>/ is one document:
  {"id", "batch", "register", "locale", "sector", "text", "reasons": [..],
   "spans": [{"text": <exact substring of text>, "gaps": [..reasons], "strengths": [..aspects], "signals": [..]}],
   "signals": {"door_open": bool, "feedback_offered": bool, "feedback_declined": bool},
   "stage": <stage>, "role": str|null, "company": str|null}

A span's optional "signals" names the signals its sentence shows (door_open, feedback_offered, feedback_declined).
Documents written with sentence-level signal labels (any span has "signals") must label a span for every signal
that is true; older documents carry document-level signals only.

Run `python -m analyser.dataset FILE...` to check files; every problem is reported with its line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .config import LABELLED_DIR
from .taxonomy import Taxonomy, load_taxonomy

REQUIRED = {"id", "register", "text", "reasons", "spans", "signals", "stage"}
OPTIONAL = {"batch", "locale", "sector", "role", "company", "notes"}
SPAN_KEYS = {"text", "gaps", "strengths", "signals"}


@dataclass
class Span:
    text: str
    gaps: list[str] = field(default_factory=list)
    strengths: list[str] = field(default_factory=list)
    signals: list[str] | None = None  # None: the document's signals were not labelled by sentence


@dataclass
class Document:
    id: str
    text: str
    reasons: list[str]
    spans: list[Span]
    signals: dict[str, bool]
    stage: str
    register: str
    batch: str = ""
    locale: str = ""
    sector: str = ""
    role: str | None = None
    company: str | None = None
    split: str = ""


def validate_record(rec: dict, tax: Taxonomy) -> list[str]:
    """Return the problems with one record (empty when it is valid)."""
    problems = []
    if not isinstance(rec, dict):
        return ["not a JSON object"]
    missing = REQUIRED - rec.keys()
    if missing:
        problems.append(f"missing keys: {', '.join(sorted(missing))}")
    unknown = rec.keys() - REQUIRED - OPTIONAL
    if unknown:
        problems.append(f"unknown keys: {', '.join(sorted(unknown))}")
    if missing:
        return problems
    text = rec["text"]
    if not isinstance(text, str) or not text.strip():
        problems.append("text is empty")
        text = ""
    reasons = rec["reasons"]
    bad = [r for r in reasons if r not in tax.reason_names]
    if bad:
        problems.append(f"unknown reasons {bad}; valid: {', '.join(tax.reason_names)}")
    if not reasons:
        problems.append(f"reasons is empty; use ['{tax.none_reason}'] when no reason is given")
    if tax.none_reason in reasons and len(reasons) > 1:
        problems.append(f"'{tax.none_reason}' is exclusive but reasons are {reasons}")
    span_gaps: set[str] = set()
    for i, span in enumerate(rec["spans"]):
        where = f"spans[{i}]"
        if not isinstance(span, dict) or not span.keys() <= SPAN_KEYS or "text" not in span:
            problems.append(
                f"{where}: needs keys text, gaps, strengths, signals (got {sorted(span) if isinstance(span, dict) else span})"
            )
            continue
        if span["text"] not in text:
            problems.append(f"{where}: text is not an exact substring of the document: {span['text'][:60]!r}")
        gaps, strengths, sigs = span.get("gaps", []), span.get("strengths", []), span.get("signals", [])
        if not gaps and not strengths and not sigs:
            problems.append(f"{where}: has no gaps, strengths or signals (neutral sentences are not listed)")
        for g in sigs:
            if g not in tax.signals:
                problems.append(f"{where}: unknown signal {g!r}; valid: {', '.join(tax.signals)}")
            elif isinstance(rec["signals"], dict) and rec["signals"].get(g) is not True:
                problems.append(f"{where}: signal {g!r} is on a span but false for the document")
        for g in gaps:
            if g not in tax.gap_reasons:
                problems.append(f"{where}: unknown gap {g!r}; valid: {', '.join(tax.gap_reasons)}")
        for s in strengths:
            if s not in tax.strength_aspects:
                problems.append(f"{where}: unknown strength {s!r}; valid: {', '.join(tax.strength_aspects)}")
        span_gaps.update(gaps)
    doc_gaps = set(reasons) - {tax.none_reason}
    if span_gaps != doc_gaps:
        problems.append(f"span gaps {sorted(span_gaps)} differ from document reasons {sorted(doc_gaps)}")
    signals = rec["signals"]
    if (
        not isinstance(signals, dict)
        or set(signals) != set(tax.signals)
        or not all(isinstance(v, bool) for v in signals.values())
    ):
        problems.append(f"signals must map exactly {', '.join(tax.signals)} to true/false")
    elif any(isinstance(sp, dict) and "signals" in sp for sp in rec["spans"]):
        labelled = {g for sp in rec["spans"] if isinstance(sp, dict) for g in sp.get("signals", [])}
        unlabelled = sorted(k for k, v in signals.items() if v and k not in labelled)
        if unlabelled:
            problems.append(f"signals {unlabelled} are true but no span shows them")
    if rec["stage"] not in tax.stages:
        problems.append(f"unknown stage {rec['stage']!r}; valid: {', '.join(tax.stages)}")
    return problems


def read_jsonl(path: Path, tax: Taxonomy | None = None) -> Iterator[Document]:
    """Yield the documents of one file; raise ValueError listing every invalid line."""
    tax = tax or load_taxonomy()
    errors, docs = [], []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{path}:{n}: invalid JSON ({exc.msg})")
                continue
            problems = validate_record(rec, tax)
            errors.extend(f"{path}:{n}: {rec.get('id', '?') if isinstance(rec, dict) else '?'}: {p}" for p in problems)
            if not problems:
                docs.append(_to_document(rec, split=path.parent.name))
    if errors:
        raise ValueError("\n".join(errors))
    yield from docs


def _to_document(rec: dict, split: str) -> Document:
    by_sentence = any("signals" in s for s in rec["spans"])
    spans = [
        Span(
            s["text"],
            list(s.get("gaps", [])),
            list(s.get("strengths", [])),
            list(s.get("signals", [])) if by_sentence else None,
        )
        for s in rec["spans"]
    ]
    fields = {k: rec[k] for k in Document.__dataclass_fields__ if k in rec and k != "spans"}
    return Document(**fields, spans=spans, split=split)


def load_split(split: str, root: Path = LABELLED_DIR) -> list[Document]:
    """All documents of one split (train, dev or test), in file then line order."""
    files = sorted((root / split).glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no labelled files in {root / split}")
    return [doc for f in files for doc in read_jsonl(f)]


def load_any(paths: Iterable[Path]) -> list[Document]:
    return [doc for p in paths for doc in read_jsonl(Path(p))]


def main(argv: list[str]) -> int:
    usage = "usage: python -m analyser.dataset FILE.jsonl ...  (checks labelled files; every problem with its line)"
    if not argv or argv[0] in ("-h", "--help"):
        print(usage, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    status = 0
    for arg in argv:
        try:
            docs = list(read_jsonl(Path(arg)))
        except (ValueError, OSError) as exc:
            print(exc, file=sys.stderr)
            status = 1
            continue
        print(f"{arg}: {len(docs)} valid documents")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
