import json

import pytest

from analyser.dataset import load_split, read_jsonl, validate_record
from analyser.taxonomy import load_taxonomy

GOOD = {
    "id": "t-1",
    "register": "hr_template",
    "text": "Thanks. We went with someone with more SQL experience.",
    "reasons": ["experience", "skills"],
    "spans": [
        {"text": "We went with someone with more SQL experience.", "gaps": ["experience", "skills"], "strengths": []}
    ],
    "signals": {"door_open": False, "feedback_offered": False, "feedback_declined": False},
    "stage": "unknown",
}


def test_a_valid_record_has_no_problems():
    assert validate_record(GOOD, load_taxonomy()) == []


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"reasons": ["skills"]}, "differ from document reasons"),
        ({"reasons": ["unspecified", "skills"]}, "exclusive"),
        ({"stage": "onsite"}, "unknown stage"),
        ({"colour": "red"}, "unknown keys"),
        ({"spans": [{"text": "not in the text", "gaps": ["skills"], "strengths": []}]}, "not an exact substring"),
        ({"spans": [{"text": "Thanks.", "gaps": ["vibes"], "strengths": []}]}, "unknown gap"),
    ],
)
def test_each_problem_is_reported(change, problem):
    problems = validate_record({**GOOD, **change}, load_taxonomy())
    assert any(problem in p for p in problems), problems


def test_invalid_lines_are_reported_with_their_line_number(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOOD) + "\n{not json\n" + json.dumps({**GOOD, "stage": "x"}) + "\n")
    with pytest.raises(ValueError) as exc:
        list(read_jsonl(path))
    assert "bad.jsonl:2" in str(exc.value) and "bad.jsonl:3" in str(exc.value)


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_committed_splits_are_valid(split):
    docs = load_split(split)
    assert docs and all(d.split == split for d in docs)


def test_splits_do_not_share_documents():
    texts = {s: {d.text for d in load_split(s)} for s in ("train", "dev", "test")}
    assert not texts["train"] & texts["test"]
    assert not texts["train"] & texts["dev"]
    assert not texts["dev"] & texts["test"]


def test_checker_command_prints_usage_for_help_and_fails_without_files(capsys):
    from analyser.dataset import main

    assert main(["--help"]) == 0
    assert "usage" in capsys.readouterr().out
    assert main([]) == 2
