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


def sentence_features(sent: Span, cues: list[Span], skills: list[Span]) -> list[str]:
    """Feature strings of one sentence; cues and skills are the spans that fall inside it."""
    skill_tokens = {i for s in skills for i in range(s.start, s.end)}
    words: list[tuple[int, str]] = []
    for tok in sent:
        if tok.is_space or (tok.is_punct and tok.text not in CLAUSE_BREAKS and tok.text != "?"):
            continue
        words.append((tok.i, "<skill>" if tok.i in skill_tokens else _norm(tok)))
    # clause id of each token: a new clause starts at each clause break
    clause_of, clause = {}, 0
    for i, w in words:
        if w in CLAUSE_BREAKS:
            clause += 1
        clause_of[i] = clause
    scope: dict[int, set[str]] = {}
    for cue in cues:
        if cue.label_ in SCOPE_LABELS:
            c = clause_of.get(cue.start, clause_of.get(cue.end - 1))
            if c is not None:
                scope.setdefault(c, set()).add(cue.label_[0].upper())
    feats = []
    tokens = [w for _, w in words if w not in CLAUSE_BREAKS]
    feats.extend("w:" + w for w in tokens)
    feats.extend(f"b:{a}_{b}" for a, b in zip(tokens, tokens[1:]))
    # Crude stems group word forms the data has not shown ("experienced"/"experiences", "qualified"/"qualification").
    feats.extend("s:" + w[:STEM] for w in tokens if len(w) > STEM and w.isalpha())
    for i, w in words:
        if w in CLAUSE_BREAKS:
            continue
        for mark in scope.get(clause_of[i], ()):
            feats.append(f"{mark}:{w}")
    for cue in cues:
        if cue.label_ in SCOPE_LABELS or cue.label_.startswith(IGNORED_CUES):
            continue
        feats.append("c:" + cue.label_)
        for mark in scope.get(clause_of.get(cue.start, -1), ()):
            feats.append(f"c{mark}:{cue.label_}")
    if skills:
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

    `embedder` maps texts to vectors (analyser.embeddings.Embedder); without one the vectors are zeros.
    """
    from .embeddings import DIM

    sparse, texts = [], []
    for doc in docs:
        cues = doc.spans.get("cues", [])
        skills = doc.spans.get("skills", [])
        sents, parts_of = [], []
        for sent in doc.sents:
            sents.append(sentence_features(sent, spans_in(cues, sent), spans_in(skills, sent)))
            parts = clauses(sent)
            parts = parts if len(parts) > 1 else []
            parts_of.append([sentence_features(c, spans_in(cues, c), spans_in(skills, c)) for c in parts])
            texts.append(sent.text)
            texts.extend(c.text for c in parts)
        sparse.append((sents, parts_of))
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
