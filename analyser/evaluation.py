"""Document-level metrics for multi-label reasons: per-reason P/R/F1, micro/macro F1, exact match."""

from __future__ import annotations

from collections.abc import Sequence


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def reason_metrics(
    gold: Sequence[set[str]],
    pred: Sequence[set[str]],
    reasons: Sequence[str],
    also_ok: Sequence[set[str]] | None = None,
) -> dict:
    """Per-reason precision, recall, F1 and support, with micro and macro F1 and the exact-match rate.

    `also_ok` (optional, per text) lists labels a reasonable annotator might also give: predicting one is not a false
    positive, and missing one is not an error (the rules of the real-email development set).
    """
    ok = also_ok or [set()] * len(gold)
    per = {}
    tot_tp = tot_fp = tot_fn = 0
    for r in reasons:
        tp = sum(r in g and r in p for g, p in zip(gold, pred))
        fp = sum(r not in g and r not in o and r in p for g, p, o in zip(gold, pred, ok))
        fn = sum(r in g and r not in p for g, p in zip(gold, pred))
        tot_tp, tot_fp, tot_fn = tot_tp + tp, tot_fp + fp, tot_fn + fn
        per[r] = {
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else 0.0,
            "f1": f1(tp, fp, fn),
            "support": tp + fn,
        }
    present = [r for r in reasons if per[r]["support"]]
    return {
        "per_reason": per,
        "micro_f1": f1(tot_tp, tot_fp, tot_fn),
        "macro_f1": sum(per[r]["f1"] for r in present) / len(present) if present else 0.0,
        "exact_match": sum(g <= p <= g | o for g, p, o in zip(gold, pred, ok)) / len(gold) if gold else 0.0,
        "n": len(gold),
    }


def best_threshold(scores: Sequence[float], truth: Sequence[bool], grid=None) -> tuple[float, float]:
    """The threshold maximising F1 of `scores >= t` against `truth`, and that F1 (ties: the middle of the best run)."""
    grid = grid or [i / 100 for i in range(5, 96)]
    results = []
    for t in grid:
        tp = sum(s >= t and y for s, y in zip(scores, truth))
        fp = sum(s >= t and not y for s, y in zip(scores, truth))
        fn = sum(s < t and y for s, y in zip(scores, truth))
        results.append((f1(tp, fp, fn), t))
    best = max(f for f, _ in results)
    ties = [t for f, t in results if f == best]
    return ties[len(ties) // 2], best


def bootstrap_f1(
    gold: Sequence[set[str]], pred: Sequence[set[str]], reasons: Sequence[str], *, n: int = 1000, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """95% percentile bootstrap interval of each reason's F1 (and of macro-F1), resampling documents."""
    import numpy as np

    rng = np.random.default_rng(seed)
    idx = np.arange(len(gold))
    samples: dict[str, list[float]] = {r: [] for r in [*reasons, "macro"]}
    for _ in range(n):
        pick = rng.choice(idx, size=len(idx), replace=True)
        m = reason_metrics([gold[i] for i in pick], [pred[i] for i in pick], reasons)
        for r in reasons:
            samples[r].append(m["per_reason"][r]["f1"])
        samples["macro"].append(m["macro_f1"])
    return {r: (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))) for r, v in samples.items()}


def bootstrap_intervals(
    gold: Sequence[set[str]],
    pred: Sequence[set[str]],
    reasons: Sequence[str],
    also_ok: Sequence[set[str]] | None = None,
    *,
    n: int = 500,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """95% percentile bootstrap intervals of micro-F1, macro-F1 and exact match, resampling texts."""
    import numpy as np

    ok = list(also_ok or [set()] * len(gold))
    if not gold:
        return {k: (0.0, 0.0) for k in ("micro_f1", "macro_f1", "exact_match")}
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {"micro_f1": [], "macro_f1": [], "exact_match": []}
    for _ in range(n):
        pick = rng.integers(0, len(gold), size=len(gold))
        m = reason_metrics([gold[i] for i in pick], [pred[i] for i in pick], reasons, [ok[i] for i in pick])
        for k in samples:
            samples[k].append(m[k])
    return {k: (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))) for k, v in samples.items()}
