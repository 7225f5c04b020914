"""The word attributes the segmenter and the features read (and the word the features make of it), per distinct
word, so a doc is read without Token objects.

A token's text, lower-case form and flags (is_space, is_punct, like_num, ...) belong to its lexeme: the same for every
occurrence of the word, and, for one language's attribute rules, the same in every vocabulary (ORTH is a hash of the
text). The words seen first are remembered (up to MAX_WORDS, so memory stays bounded); the others are looked up. Words
read inside a memory zone are remembered for their doc only.
"""

from __future__ import annotations

from typing import NamedTuple

from spacy.attrs import ORTH
from spacy.tokens import Doc

from ..features import feature_word

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
    feature: str | None  # what the sentence features read for it (analyser.features.feature_word)


_known: dict[str, dict[int, Word]] = {}  # language -> ORTH -> Word
_USER_DATA = "analyser.words"


def doc_words(doc: Doc) -> list[Word]:
    """The Word of each token of `doc`, in order (read once per doc: the segmenter, features and stage share it)."""
    words = doc.user_data.get(_USER_DATA)
    if words is None or len(words) != len(doc):
        words = doc.user_data[_USER_DATA] = _read_words(doc)
    return words


def _read_words(doc: Doc) -> list[Word]:
    vocab = doc.vocab
    known = _known.setdefault(vocab.lang, {})
    # Inside a memory zone (the web server) a text's new words are to be forgotten with it: kept for this doc only.
    keep = {} if vocab.in_memory_zone else known
    orths = doc.to_array(ORTH).tolist()
    out = list(map(known.get, orths))  # most words are known: one lookup each, the rest filled in below
    for i in [i for i, word in enumerate(out) if word is None]:
        orth = orths[i]
        word = keep.get(orth)
        if word is None:
            lex = vocab[orth]
            flags = (lex.orth_, lex.lower_, lex.is_space, lex.is_punct, lex.like_num, lex.like_url, lex.like_email)
            word = Word(*flags, lex.is_title, lex.is_upper, lex.is_alpha, lex.is_lower, feature_word(*flags))
            if len(keep) < MAX_WORDS:
                keep[orth] = word
        out[i] = word
    return out
