"""`analyser evaluate` sorts errors into the kinds the real-feedback work tracks; counts come from real predictions."""

from types import SimpleNamespace

from analyser.evaluate import Labelled, error_classes, evaluate_items


def test_each_kind_of_error_is_counted_on_its_own_text():
    items = [
        Labelled("a", {"experience"}, id="none"),
        Labelled("b", {"skills", "fit"}, id="missed-skills"),
        Labelled("c", {"interview"}, signals={"door_open": True}, id="signal"),
        Labelled("d", {"fit"}, praises=True, id="praise"),
        Labelled("e", {"fit"}, praises=True, also_ok={"competition"}, id="also-ok"),
    ]
    preds = [{"unspecified"}, {"fit"}, {"interview"}, {"fit", "experience"}, {"fit", "competition"}]
    signals = {"door_open": False, "feedback_offered": False, "feedback_declined": False}
    results = [SimpleNamespace(signals=signals)] * len(items)
    kinds = error_classes(items, preds, results, "unspecified")
    assert kinds == {
        "false_none": ["none"],
        "missed_experience_skills": ["none", "missed-skills"],
        "signals": ["signal"],
        "praise_as_gap": ["praise"],
    }


def test_evaluation_reports_the_kinds_of_error_of_the_shipped_model():
    items = [
        Labelled(
            "We went with someone who has run a night shift before; we loved your energy.",
            {"experience"},
            praises=True,
            id="x",
        ),
        Labelled("Thank you for applying. We will not be taking your application further.", {"unspecified"}, id="y"),
    ]
    m = evaluate_items(items)
    assert set(m["error_classes"]) == {"false_none", "missed_experience_skills", "signals", "praise_as_gap"}
    wrong = {i for ids in m["error_classes"].values() for i in ids}
    assert wrong <= {e["id"] for e in m["worst_errors"]}
