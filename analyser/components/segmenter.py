"""Sentence boundaries for emails: punctuation as usual, plus line breaks that end a line of text.

Emails put greetings, sign-offs and bullets on lines of their own without a full stop; hard-wrapped lines that
continue a sentence (next line starts in lower case) are not split.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

_ENDERS = frozenset(".!?:;")
_BULLETS = frozenset("-*•–·")


@Language.component("analyser_segmenter", assigns=["token.is_sent_start"])
def segment(doc: Doc) -> Doc:
    if not len(doc):
        return doc
    doc[0].is_sent_start = True
    for i in range(1, len(doc)):
        tok, prev = doc[i], doc[i - 1]
        if tok.is_space:
            tok.is_sent_start = False
            continue
        j = i - 1
        while j >= 0 and doc[j].is_space:
            j -= 1
        gap = doc[j + 1 : i].text + doc[j].whitespace_ if j >= 0 else ""
        newlines = gap.count("\n")
        last = doc[j].text if j >= 0 else "."
        if last[-1] in _ENDERS and (doc[j].is_punct or last in {"?", "!"}) and not prev.like_num:
            # "e.g." and "Mr." end in a full stop but are tokens of their own, so they are not punct.
            tok.is_sent_start = (
                tok.is_title or tok.is_upper or tok.text[0] in _BULLETS or newlines > 0 or not tok.is_alpha
            )
        elif newlines >= 2:
            tok.is_sent_start = True
        elif newlines == 1:
            tok.is_sent_start = not tok.is_lower or tok.text[0] in _BULLETS
        else:
            tok.is_sent_start = False
    return doc
