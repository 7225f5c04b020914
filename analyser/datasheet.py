"""Numbers about the labelled data, for data/README.md and the data notebook: counts, registers, phrasing overlap."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from .config import DATA_DIR
from .dataset import Document, load_split
from .taxonomy import load_taxonomy

SPLITS = ("train", "dev", "test")
_WORD = re.compile(r"[a-z0-9']+")


def ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def ngram_overlap(reference: list[Document], other: list[Document], n: int = 4) -> float:
    """Share of the distinct word n-grams of `other` that also occur in `reference` (0 = no shared phrasing)."""
    ref = set().union(*(ngrams(d.text, n) for d in reference))
    theirs = set().union(*(ngrams(d.text, n) for d in other))
    return len(theirs & ref) / len(theirs) if theirs else 0.0


def count_sentences(docs: list[Document]) -> int:
    from .pipeline import build_pipeline
    from .text_cleaning import clean

    nlp = build_pipeline(with_classifier=False)
    return sum(len(list(doc.sents)) for doc in nlp.pipe(clean(d.text).text for d in docs))


def split_table(splits: dict[str, list[Document]]) -> list[dict]:
    """One row per split: documents, reasons, multi-reason share, strengths, signals, registers."""
    tax = load_taxonomy()
    rows = []
    for name, docs in splits.items():
        reasons = Counter(r for d in docs for r in d.reasons)
        row = {"split": name, "documents": len(docs)}
        row.update({r: reasons.get(r, 0) for r in tax.reason_names})
        row["multi-reason"] = sum(len(d.reasons) > 1 for d in docs)
        row["with strengths"] = sum(any(s.strengths for s in d.spans) for d in docs)
        for s in tax.signals:
            row[s] = sum(d.signals[s] for d in docs)
        row["registers"] = len({d.register for d in docs})
        rows.append(row)
    return rows


def load_all() -> dict[str, list[Document]]:
    return {s: load_split(s) for s in SPLITS}


def markdown_table(rows: list[dict]) -> str:
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def summary() -> str:
    """The datasheet's numbers as markdown."""
    splits = load_all()
    sent_rows = [{"split": s, "documents": len(d), "sentences": count_sentences(d)} for s, d in splits.items()]
    reg = Counter((d.register, d.split) for docs in splits.values() for d in docs)
    registers = sorted({r for r, _ in reg})
    reg_rows = [{"register": r, **{s: reg.get((r, s), 0) for s in SPLITS}} for r in registers]
    overlap = [
        {
            "pair": f"{a} vs train",
            **{f"{n}-gram overlap": f"{ngram_overlap(splits['train'], splits[a], n):.3f}" for n in (3, 4, 6)},
        }
        for a in ("dev", "test")
    ]
    batches = Counter(d.batch or d.split for d in splits["train"])
    within = []
    for b in sorted(batches):
        rest = [d for d in splits["train"] if d.batch != b]
        mine = [d for d in splits["train"] if d.batch == b]
        within.append(
            {
                "pair": f"train batch {b} vs other train batches",
                **{f"{n}-gram overlap": f"{ngram_overlap(rest, mine, n):.3f}" for n in (3, 4, 6)},
            }
        )
    return "\n\n".join(
        [
            markdown_table(sent_rows),
            markdown_table(split_table(splits)),
            markdown_table(reg_rows),
            markdown_table(overlap + within),
        ]
    )


def write_readme(path: Path = DATA_DIR / "README.md") -> None:
    """Replace the counts between the markers in data/README.md with freshly computed ones."""
    text = path.read_text(encoding="utf-8")
    start, end = "<!-- counts:start -->", "<!-- counts:end -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{summary()}\n{end}{tail}", encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv:
        write_readme()
    else:
        print(summary())
