"""Sentence features for the reason classifier.

Bag of words and bigrams, plus scope features: words in a clause that praises ("P:") or negates ("N:") are marked,
so "impressed by your experience" and "your experience was not the issue" do not look like an experience gap.
Cue patterns (data/patterns.jsonl) and skill mentions (data/skills.toml) add features that generalise beyond the
words seen in training ("more experience with Kubernetes" looks like "more experience with <skill>").
Dense vectors (analyser.embeddings) place each sentence and clause among sentences that say the same in other words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from spacy.attrs import IDX, SENT_START, SPACY
from spacy.tokens import Doc, Span

SCOPE_LABELS = ("praise", "negation")
CLAUSE_BREAKS = frozenset(
    {",", ";", ":", "(", ")", "–", "—", "but", "however", "although", "though", "while", "whilst", "whereas", "yet"}
)
IGNORED_CUES = ("stage:",)  # the stage is read from the cues directly
SUBORDINATORS = frozenset({"while", "whilst", "although", "though", "whereas", "despite"})
CONTRASTS = frozenset({"although", "though", "while", "whilst", "whereas", "unfortunately"})
CONJUNCTIONS = frozenset({"but", "however", "yet"})  # contrast wherever they stand; the words above only after a comma
STEM = 5


def _norm(tok) -> str:
    text = tok.lower_
    if tok.like_num:
        return "<num>"
    if tok.like_url:
        return "<url>"
    if tok.like_email:
        return "<email>"
    return text


def feature_word(
    text: str, lower: str, is_space: bool, is_punct: bool, like_num: bool, like_url: bool, like_email: bool
) -> str | None:
    """The word sentence_features makes of a token with these attributes (_norm's), None for one it skips."""
    if is_space or (is_punct and text not in CLAUSE_BREAKS and text != "?"):
        return None
    if like_num:
        return "<num>"
    if like_url:
        return "<url>"
    if like_email:
        return "<email>"
    return lower


def sentence_features(sent: Span, cues: list[Span], skills: list[Span]) -> list[str]:
    """Feature strings of one sentence; cues and skills are the spans that fall inside it."""
    skill_tokens = {i for s in skills for i in range(s.start, s.end)}
    words: list[tuple[int, str]] = []
    for tok in sent:
        if tok.is_space or (tok.is_punct and tok.text not in CLAUSE_BREAKS and tok.text != "?"):
            continue
        words.append((tok.i, "<skill>" if tok.i in skill_tokens else _norm(tok)))
    return _features(words, [(c.start, c.end, c.label_) for c in cues], bool(skills))


def _features(words: list[tuple[int, str]], cues: list[tuple[int, int, str]], has_skill: bool) -> list[str]:
    """Feature strings from a sentence's kept words (token index, word) and its cues (start, end, label)."""
    tokens = [w for _, w in words if w not in CLAUSE_BREAKS]
    feats = ["w:" + w for w in tokens]
    feats += ["b:" + a + "_" + b for a, b in zip(tokens, tokens[1:])]
    # Crude stems group word forms the data has not shown ("experienced"/"experiences", "qualified"/"qualification").
    feats += ["s:" + w[:STEM] for w in tokens if len(w) > STEM and w.isalpha()]
    if cues:  # clauses matter only to cues: a sentence without any (most) skips them
        # clause id of each token: a new clause starts at each clause break
        clause_of, clause = {}, 0
        for i, w in words:
            if w in CLAUSE_BREAKS:
                clause += 1
            clause_of[i] = clause
        scope: dict[int, set[str]] = {}
        for c_start, c_end, label in cues:
            if label in SCOPE_LABELS:
                c = clause_of.get(c_start, clause_of.get(c_end - 1))
                if c is not None:
                    scope.setdefault(c, set()).add(label[0].upper())
        if scope:
            for i, w in words:
                if w in CLAUSE_BREAKS:
                    continue
                for mark in scope.get(clause_of[i], ()):
                    feats.append(f"{mark}:{w}")
        for c_start, _, label in cues:
            if label in SCOPE_LABELS or label.startswith(IGNORED_CUES):
                continue
            feats.append("c:" + label)
            for mark in scope.get(clause_of.get(c_start, -1), ()):
                feats.append(f"c{mark}:{label}")
    if has_skill:
        feats.append("has_skill")
    n = len(tokens)
    feats.append("len:" + ("1" if n <= 3 else "2" if n <= 8 else "3" if n <= 20 else "4"))
    return feats


def spans_in(group, sent: Span) -> list[Span]:
    return [s for s in group if s.start >= sent.start and s.end <= sent.end]


def clauses(sent: Span) -> list[Span]:
    """The contrasting clauses of a sentence ("While X, Y" -> X, Y; "X, but Y" -> X, Y); [sent] when there are none."""
    cuts = set()
    toks = [t for t in sent if not t.is_space]
    if toks and toks[0].lower_ in SUBORDINATORS:
        comma = next((t.i for t in toks[1:] if t.text in {",", ";"}), None)
        if comma is not None:
            cuts.add(comma + 1)
    for t in toks[1:]:
        after_break = sent.doc[t.i - 1].text in {",", ";", "-", "–", "—"}
        if t.lower_ in CONJUNCTIONS or (t.lower_ in CONTRASTS and after_break):
            cuts.add(t.i)
    bounds = [sent.start, *sorted(c for c in cuts if sent.start + 2 < c < sent.end - 2), sent.end]
    return [sent.doc[a:b] for a, b in zip(bounds, bounds[1:])]


@dataclass
class DocFeatures:
    """What the classifier reads of one doc: sparse features and dense vectors of its sentences and their clauses."""

    sentences: list[list[str]]
    clauses: list[list[list[str]]]  # per sentence, its contrasting clauses (empty when it has only one)
    sentence_vectors: np.ndarray  # n_sentences x DIM
    clause_vectors: list[np.ndarray]  # per sentence, n_clauses x DIM


def featurise(docs: list[Doc], embedder=None) -> list[DocFeatures]:
    """Features of many docs; the dense vectors of all their sentences and clauses are computed in one call.

    `embedder` maps texts to vectors (analyser.embeddings.Embedder); without one the vectors are zeros. Each doc is read
    once from spaCy's token arrays (no Token or Span objects): the features are exactly those of sentence_features
    and clauses on the doc's sentences.
    """
    from .embeddings import DIM

    sparse, texts = [], []
    for doc in docs:
        if not doc.has_annotation("SENT_START"):
            sents, parts_of, doc_texts = _span_features(doc)  # doc.sents raises as it always did
        else:
            sents, parts_of, doc_texts = _DocTokens(doc).features()
        sparse.append((sents, parts_of))
        texts.extend(doc_texts)
    vectors = embedder(texts) if embedder is not None else np.zeros((len(texts), DIM), dtype=np.float32)
    out, k = [], 0
    for sents, parts_of in sparse:
        sent_rows, clause_vecs = [], []
        for parts in parts_of:
            sent_rows.append(k)
            clause_vecs.append(vectors[k + 1 : k + 1 + len(parts)])
            k += 1 + len(parts)
        out.append(DocFeatures(sents, parts_of, vectors[sent_rows].reshape(len(sents), DIM), clause_vecs))
    return out


def _span_features(doc: Doc):
    """featurise's reading of one doc through Span objects (the definition the array reading follows)."""
    cues = doc.spans.get("cues", [])
    skills = doc.spans.get("skills", [])
    sents, parts_of, texts = [], [], []
    for sent in doc.sents:
        sents.append(sentence_features(sent, spans_in(cues, sent), spans_in(skills, sent)))
        parts = clauses(sent)
        parts = parts if len(parts) > 1 else []
        parts_of.append([sentence_features(c, spans_in(cues, c), spans_in(skills, c)) for c in parts])
        texts.append(sent.text)
        texts.extend(c.text for c in parts)
    return sents, parts_of, texts


_BREAK_BEFORE = frozenset({",", ";", "-", "–", "—"})  # what precedes a contrast word that starts a clause
_FIRST_COMMA = frozenset({",", ";"})


class _DocTokens:
    """One doc as plain lists from its token arrays, for sentence_features and clauses by token offsets."""

    def __init__(self, doc: Doc):
        from .components.words import Word, doc_words  # here: the components package imports this module

        words = doc_words(doc)
        arr = doc.to_array([IDX, SPACY, SENT_START])
        self.n = len(doc)
        # the words' attributes as columns (one transpose in C): text, lower, is_space, ..., feature
        columns = list(zip(*words)) if words else [()] * len(Word._fields)
        self.text, self.lower, self.is_space = columns[0], columns[1], columns[2]
        self.word: tuple[str | None, ...] = columns[-1]  # the word each token gives sentence_features (None: skipped)
        self.idx = arr[:, 0].tolist()
        self.doc_text = "".join([t + " " if ws else t for t, ws in zip(self.text, arr[:, 1].tolist())])
        self.sent_starts = [0, *(i for i in np.flatnonzero(arr[:, 2] == 1).tolist() if i > 0)]
        self.cues = [(s.start, s.end, s.label_) for s in doc.spans.get("cues", [])]
        self.skills = [(s.start, s.end) for s in doc.spans.get("skills", [])]

    def span_text(self, start: int, end: int) -> str:
        return self.doc_text[self.idx[start] : self.idx[end - 1] + len(self.text[end - 1])]

    def features(self):
        sents, parts_of, texts = [], [], []
        bounds = [*self.sent_starts, self.n]
        for start, end in zip(bounds, bounds[1:]):
            sents.append(self.sentence_features(start, end))
            parts = self.clauses(start, end)
            parts = parts if len(parts) > 1 else []
            parts_of.append([self.sentence_features(a, b) for a, b in parts])
            texts.append(self.span_text(start, end))
            texts.extend(self.span_text(a, b) for a, b in parts)
        return sents, parts_of, texts

    def clauses(self, start: int, end: int) -> list[tuple[int, int]]:
        """clauses() of doc[start:end], as token offsets."""
        cuts = set()
        toks = [i for i in range(start, end) if not self.is_space[i]]
        if toks and self.lower[toks[0]] in SUBORDINATORS:
            comma = next((i for i in toks[1:] if self.text[i] in _FIRST_COMMA), None)
            if comma is not None:
                cuts.add(comma + 1)
        for i in toks[1:]:
            low = self.lower[i]
            if low in CONJUNCTIONS or (low in CONTRASTS and self.text[i - 1] in _BREAK_BEFORE):
                cuts.add(i)
        bounds = [start, *sorted(c for c in cuts if start + 2 < c < end - 2), end]
        return list(zip(bounds, bounds[1:]))

    def sentence_features(self, start: int, end: int) -> list[str]:
        """sentence_features() of doc[start:end] with the cue and skill spans inside it."""
        cues = [c for c in self.cues if c[0] >= start and c[1] <= end]
        skill_tokens = {i for s, e in self.skills if s >= start and e <= end for i in range(s, e)}
        words = [(i, w) for i, w in zip(range(start, end), self.word[start:end]) if w is not None]
        if skill_tokens:
            words = [(i, "<skill>" if i in skill_tokens else w) for i, w in words]
        return _features(words, cues, bool(skill_tokens))
