"""Baselines the shipped model must beat, each trained on train only and tuned on dev only.

- keywords: a document has a reason when one of that reason's cue patterns (data/patterns.jsonl) matches;
- tfidf_lr: TF-IDF word n-grams + logistic regression on whole documents (scikit-learn);
- spacy_textcat: spaCy's bag-of-words multilabel text classifier on whole documents.
Every baseline returns, per document, a set of predicted reasons; evaluation is in analyser.evaluation.
"""

from __future__ import annotations

import random

import numpy as np

from .config import SEED
from .dataset import Document
from .evaluation import best_threshold
from .taxonomy import load_taxonomy
from .text_cleaning import clean


def _texts(docs: list[Document]) -> list[str]:
    return [clean(d.text).text for d in docs]


def _decide(scores: np.ndarray, thresholds: list[float], reasons: list[str], none: str) -> list[set[str]]:
    out = []
    for row in scores:
        found = {r for r, s, t in zip(reasons, row, thresholds) if s >= t}
        out.append(found or {none})
    return out


def _tune(scores: np.ndarray, docs: list[Document], reasons: list[str]) -> list[float]:
    return [best_threshold(scores[:, j].tolist(), [r in d.reasons for d in docs])[0] for j, r in enumerate(reasons)]


def keyword_baseline(train: list[Document], dev: list[Document], test: list[Document]) -> list[set[str]]:
    """Reasons whose cue patterns match anywhere in the text (no learning, no tuning)."""
    from .pipeline import build_pipeline

    tax = load_taxonomy()
    nlp = build_pipeline(with_classifier=False)
    out = []
    for doc in nlp.pipe(_texts(test)):
        found = {s.label_ for s in doc.spans["cues"] if s.label_ in tax.gap_reasons}
        out.append(found or {tax.none_reason})
    return out


def tfidf_lr_baseline(
    train: list[Document], dev: list[Document], test: list[Document], seed: int = SEED
) -> list[set[str]]:
    """TF-IDF (word 1-2 grams) + one-vs-rest logistic regression on whole documents; thresholds tuned on dev."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    tax = load_taxonomy()
    reasons = list(tax.gap_reasons)
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    X = vec.fit_transform(_texts(train))

    def scores(docs):
        Xd = vec.transform(_texts(docs))
        cols = []
        for r in reasons:
            y = np.array([r in d.reasons for d in train])
            if y.sum() == 0:
                cols.append(np.zeros(Xd.shape[0]))
                continue
            clf = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000, random_state=seed).fit(X, y)
            cols.append(clf.predict_proba(Xd)[:, 1])
        return np.column_stack(cols)

    thresholds = _tune(scores(dev), dev, reasons)
    return _decide(scores(test), thresholds, reasons, tax.none_reason)


def spacy_textcat_baseline(
    train: list[Document], dev: list[Document], test: list[Document], seed: int = SEED, epochs: int = 12
) -> list[set[str]]:
    """spaCy textcat_multilabel with the bag-of-words architecture on whole documents; thresholds tuned on dev."""
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    tax = load_taxonomy()
    reasons = list(tax.gap_reasons)
    fix_random_seed(seed)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe(
        "textcat_multilabel",
        config={
            "model": {
                "@architectures": "spacy.TextCatBOW.v3",
                "exclusive_classes": False,
                "ngram_size": 2,
                "no_output_layer": False,
                "length": 262144,
            }
        },
    )
    for r in reasons:
        textcat.add_label(r)
    examples = [
        Example.from_dict(nlp.make_doc(t), {"cats": {r: float(r in d.reasons) for r in reasons}})
        for t, d in zip(_texts(train), train)
    ]
    nlp.initialize(lambda: examples)
    rng = random.Random(seed)
    for _ in range(epochs):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=16):
            nlp.update(batch, drop=0.1)

    def scores(docs):
        return np.array([[doc.cats[r] for r in reasons] for doc in nlp.pipe(_texts(docs))])

    thresholds = _tune(scores(dev), dev, reasons)
    return _decide(scores(test), thresholds, reasons, tax.none_reason)


BASELINES = {
    "keywords (cue patterns)": keyword_baseline,
    "TF-IDF + logistic regression (documents)": tfidf_lr_baseline,
    "spaCy textcat BOW (documents)": spacy_textcat_baseline,
}
