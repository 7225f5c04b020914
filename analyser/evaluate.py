"""Evaluate the model on labelled feedback: the project's JSONL format, or a CSV with `text` and `reasons` columns."""

from __future__ import annotations

import csv
from pathlib import Path

from .config import MODEL_DIR
from .evaluation import reason_metrics
from .taxonomy import load_taxonomy


def load_labelled(path: Path) -> list[tuple[str, set[str]]]:
    """(text, gold reasons) pairs from a .jsonl file, a folder of them, or a .csv with text and reasons columns."""
    from .dataset import load_any

    path = Path(path)
    tax = load_taxonomy()
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise FileNotFoundError(f"no .jsonl files in {path}")
        return [(d.text, set(d.reasons)) for d in load_any(files)]
    if path.suffix.lower() == ".jsonl":
        return [(d.text, set(d.reasons)) for d in load_any([path])]
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = {"text", "reasons"} - set(reader.fieldnames or [])
            if missing:
                raise ValueError(
                    f"{path} needs columns 'text' and 'reasons'; columns are: {', '.join(reader.fieldnames or [])}"
                )
            rows = []
            for n, row in enumerate(reader, 2):
                gold = {r.strip() for r in (row["reasons"] or "").split(";") if r.strip()} or {tax.none_reason}
                bad = gold - set(tax.reason_names)
                if bad:
                    raise ValueError(f"{path}:{n}: unknown reasons {sorted(bad)}; valid: {', '.join(tax.reason_names)}")
                rows.append((row["text"], gold))
            return rows
    raise ValueError(f"{path}: expected a .jsonl file, a folder of them, or a .csv")


def evaluate_texts(pairs: list[tuple[str, set[str]]], *, model: Path = MODEL_DIR) -> dict:
    from .analysis import analyse_many

    tax = load_taxonomy()
    preds = []
    for result in analyse_many([t for t, _ in pairs], model=model):
        preds.append({tax.none_reason} if isinstance(result, Exception) else set(result.reason_names))
    metrics = reason_metrics([g for _, g in pairs], preds, tax.reason_names)
    metrics["errors"] = [
        {"text": t[:300], "gold": sorted(g), "predicted": sorted(p)} for (t, g), p in zip(pairs, preds) if g != p
    ]
    return metrics


def evaluate_path(path: Path, *, model: Path = MODEL_DIR) -> dict:
    return evaluate_texts(load_labelled(path), model=model)


def render_metrics(metrics: dict, console) -> None:
    from rich.table import Table

    table = Table(title=f"Reasons on {metrics['n']} texts", title_justify="left")
    for col in ("reason", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="right" if col != "reason" else "left")
    for r, m in metrics["per_reason"].items():
        table.add_row(r, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    console.print(table)
    console.print(
        f"micro-F1 {metrics['micro_f1']:.3f}   macro-F1 {metrics['macro_f1']:.3f}   exact match {metrics['exact_match']:.3f}"
    )
