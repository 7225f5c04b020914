"""Redaction of personal data in quotes: recall on a written set of 110 texts with 148 PII strings (README figure)."""

from pathlib import Path

import pytest

from analyser.privacy import redact

CASES = [
    line.split("\t")
    for line in (Path(__file__).parent / "data" / "pii.tsv").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]
KEEP = [
    "Unfortunately we have decided to progress with other candidates.",
    "You were the best fit for the team culture, but the role was filled internally.",
    "Thank you for your time and for the 2 interviews in May.",
    "We were impressed by your SQL and Python skills.",
    "Dear candidate, thanks again for applying.",
    "Best wishes,\nThe Recruitment Team",
    "Your salary expectation of 32000 was above the band.",
    "Hi there, unfortunately the position has closed.",
]


def pii_strings():
    return [(text.replace("\\n", "\n"), p.strip()) for text, pii in CASES for p in pii.split("|")]


def recall() -> tuple[float, list[tuple[str, str]]]:
    found = pii_strings()
    missed = [(text, p) for text, p in found if p in redact(text)]
    return 1 - len(missed) / len(found), missed


def test_the_set_is_big_enough():
    assert len(CASES) >= 100 and len(pii_strings()) >= 140


def test_recall_on_the_written_set():
    value, missed = recall()
    print(f"PII recall {value:.3f} on {len(pii_strings())} strings; missed: {missed}")
    assert value >= 0.98, missed


@pytest.mark.parametrize("text", KEEP)
def test_ordinary_feedback_is_left_alone(text):
    assert redact(text) == text
