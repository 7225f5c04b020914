import pytest


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Hi Seth,\nThank you for applying. We chose someone else.",
            ["Hi Seth,", "Thank you for applying.", "We chose someone else."],
        ),
        (
            "It has been decided\nthat this role will not go ahead.",
            ["It has been decided\nthat this role will not go ahead."],
        ),
        ("Strengths:\n- good SQL\n- clear answers", ["Strengths:", "- good SQL", "- clear answers"]),
        ("We need e.g. more SQL. Thanks", ["We need e.g. more SQL.", "Thanks"]),
    ],
)
def test_sentences_follow_email_lines(blank_nlp, text, expected):
    assert [s.text.strip() for s in blank_nlp(text).sents] == expected


@pytest.mark.parametrize("text", ["", "#", "\n\n"])
def test_degenerate_texts_do_not_crash(blank_nlp, text):
    list(blank_nlp(text).sents)
