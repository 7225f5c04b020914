"""Sentence boundaries for emails: punctuation as usual, plus line breaks that end a line of text.

Emails put greetings, sign-offs and bullets on lines of their own without a full stop; hard-wrapped lines that
continue a sentence (next line starts in lower case) are not split.
"""

from __future__ import annotations

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from .words import Word, doc_words

_ENDERS = frozenset(".!?:;")
_BULLETS = frozenset("-*•–·")
_NOT_START = numpy.array([-1], dtype="int64").astype("uint64")[0]  # spaCy stores "not a sentence start" as -1


@Language.component("analyser_segmenter", assigns=["token.is_sent_start"])
def segment(doc: Doc) -> Doc:
    if not len(doc):
        return doc
    starts = numpy.full((len(doc), 1), _NOT_START, dtype="uint64")
    starts[0, 0] = 1
    last = None  # the last word that is not whitespace
    prev = None  # the word just before this one
    newlines = 0  # line breaks since `last` (spaCy's trailing whitespace after a token is a space or nothing)
    # Words, not Token objects: the same attributes, read per distinct word (this runs on every doc of a batch).
    for i, word in enumerate(doc_words(doc)):
        if word.is_space:
            newlines += word.text.count("\n")
        else:
            if last is not None and _starts_sentence(word, last, prev, newlines):
                starts[i, 0] = 1
            last, newlines = word, 0
        prev = word
    # Set all boundaries at once: setting them token by token re-checks the whole doc each time (quadratic).
    return doc.from_array([SENT_START], starts)


def _starts_sentence(tok: Word, last: Word, prev: Word, newlines: int) -> bool:
    if last.text[-1] in _ENDERS and (last.is_punct or last.text in {"?", "!"}) and not prev.like_num:
        # "e.g." and "Mr." end in a full stop but are tokens of their own, so they are not punct.
        return tok.is_title or tok.is_upper or tok.text[0] in _BULLETS or newlines > 0 or not tok.is_alpha
    if newlines >= 2:
        return True
    if newlines == 1:
        return not tok.is_lower or tok.text[0] in _BULLETS
    return False
