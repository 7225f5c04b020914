"""Training end to end on a small slice of the labelled data: fit, select on dev, save, reload, analyse."""

import pytest

from analyser.analysis import analyse
from analyser.dataset import load_split
from analyser.pipeline import load_pipeline
from analyser.training import fit_model


@pytest.mark.slow
def test_a_model_trained_on_a_slice_saves_reloads_and_reads_a_clear_reason(tmp_path):
    train = [d for d in load_split("train") if d.batch in ("b1", "b3")]
    dev = load_split("dev")[:80]
    logged = []
    nlp, meta = fit_model(train, dev, grid=[(3.0, None, 0.5)], log=logged.append)

    assert meta["selected"] == {"C": 3.0, "class_weight": None, "dense_scale": 0.5}
    assert meta["lift"] in {c["lift"] for c in meta["lift_candidates"]}
    assert 0.0 < meta["dev"]["macro_f1"] <= 1.0
    assert any("training sentences" in line for line in logged)

    nlp.meta.update({"name": "reasons", "analyser": meta})
    nlp.to_disk(tmp_path / "reasons")
    reloaded = load_pipeline(tmp_path / "reasons")
    assert reloaded.meta["analyser"]["train_documents"] == len(train)
    result = analyse(
        "Thank you for interviewing. Unfortunately we need someone with at least five more years of "
        "experience managing large teams, which you do not yet have.",
        model=tmp_path / "reasons",
    )
    assert "experience" in {r["reason"] for r in result.reasons}
