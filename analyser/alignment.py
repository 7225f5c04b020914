"""Map labelled spans (written against the raw text) onto the sentences the pipeline finds in the cleaned text."""

from __future__ import annotations

import html
import re

from spacy.tokens import Doc

from .dataset import Span

_WS = re.compile(r"\s+")


def _squash(text: str) -> tuple[str, list[int]]:
    """Text with whitespace runs collapsed to one space, and each kept char's index in the original."""
    out, index, prev_space = [], [], False
    for i, ch in enumerate(text):
        if ch.isspace():
            if not prev_space:
                out.append(" ")
                index.append(i)
            prev_space = True
        else:
            out.append(ch)
            index.append(i)
            prev_space = False
    return "".join(out), index


def span_char_ranges(text: str, spans: list[Span]) -> tuple[list[tuple[int, int, Span]], list[Span]]:
    """Character ranges of each span in `text`, and the spans that could not be found there."""
    squashed, index = _squash(text)
    found, lost = [], []
    for span in spans:
        needle = _WS.sub(" ", html.unescape(span.text).replace("\u00a0", " ")).strip()
        pos = squashed.find(needle)
        if pos < 0:
            pos = squashed.lower().find(needle.lower())
        if pos < 0 or not needle:
            lost.append(span)
            continue
        found.append((index[pos], index[pos + len(needle) - 1] + 1, span))
    return found, lost


def sentence_labels(doc: Doc, spans: list[Span]) -> tuple[list[set[str]], list[Span]]:
    """Labels of each sentence ('<reason>' for gaps, 'strength:<aspect>' and 'signal:<name>'), and the lost spans."""
    ranges, lost = span_char_ranges(doc.text, spans)
    labels = []
    for sent in doc.sents:
        s, e = sent.start_char, sent.end_char
        s_len = max(1, len(sent.text.strip()))
        here: set[str] = set()
        for a, b, span in ranges:
            overlap = min(e, b) - max(s, a)
            if overlap <= 0:
                continue
            if overlap / s_len >= 0.3 or overlap / max(1, b - a) >= 0.5:
                here.update(span.gaps)
                here.update("strength:" + x for x in span.strengths)
                here.update("signal:" + x for x in span.signals or ())
        labels.append(here)
    return labels, lost
