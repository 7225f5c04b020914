"""Numbers about the labelled data, for data/README.md and the data notebook: counts, registers, phrasing overlap."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from .config import DATA_DIR, REAL_DEV_DIR
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


def _ngram_index(gram_sets: list[set[tuple[str, ...]]]) -> dict[tuple[str, ...], set[int]]:
    """Which of the sets hold each n-gram."""
    index: dict[tuple[str, ...], set[int]] = {}
    for i, grams in enumerate(gram_sets):
        for g in grams:
            index.setdefault(g, set()).add(i)
    return index


def containment(texts: list[str], reference: list[str], n: int = 6) -> list[float]:
    """For each text, the largest share of its word n-grams found in any ONE reference text (1.0 = a copy)."""
    index = _ngram_index([ngrams(t, n) for t in reference])
    out = []
    for t in texts:
        grams = ngrams(t, n)
        hits = Counter(i for g in grams for i in index.get(g, ()))
        out.append(max(hits.values()) / len(grams) if hits and grams else 0.0)
    return out


def near_duplicates(docs: list[Document], n: int = 6, cut: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of documents sharing at least `cut` of EACH one's word n-grams (the same text reused, not a stock line)."""
    grams = [ngrams(d.text, n) for d in docs]
    index = _ngram_index(grams)
    pairs = []
    for i, g in enumerate(grams):
        hits = Counter(j for x in g for j in index[x] if j != i)
        pairs += [(docs[i].id, docs[j].id) for j, k in hits.items() if i < j and k >= cut * max(len(g), len(grams[j]))]
    return pairs


def real_dev_overlap(labelled: list[Document], folder: Path) -> list[dict]:
    """How much of the real-dev texts' phrasing occurs in the labelled data (they must not be copied or paraphrased)."""
    import csv

    rows = []
    ours = [d.text for d in labelled]
    for path in sorted(folder.glob("real_dev*.csv")):
        with path.open(encoding="utf-8") as fh:
            texts = [r["text"] for r in csv.DictReader(fh)]
        for n in (6, 8):
            worst = containment(texts, ours, n)
            ref = set().union(*(ngrams(t, n) for t in ours))
            theirs = set().union(*(ngrams(t, n) for t in texts))
            rows.append(
                {
                    "real-dev file": path.stem,
                    "n": n,
                    "texts": len(texts),
                    "share of its n-grams in our data": f"{len(theirs & ref) / len(theirs):.3f}" if theirs else "0",
                    "most any one of its texts shares with one of ours": f"{max(worst, default=0):.2f}",
                    "texts sharing over 20% with one of ours": sum(w > 0.2 for w in worst),
                }
            )
    return rows


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
    every = [d for docs in splits.values() for d in docs]
    dups = near_duplicates(every)
    parts = [
        markdown_table(sent_rows),
        markdown_table(split_table(splits)),
        markdown_table(reg_rows),
        markdown_table(overlap + within),
        f"Near-duplicates (two documents sharing half or more of each one's word 6-grams, all splits): {len(dups)}"
        + (f" ({', '.join(f'{a}~{b}' for a, b in dups[:12])}{', ...' if len(dups) > 12 else ''})" if dups else "."),
    ]
    real = real_dev_overlap(every, REAL_DEV_DIR)
    if real:
        parts.append(markdown_table(real))
    return "\n\n".join(parts)


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
