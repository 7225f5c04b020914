"""A guard on real feedback: the real-email development set (beside the project, never trained on) stays above a floor.

The floor sits below the measured figure (micro-F1 0.816 when the model card was generated) so that only a real
regression fails it. Skipped where ../shared is not present.
"""

import pytest

from analyser.evaluate import evaluate_path
from analyser.model_card import REAL_DEV


@pytest.mark.skipif(not REAL_DEV.exists(), reason="../shared/real-dev is not beside this checkout")
def test_real_dev_stays_above_the_floor():
    m = evaluate_path(REAL_DEV)
    assert m["n"] == 48
    assert m["micro_f1"] >= 0.75
    assert m["polarity_errors"] == 0
