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


def test_all_at_once_boundaries_follow_the_per_word_rule(blank_nlp):
    import csv

    from analyser.components.segmenter import _starts_sentence
    from analyser.components.words import doc_words
    from analyser.config import DATA_DIR

    with open(DATA_DIR / "demo" / "feedback.csv", newline="", encoding="utf-8") as fh:
        texts = [row["feedback"] for _, row in zip(range(200), csv.DictReader(fh))]
    texts += ["", "#", "\n\n", "R\n\nGo", "1.\nb", "3. Next", "x\n\n\n y", " \n Z", "e.g. this. 3. Next", "5.\n\nok"]
    texts += ["Hi.\n\n- one\n- two", "Thanks!\n* a\n• b\nregards", "WE CHOSE. OK?\nno", "5.\nYes", "a;\n\n\nb: C"]
    for text in texts:
        doc = blank_nlp(text)
        expected, last, prev, newlines = [], None, None, 0
        for i, word in enumerate(doc_words(doc)):  # segment's rule, word by word
            if word.is_space:
                newlines += word.text.count("\n")
            else:
                if last is not None and _starts_sentence(word, last, prev, newlines):
                    expected.append(i)
                last, newlines = word, 0
            prev = word
        assert [t.i for t in doc if t.is_sent_start and t.i > 0] == expected, text
