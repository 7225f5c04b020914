"""A guard on real feedback: both real-dev files (beside the project, never trained on) stay above a floor.

Floors sit just under the figures measured when the model card was generated (real_dev micro-F1 0.840, signals
0.969; real_dev_web micro-F1 0.802, signals 0.957), so only a real regression fails them. They are guards, not the
aim: the hidden set of real feedback is. Skipped where ../shared is not present.
"""

import pytest

from analyser.evaluate import evaluate_path
from analyser.model_card import REAL_DEV, REAL_DEV_WEB

FLOORS = {REAL_DEV: (48, 0.82, 0.94), REAL_DEV_WEB: (77, 0.78, 0.93)}


@pytest.mark.parametrize("path", list(FLOORS), ids=lambda p: p.stem)
def test_real_dev_stays_above_the_floor(path):
    if not path.exists():
        pytest.skip("../shared/real-dev is not beside this checkout")
    n, micro, signals = FLOORS[path]
    m = evaluate_path(path)
    assert m["n"] == n
    assert m["micro_f1"] >= micro
    assert m["signal_accuracy"] >= signals
