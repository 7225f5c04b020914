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
