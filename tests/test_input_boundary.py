"""Hostile text at the input boundary (issue 12, items 1-3): analysis never fails on it, and the work stays bounded."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyser import analyse, analyse_many
from analyser.analysis import InputError
from analyser.text_cleaning import MAX_RUN, clean, fix_surrogates, normalise_raw

DECISION = "Unfortunately we regret that you have not been selected for the analyst role."


def test_a_lone_surrogate_is_replaced_with_a_warning():
    result = analyse("\ud800 " + DECISION)
    assert "\ud800" not in result.text and "\ufffd" in result.text
    assert any("invalid character" in w for w in result.warnings)
    result.to_dict()  # and the JSON object can be encoded
    assert "\ud800" not in str(result.follow_up)


def test_surrogate_pairs_are_joined_not_replaced():
    assert fix_surrogates("\ud83d\ude00 ok") == ("😀 ok", 0)
    assert fix_surrogates("a\udfffb\ud800") == ("a\ufffdb\ufffd", 2)


def test_one_bad_text_does_not_lose_the_others():
    results = list(analyse_many([DECISION, "\udcff\udcfe broken " + DECISION, "", DECISION]))
    assert len(results) == 4
    assert [type(r).__name__ for r in results] == ["Analysis", "Analysis", "InputError", "Analysis"]


@pytest.mark.parametrize("run", ["😀" * 4000, "a" * 5000, "&#128512;" * 3000, "x" * 70 + "😀" * 3000])
def test_long_runs_without_spaces_are_cut_before_spacy(run):
    cleaned = clean(f"<p>{run}</p> {DECISION}").text
    assert max(len(w) for w in cleaned.split()) <= MAX_RUN
    assert DECISION in cleaned


def test_the_raw_text_used_for_names_is_bounded_too():
    raw = normalise_raw("\n" * 50_000 + " " * 50_000 + "b" * 10_000 + "\r\nRegards,\r\nPriya")
    assert "\n\n\n" not in raw and "  " not in raw and "\r" not in raw
    assert max(len(w) for w in raw.split()) <= MAX_RUN and raw.endswith("Regards,\nPriya")


def test_many_blank_lines_before_the_text_are_analysed_quickly():
    # "\n" * 50000 made a line-anchored sign-off pattern rescan the blank lines from every line start (175 s)
    result = analyse("\n" * 50_000 + DECISION + "\n\nKind regards,\n\nPriya")
    assert result.text.startswith("Unfortunately")


def test_deeply_nested_html_keeps_its_text():
    result = analyse("<div>" * 50_000 + "Unfortunately we regret" + "</div>" * 50_000)
    assert result.text == "Unfortunately we regret"


def test_ordinary_html_is_still_laid_out_by_inscriptis():
    text = clean("<html><body><p>Dear Sam,</p><table><tr><td>one</td><td>two</td></tr></table></body></html>").text
    assert text.splitlines()[0] == "Dear Sam," and "one" in text and "<" not in text


texts = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec=None, categories=["Cs", "Cc", "Zs", "So", "Lo"]), max_size=300),
    st.builds(
        lambda a, b, n: a + b * n,
        st.text(max_size=20),
        st.sampled_from(["😀", "a", "&#128512;", "\ud800", "<b>"]),
        st.integers(0, 3000),
    ),
    st.builds(lambda a, b: a + " " + DECISION + " " + b, st.text(max_size=50), st.text(max_size=50)),
)


@settings(max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_analyse_raises_nothing_but_input_error(text):
    try:
        result = analyse(text)
    except InputError:
        return
    result.to_dict()
    result.text.encode("utf-8")


@settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(texts, max_size=6))
def test_analyse_many_yields_one_item_per_text(batch):
    results = list(analyse_many(batch))
    assert len(results) == len(batch)
    for text, result in zip(batch, results):
        if isinstance(result, InputError):
            assert not re.sub(r"\s", "", text) or "no feedback text left" in str(result) or "empty" in str(result)
        else:
            result.text.encode("utf-8")
