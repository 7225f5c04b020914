"""Evaluate the model on labelled feedback: the project's JSONL format, or a CSV with `text` and `reasons` columns.

Returns plain data (the CLI prints it; the model card and notebooks read it): per-reason precision, recall, F1 and
support; micro and macro F1; exact match; praise reported as a gap; signal accuracy; reason confusions; worst errors.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .config import MODEL_DIR
from .evaluation import bootstrap_intervals, reason_metrics
from .taxonomy import load_taxonomy

WORST = 15


@dataclass
class Labelled:
    text: str
    reasons: set[str]
    also_ok: set[str] = field(default_factory=set)
    signals: dict[str, bool] = field(default_factory=dict)  # only the signals that were judged
    praised: set[str] = field(default_factory=set)  # aspects the text praises
    id: str = ""
    praises: bool | None = None  # the text praises the candidate (a CSV's `strengths` column); None: from `praised`

    @property
    def has_praise(self) -> bool:
        return bool(self.praised) if self.praises is None else self.praises


def _split_labels(cell: str | None) -> set[str]:
    return {x.strip() for x in (cell or "").split(";") if x.strip()}


def _bool_cell(cell: str | None) -> bool | None:
    value = (cell or "").strip().lower()
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(value)


def load_labelled(path: Path) -> list[Labelled]:
    """Labelled texts from a .jsonl file, a folder of them, or a .csv with text and reasons columns."""
    from .dataset import load_any

    path = Path(path)
    tax = load_taxonomy()
    if path.is_dir() or path.suffix.lower() == ".jsonl":
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        if not files:
            raise FileNotFoundError(f"no .jsonl files in {path}")
        return [
            Labelled(
                d.text,
                set(d.reasons),
                signals=dict(d.signals),
                praised={a for s in d.spans for a in s.strengths},
                id=d.id,
            )
            for d in load_any(files)
        ]
    if path.suffix.lower() != ".csv":
        raise ValueError(f"{path}: expected a .jsonl file, a folder of them, or a .csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        columns = reader.fieldnames or []
        if not {"text", "reasons"} <= set(columns):
            raise ValueError(f"{path} needs columns 'text' and 'reasons'; columns are: {', '.join(columns)}")
        items = []
        for n, row in enumerate(reader, 2):
            gold = _split_labels(row["reasons"]) or {tax.none_reason}
            also_ok = _split_labels(row.get("also_ok"))
            bad = (gold | also_ok) - set(tax.reason_names)
            if bad:
                raise ValueError(f"{path}:{n}: unknown reasons {sorted(bad)}; valid: {', '.join(tax.reason_names)}")
            signals = {s: v for s in tax.signals if (v := _bool_cell(row.get(s))) is not None}
            praises = _bool_cell(row.get("strengths"))
            items.append(Labelled(row["text"], gold, also_ok, signals, id=row.get("id") or str(n), praises=praises))
        return items


# The four kinds of error the real-feedback issue names, each counted on the texts where it happens.
ERROR_CLASSES = {
    "false_none": "'no reason given' when a reason is stated",
    "missed_experience_skills": "an experience or skills gap missed",
    "signals": "a signal (door open, feedback offered or declined) wrong",
    "praise_as_gap": "a wrong reason reported on a text that praises the candidate",
}


def error_classes(items: list[Labelled], preds: list[set[str]], results: list, none_reason: str) -> dict:
    """Ids of the texts showing each kind of error in ERROR_CLASSES (a text can show several)."""
    out = {k: [] for k in ERROR_CLASSES}
    for item, p, res in zip(items, preds, results):
        ok = item.reasons | item.also_ok
        if none_reason in p and none_reason not in ok:
            out["false_none"].append(item.id)
        if (item.reasons & {"experience", "skills"}) - p:
            out["missed_experience_skills"].append(item.id)
        if item.signals and (isinstance(res, Exception) or any(res.signals[s] != v for s, v in item.signals.items())):
            out["signals"].append(item.id)
        if item.has_praise and p - ok:
            out["praise_as_gap"].append(item.id)
    return out


def evaluate_items(items: list[Labelled], *, model: Path = MODEL_DIR) -> dict:
    """All the evaluation numbers for labelled texts, as a plain dict."""
    from .analysis import analyse_many

    tax = load_taxonomy()
    results = list(analyse_many([i.text for i in items], model=model))
    preds = [{tax.none_reason} if isinstance(r, Exception) else set(r.reason_names) for r in results]
    metrics = reason_metrics([i.reasons for i in items], preds, tax.reason_names, [i.also_ok for i in items])

    # Wrong reasons on texts that praise the candidate (the real-dev scorer's rule): praise read as a gap.
    polarity = sum(len(p - i.reasons - i.also_ok) for i, p in zip(items, preds) if i.has_praise)
    false_none = sum(
        tax.none_reason in p and tax.none_reason not in i.reasons | i.also_ok for i, p in zip(items, preds)
    )
    sig_n = sig_ok = 0
    for item, res in zip(items, results):
        for s, value in item.signals.items():
            sig_n += 1
            sig_ok += (not isinstance(res, Exception)) and res.signals[s] == value
    # A confusion is a gold reason that was missed while another, wrong reason was predicted in its place.
    confusion = Counter()
    for item, p in zip(items, preds):
        for g in item.reasons - p:
            for q in p - item.reasons - item.also_ok:
                confusion[(g, q)] += 1
    errors = []
    for item, p, res in zip(items, preds, results):
        missed, extra = item.reasons - p - item.also_ok, p - item.reasons - item.also_ok
        if missed or extra:
            evidence = [] if isinstance(res, Exception) else [e for r in res.reasons for e in r["evidence"]][:2]
            errors.append(
                {
                    "id": item.id,
                    "gold": sorted(item.reasons),
                    "predicted": sorted(p),
                    "missed": sorted(missed),
                    "extra": sorted(extra),
                    "text": item.text[:400],
                    "evidence": evidence,
                }
            )
    errors.sort(key=lambda e: -(len(e["missed"]) + len(e["extra"])))
    metrics.update(
        {
            "polarity_errors": polarity,
            "false_none": false_none,
            "intervals": bootstrap_intervals(
                [i.reasons for i in items], preds, tax.reason_names, [i.also_ok for i in items]
            ),
            "signal_accuracy": sig_ok / sig_n if sig_n else None,
            "signals_judged": sig_n,
            "confusion": {f"{g}->{q}": n for (g, q), n in sorted(confusion.items())},
            "error_classes": error_classes(items, preds, results, tax.none_reason),
            "worst_errors": errors[:WORST],
            "n_errors": len(errors),
            "predictions": [sorted(p) for p in preds],
            "gold": [sorted(i.reasons) for i in items],
            "scores": [None if isinstance(r, Exception) else r.scores for r in results],
        }
    )
    return metrics


def evaluate_path(path: Path, *, model: Path = MODEL_DIR) -> dict:
    return evaluate_items(load_labelled(path), model=model)


def evaluate_paths(paths: list[Path], *, model: Path = MODEL_DIR) -> dict:
    """Metrics of each labelled file and, for several, of all of them together: {"files": {name: m}, "all": m}."""
    loaded = {Path(p).stem if Path(p).is_file() else Path(p).name: load_labelled(Path(p)) for p in paths}
    out = {"files": {name: evaluate_items(items, model=model) for name, items in loaded.items()}}
    out["all"] = (
        evaluate_items([i for items in loaded.values() for i in items], model=model)
        if len(loaded) > 1
        else next(iter(out["files"].values()))
    )
    return out


def render_metrics(metrics: dict, console, *, worst: bool = True) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Reasons on {metrics['n']} texts", title_justify="left")
    for col in ("reason", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="right" if col != "reason" else "left")
    for r, m in metrics["per_reason"].items():
        table.add_row(r, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    console.print(table)
    lo, hi = metrics["intervals"]["micro_f1"]
    console.print(
        f"micro-F1 {metrics['micro_f1']:.3f} (95% CI {lo:.3f}-{hi:.3f})   macro-F1 {metrics['macro_f1']:.3f}   "
        f"exact match {metrics['exact_match']:.3f}   wrong reasons on texts that praise {metrics['polarity_errors']}   "
        f"'no reason' when one was given {metrics['false_none']}"
    )
    if metrics["signal_accuracy"] is not None:
        console.print(
            f"signal accuracy {metrics['signal_accuracy']:.3f} over {metrics['signals_judged']} judged signals"
        )
    kinds = metrics.get("error_classes")
    if kinds:
        console.print(
            "texts by kind of error: " + "; ".join(f"{ERROR_CLASSES[k]} {len(ids)}" for k, ids in kinds.items())
        )
    if not worst:
        return
    errors = Table(title="Worst errors", title_justify="left", show_lines=True)
    for col in ("id", "missed", "extra", "text"):
        errors.add_column(col)
    for e in metrics["worst_errors"][:10]:
        errors.add_row(e["id"], ", ".join(e["missed"]), ", ".join(e["extra"]), escape(e["text"][:160]))
    console.print(errors)
