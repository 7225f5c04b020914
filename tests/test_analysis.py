"""What a job seeker sees for typical feedback: reasons, polarity, signals, schema, bad input."""

import pytest

from analyser import analyse, analyse_many
from analyser.analysis import InputError
from analyser.taxonomy import load_taxonomy

REASONS = load_taxonomy().reason_names


def reasons_of(text: str) -> set[str]:
    return {r["reason"] for r in analyse(text).to_dict()["reasons"]}


@pytest.mark.parametrize(
    "text, reason",
    [
        (
            "We have decided to go with a candidate who has considerably more years of commercial experience.",
            "experience",
        ),
        ("The role requires fluent German, which unfortunately you do not have.", "skills"),
        ("We felt another candidate was a better fit for the culture of the team.", "fit"),
        ("In the interview your answers lacked specific examples and structure.", "interview"),
        (
            "Your CV did not provide enough evidence of the essential criteria in the person specification.",
            "application",
        ),
        ("We received an extremely high number of applications from very strong candidates.", "competition"),
        ("Unfortunately the position has been put on hold due to a hiring freeze.", "logistics"),
        (
            "Unfortunately we will not be moving forward with your application at this time. We wish you well.",
            "unspecified",
        ),
    ],
)
def test_each_reason_is_found(text, reason):
    assert reason in reasons_of(text)


def test_praised_experience_is_a_strength_not_a_gap():
    result = analyse(
        "While we were impressed by your experience, we have decided to move forward with candidates "
        "whose skills more closely match our needs."
    ).to_dict()
    found = [r["reason"] for r in result["reasons"]]
    assert "skills" in found
    assert "experience" not in found
    assert any(s["aspect"] == "experience" for s in result["strengths"])


def test_negated_reason_is_not_reported():
    found = reasons_of(
        "Your experience was not the issue at all. The decision came down to the salary you asked for, "
        "which is above the budget for this role."
    )
    assert "logistics" in found
    assert "experience" not in found


def test_unspecified_is_exclusive_and_carries_no_evidence():
    result = analyse("Thank you for applying. We have decided not to progress your application.").to_dict()
    assert [r["reason"] for r in result["reasons"]] == ["unspecified"]
    assert result["reasons"][0]["evidence"] == []


@pytest.mark.parametrize(
    "text, signal",
    [
        ("We will keep your CV on file and contact you about future opportunities.", "door_open"),
        ("If you would like feedback, I am happy to arrange a call.", "feedback_offered"),
        ("Due to the volume of applications we are unable to provide individual feedback.", "feedback_declined"),
    ],
)
def test_signals(text, signal):
    signals = analyse("Unfortunately you have not been successful. " + text).signals
    assert signals[signal] is True
    assert sum(signals.values()) == 1, signals


def test_declining_further_feedback_is_not_an_offer():
    signals = analyse("We are unable to provide further feedback at this stage.").signals
    assert signals["feedback_declined"] and not signals["feedback_offered"]


@pytest.mark.parametrize(
    "text, stage",
    [
        ("Thank you for attending the final interview last week. We chose another candidate.", "final"),
        ("Thank you for completing the online assessment. You did not reach the pass mark.", "assessment"),
        ("Thank you for your application. We will not be inviting you to interview.", "application"),
        ("We went with someone else.", "unknown"),
    ],
)
def test_stage(text, stage):
    assert analyse(text).stage == stage


def test_skills_named_in_the_text_feed_the_actions():
    result = analyse("We need someone with much stronger SQL and Tableau skills for this analyst role.").to_dict()
    assert {"SQL", "Tableau"} <= set(result["skills_mentioned"])
    skill_actions = [a for a in result["actions"] if a["reason"] == "skills"]
    assert skill_actions and "SQL" in " ".join([skill_actions[0]["title"], *skill_actions[0]["steps"]])


def test_json_schema():
    d = analyse("We went with a candidate with more experience. We will keep your details on file.").to_dict()
    assert list(d) == [
        "reasons",
        "scores",
        "strengths",
        "signals",
        "stage",
        "skills_gaps",
        "skills_praised",
        "skills_mentioned",
        "actions",
        "follow_up",
        "language",
        "warnings",
        "model_version",
    ]
    assert set(d["scores"]) == set(REASONS)
    assert all(0.0 <= v <= 1.0 for v in d["scores"].values())
    scores = [r["score"] for r in d["reasons"]]
    assert scores == sorted(scores, reverse=True)
    for r in d["reasons"]:
        assert set(r) == {"reason", "score", "evidence"} and r["reason"] in REASONS
    assert set(d["signals"]) == {"door_open", "feedback_offered", "feedback_declined"}
    assert d["stage"] in load_taxonomy().stages
    for a in d["actions"]:
        assert set(a) == {"reason", "title", "steps"} and a["steps"]
    assert isinstance(d["follow_up"], str) and d["follow_up"]
    assert d["language"] == "en" and d["model_version"]


@pytest.mark.parametrize("bad", ["", "   \n\t "])
def test_empty_input_is_refused(bad):
    with pytest.raises(InputError):
        analyse(bad)


def test_non_english_gets_a_warning_and_no_confident_reason():
    result = analyse(
        "Merci pour votre candidature. Malheureusement, nous avons retenu un candidat dont l'expérience "
        "correspond davantage au poste. Nous vous souhaitons bonne chance."
    )
    assert result.language == "fr"
    assert any("English" in w for w in result.warnings)
    assert result.reason_names == ["unspecified"]


def test_overlong_input_is_analysed_up_to_the_limit_with_a_warning():
    result = analyse("We chose a candidate with more experience. " + "Thank you. " * 20000)
    assert any("100,000" in w for w in result.warnings)
    assert "experience" in result.reason_names


def test_analyse_many_keeps_order_and_marks_bad_items():
    out = list(
        analyse_many(
            ["The role has been filled internally.", "", "We need a developer with much stronger Python skills."]
        )
    )
    assert len(out) == 3
    assert "logistics" in out[0].reason_names
    assert isinstance(out[1], InputError)
    assert "skills" in out[2].reason_names


def test_same_input_same_output():
    text = "We were impressed by your answers but felt you lacked experience managing budgets."
    assert analyse(text).to_dict() == analyse(text).to_dict()
