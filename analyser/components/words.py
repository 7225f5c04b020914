"""The word attributes the segmenter and the features read, per distinct word, so a doc is read without Token objects.

A token's text, lower-case form and flags (is_space, is_punct, like_num, ...) belong to its lexeme: the same for every
occurrence of the word, and, for one language's attribute rules, the same in every vocabulary (ORTH is a hash of the
text). The words seen first are remembered (up to MAX_WORDS, so memory stays bounded); the others are looked up, and
so are all words read inside a memory zone.
"""

from __future__ import annotations

from typing import NamedTuple

from spacy.attrs import ORTH
from spacy.tokens import Doc

MAX_WORDS = 50_000


class Word(NamedTuple):
    text: str
    lower: str
    is_space: bool
    is_punct: bool
    like_num: bool
    like_url: bool
    like_email: bool
    is_title: bool
    is_upper: bool
    is_alpha: bool
    is_lower: bool


_known: dict[str, dict[int, Word]] = {}  # language -> ORTH -> Word


def doc_words(doc: Doc) -> list[Word]:
    """The Word of each token of `doc`, in order."""
    vocab = doc.vocab
    known = _known.setdefault(vocab.lang, {})
    # Inside a memory zone (the web server) the text's new words are to be forgotten with it: read, never remembered.
    zoned = vocab.in_memory_zone
    out = []
    for orth in doc.to_array(ORTH).tolist():
        word = known.get(orth)
        if word is None:
            lex = vocab[orth]
            word = Word(
                lex.orth_,
                lex.lower_,
                lex.is_space,
                lex.is_punct,
                lex.like_num,
                lex.like_url,
                lex.like_email,
                lex.is_title,
                lex.is_upper,
                lex.is_alpha,
                lex.is_lower,
            )
            if len(known) < MAX_WORDS and not zoned:
                known[orth] = word
        out.append(word)
    return out
