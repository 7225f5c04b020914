"""Sentence boundaries for emails: punctuation as usual, plus line breaks that end a line of text.

Emails put greetings, sign-offs and bullets on lines of their own without a full stop; hard-wrapped lines that
continue a sentence (next line starts in lower case) are not split.
"""

from __future__ import annotations

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from .words import ALPHA, BULLET, ENDER, LIKE_NUM, LOWER, SPACE, TITLE, UPPER, Word, doc_words

_ENDERS = frozenset(".!?:;")
_BULLETS = frozenset("-*•–·")
_NOT_START = numpy.array([-1], dtype="int64").astype("uint64")[0]  # spaCy stores "not a sentence start" as -1


@Language.component("analyser_segmenter", assigns=["token.is_sent_start"])
def segment(doc: Doc) -> Doc:
    if not len(doc):
        return doc
    starts = numpy.full((len(doc), 1), _NOT_START, dtype="uint64")
    starts[0, 0] = 1
    # Each word's segmenter bits (read per distinct word, not from Token objects), every token decided at once:
    # _starts_sentence of each word that is not whitespace, after the one before it (`last`).
    bits = numpy.array([w.seg for w in doc_words(doc)], dtype=numpy.int64)
    text = numpy.flatnonzero((bits & SPACE) == 0)
    if len(text) > 1:
        tok, last = text[1:], text[:-1]
        breaks = numpy.cumsum(bits >> 8)  # line breaks up to each token (only whitespace words have any)
        newlines = breaks[tok - 1] - breaks[last]  # between `last` and the word
        t = bits[tok]
        ended = ((bits[last] & ENDER) != 0) & ((bits[tok - 1] & LIKE_NUM) == 0)
        after_end = ((t & (TITLE | UPPER | BULLET)) != 0) | (newlines > 0) | ((t & ALPHA) == 0)
        after_line = (newlines >= 2) | ((newlines == 1) & (((t & LOWER) == 0) | ((t & BULLET) != 0)))
        starts[tok[numpy.where(ended, after_end, after_line)], 0] = 1
    # Set all boundaries at once: setting them token by token re-checks the whole doc each time (quadratic).
    return doc.from_array([SENT_START], starts)


def _starts_sentence(tok: Word, last: Word, prev: Word, newlines: int) -> bool:
    """Whether `tok` starts a sentence, after `last` (the word before it that is not whitespace) and `prev` (the
    word just before it), with `newlines` line breaks between: the rule segment applies to all words at once."""
    if last.text[-1] in _ENDERS and (last.is_punct or last.text in {"?", "!"}) and not prev.like_num:
        # "e.g." and "Mr." end in a full stop but are tokens of their own, so they are not punct.
        return tok.is_title or tok.is_upper or tok.text[0] in _BULLETS or newlines > 0 or not tok.is_alpha
    if newlines >= 2:
        return True
    if newlines == 1:
        return not tok.is_lower or tok.text[0] in _BULLETS
    return False
