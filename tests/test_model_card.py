"""The model card's figures are the figures the code produces: `analyser evaluate data/labelled/test` reproduces them."""

import re
from pathlib import Path

from analyser.config import LABELLED_DIR, MODEL_DIR
from analyser.evaluate import evaluate_path

CARD = MODEL_DIR.parent / "README.md"


def test_card_figures_match_a_fresh_evaluation_of_the_test_split():
    card = CARD.read_text()
    section = card[card.index("## Test split") :]
    micro, macro = re.search(
        r"Micro-F1 \*\*([\d.]+)\*\*, macro-F1 over the eight reasons \*\*([\d.]+)\*\*", section
    ).groups()
    m = evaluate_path(LABELLED_DIR / "test")
    assert f"{m['micro_f1']:.3f}" == micro
    assert f"{m['macro_f1']:.3f}" == macro
    for reason, per in m["per_reason"].items():
        assert (
            f"| {reason} | {per['precision']:.3f} | {per['recall']:.3f} | {per['f1']:.3f} | {per['support']} |"
            in section
        )


def test_card_names_the_baseline_it_beat():
    card = CARD.read_text()
    assert "beats every baseline" in card or "does not beat the best baseline" in card
    assert Path(MODEL_DIR / "meta.json").exists()


def test_known_failure_line_reports_this_runs_figures_and_weakest_reasons():
    from analyser.model_card import _real_gap_text

    def metrics(micro, f1s):
        return {"micro_f1": micro, "per_reason": {r: {"f1": f, "support": 3} for r, f in f1s.items()}}

    real = {"web": metrics(0.61, {}), "both files": metrics(0.7, {"fit": 0.4, "skills": 0.3, "logistics": 0.9})}
    line = _real_gap_text(metrics(0.83, {}), real)
    assert "0.83 on the test split" in line and "0.61 on `web`" in line
    assert "`skills` (0.30) and `fit` (0.40)" in line
    assert "not present" in _real_gap_text(metrics(0.83, {}), {})
