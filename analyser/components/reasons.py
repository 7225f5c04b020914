"""The reason classifier: scores every sentence for each reason gap, strength aspect and signal, then the document.

A linear model (trained with scikit-learn, see analyser.training) over sparse sentence features and a dense sentence
vector, applied with numpy only, so loading the shipped model does not import scikit-learn. Document score of a
label = its highest sentence score, rescaled so that the label's tuned threshold maps to 0.5: a reason (or signal) is
reported when its score is at least 0.5.
"""

from __future__ import annotations

import json
from itertools import chain, repeat
from pathlib import Path

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from ..features import DocFeatures, featurise

RULE_FEATURE = "c:rule:"
_RULE_MARK = "\n" + RULE_FEATURE  # a rule feature, at the start of a feature
RULE_FLOOR = 0.97
# A label trained on every sentence that states some reason, whichever it is: it lets the model say "a reason is
# given here" when no single reason is sure enough, instead of reporting "no reason given".
ANY_REASON = "reason:any"
LIFT_GRID = (None, 0.8, 0.6, 0.4, 0.3, 0.2)  # least share of its threshold a reason needs to be lifted; None = never

if not Doc.has_extension("sent_scores"):
    Doc.set_extension("sent_scores", default=None)


def rescale(score: np.ndarray | float, threshold: np.ndarray | float):
    """Piecewise-linear map of [0, t] to [0, 0.5] and [t, 1] to [0.5, 1]."""
    score = np.asarray(score, dtype=float)
    t = np.clip(np.asarray(threshold, dtype=float), 1e-6, 1 - 1e-6)
    return np.where(score < t, 0.5 * score / t, 0.5 + 0.5 * (score - t) / (1 - t))


class ReasonClassifier:
    """Sentence-level linear classifier with document aggregation; state ends in '_' once fitted."""

    def __init__(self, nlp: Language, name: str):
        self.name = name
        self.labels_: list[str] = []
        self.vocab_: dict[str, int] = {}
        self.coef_: np.ndarray | None = None
        self.dense_coef_: np.ndarray | None = None  # DIM x n_labels, applied to the sentence vector
        self.piece_weights_: np.ndarray | None = None  # token-piece weights of the sentence vectors
        self._embedder = None
        self.intercept_: np.ndarray | None = None
        self.thresholds_: dict[str, float] = {}
        self.lift_: float | None = None
        self.rules_ = True

    # -- fitted state ---------------------------------------------------------------------------------------------
    def set_weights(
        self, labels, vocab, coef, intercept, thresholds=None, dense_coef=None, piece_weights=None, lift=None
    ):
        self.labels_ = list(labels)
        self.vocab_ = dict(vocab)
        self.coef_ = np.asarray(coef, dtype=np.float32)
        self.dense_coef_ = None if dense_coef is None else np.asarray(dense_coef, dtype=np.float32)
        if piece_weights is not None or dense_coef is None:
            self.piece_weights_ = None if piece_weights is None else np.asarray(piece_weights, dtype=np.float32)
            self._embedder = None
        self.intercept_ = np.asarray(intercept, dtype=np.float32)
        self.thresholds_ = dict(thresholds or {label: 0.5 for label in self.labels_})
        self.lift_ = lift
        self._col = {label: j for j, label in enumerate(self.labels_)}
        self._gap_cols = np.array([j for j, label in enumerate(self.labels_) if ":" not in label], dtype=int)
        self._strength_col = {
            label: self.labels_.index(f"strength:{label}")
            for label in self.labels_
            if f"strength:{label}" in self.labels_
        }
        # doc_scores' clause rule as arrays: strength and signal columns take the clauses' best; a gap column takes it
        # alone when a clause praises that aspect (its strength column, -1 for none)
        self._takes_max = np.array([label.startswith(("strength:", "signal:")) for label in self.labels_], dtype=bool)
        self._praise_col = np.array([self._strength_col.get(label, -1) for label in self.labels_], dtype=int)
        self._cat_cols = [j for j, label in enumerate(self.labels_) if not label.startswith("strength:")]
        # thresholds by column, for doc.cats' rescaling and the abstention lift (fixed until the next set_weights)
        self._cat_thresholds = [self.thresholds_.get(self.labels_[j], 0.5) for j in self._cat_cols]
        self._gap_cut = np.array([self.thresholds_.get(self.labels_[j], 0.5) for j in self._gap_cols], dtype=np.float32)

    # -- scoring --------------------------------------------------------------------------------------------------
    def sentence_scores(self, features: list[list[str]], vectors: np.ndarray | None = None) -> np.ndarray:
        """Probability of each label for each sentence (n_sentences x n_labels).

        Weights are summed in sorted feature order in float64, so a text gets the same scores in every process
        (set order depends on PYTHONHASHSEED).
        """
        if self.coef_ is None:
            raise ValueError(f"component '{self.name}' has no weights: train the model first (analyser train)")
        out = np.empty((len(features), len(self.labels_)), dtype=np.float64)
        vocab, coef = self.vocab_, self.coef_
        for row, feats in enumerate(features):
            idx = sorted({vocab[f] for f in feats if f in vocab})
            logit = self.intercept_.astype(np.float64)
            if idx:
                logit = logit + coef[idx].sum(axis=0, dtype=np.float64) / np.sqrt(len(idx))
            out[row] = logit
        if self.dense_coef_ is not None and vectors is not None and len(features):
            out += vectors.astype(np.float64) @ self.dense_coef_.astype(np.float64)
        return (1.0 / (1.0 + np.exp(-out))).astype(np.float32)

    def sparse_logits(self, features: list[list[str]]) -> np.ndarray:
        """sentence_scores' logits without the dense part, for many sentences at once (n_sentences x n_labels).

        Bit for bit those of sentence_scores: each row's weights, in sorted index order, are added one after the
        other in float64 (as numpy sums coef[idx] along its first axis), all rows at once per position.
        """
        n, n_vocab = len(features), max(len(self.vocab_), 1)
        out = np.empty((n, len(self.labels_)), dtype=np.float64)
        out[:] = self.intercept_.astype(np.float64)
        lengths = np.fromiter(map(len, features), dtype=np.int64, count=n)
        ids = np.fromiter(
            map(self.vocab_.get, chain.from_iterable(features), repeat(-1)), dtype=np.int64, count=int(lengths.sum())
        )
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
        known = ids >= 0
        keys = np.sort(rows[known] * n_vocab + ids[known])  # each row's indices, sorted, rows in order
        if not len(keys):
            return out
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]  # distinct (np.unique hashes: 10x slower)
        row, idx = np.divmod(keys, n_vocab)
        counts = np.bincount(row, minlength=n)
        weights = self.coef_[idx].astype(np.float64)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        order = np.argsort(-counts, kind="stable")  # longest first: the rows still adding at position k are a prefix
        left, first = counts[order], starts[order]
        sums = np.zeros((n, len(self.labels_)), dtype=np.float64)
        for k in range(int(left[0])):
            m = int(np.searchsorted(-left, -k, side="left"))  # rows with more than k weights
            sums[:m] += weights[first[:m] + k]
        filled = order[left > 0]
        out[filled] = out[filled] + sums[: len(filled)] / np.sqrt(counts[filled])[:, None]
        return out

    def batch_scores(self, fs: list[DocFeatures]) -> list[np.ndarray]:
        """doc_scores of each doc, bit for bit, with the sparse part of all their sentences and clauses done at once."""
        if self.coef_ is None:
            raise ValueError(f"component '{self.name}' has no weights: train the model first (analyser train)")
        rows: list[list[str]] = []
        for f in fs:
            rows.extend(f.sentences)
            for parts in f.clauses:
                rows.extend(parts)
        logits = self.sparse_logits(rows)
        if self.dense_coef_ is not None:
            # per doc and per clause group, as sentence_scores does: BLAS's last bits depend on the block's shape
            dense = self.dense_coef_.astype(np.float64)
            k = 0
            for f in fs:
                blocks = [(f.sentences, f.sentence_vectors)] + [(p, v) for p, v in zip(f.clauses, f.clause_vectors)]
                for feats, vectors in blocks:
                    if vectors is not None and len(feats):
                        logits[k : k + len(feats)] += vectors.astype(np.float64) @ dense
                    k += len(feats)
        probs_all = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        out, k = [], 0
        for f in fs:
            n = len(f.sentences)
            probs = probs_all[k : k + n].copy()
            k += n
            self._apply_rules(probs, f.sentences)
            for i, parts in enumerate(f.clauses):
                if not parts:
                    continue
                cp = probs_all[k : k + len(parts)].copy()
                k += len(parts)
                self._apply_rules(cp, parts)
                self._merge_clauses(probs, i, cp)
            self._lift(probs)
            out.append(probs)
        return out

    def _merge_clauses(self, probs: np.ndarray, i: int, cp: np.ndarray) -> None:
        """doc_scores' clause rule for sentence i, on all labels at once."""
        best = cp.max(axis=0)
        praised = np.append((cp >= 0.5).any(axis=0), False)[self._praise_col]  # -1: no strength column
        probs[i] = np.where(self._takes_max | ~praised, np.maximum(probs[i], best), best)

    def doc_scores(self, f: DocFeatures) -> np.ndarray:
        """Sentence probabilities, refined by clause for sentences that contrast praise with a gap.

        In "While we were impressed by your experience, we chose candidates whose skills more closely match" the gap
        is in one clause and the praise in the other: each clause is scored alone, and a gap counts from the whole
        sentence only when no clause praises that same aspect.
        """
        probs = self.sentence_scores(f.sentences, f.sentence_vectors)
        self._apply_rules(probs, f.sentences)
        for i, parts in enumerate(f.clauses):
            if not parts:
                continue
            cp = self.sentence_scores(parts, f.clause_vectors[i])
            self._apply_rules(cp, parts)
            best = cp.max(axis=0)
            for j, label in enumerate(self.labels_):
                if label.startswith(("strength:", "signal:")):
                    probs[i, j] = max(probs[i, j], best[j])
                    continue
                k = self._strength_col.get(label)
                praised = k is not None and bool((cp[:, k] >= 0.5).any())
                probs[i, j] = best[j] if praised else max(best[j], probs[i, j])
        self._lift(probs)
        return probs

    def _lift(self, probs: np.ndarray) -> None:
        """Honest abstention: "no reason" only when no sentence states one.

        When no reason clears its threshold but a sentence clearly states some reason (the `reason:any` label), that
        sentence's most likely reason is lifted to its threshold, if it reaches at least `lift_` of it.
        """
        a = self._col.get(ANY_REASON)
        if self.lift_ is None or a is None or not len(probs) or not len(self._gap_cols):
            return
        cut = self._gap_cut
        gaps = probs[:, self._gap_cols]
        if (gaps >= cut).any():
            return
        i = int(np.argmax(probs[:, a]))
        if probs[i, a] < self.thresholds_.get(ANY_REASON, 0.5):
            return
        share = gaps[i] / cut
        k = int(np.argmax(share))
        if share[k] >= self.lift_:
            probs[i, self._gap_cols[k]] = np.nextafter(cut[k], np.float32(1))

    def _apply_rules(self, probs: np.ndarray, sentence_feats: list[list[str]]) -> None:
        """High-precision constructions (cue labels 'rule:<reason>') set a floor under their reason's probability.

        "candidates whose skills more closely match our needs" names the aspect: that is a skills gap, not the vague
        closer match that counts as fit, so fit is capped in that sentence, and it is not praise of the candidate's skills.
        """
        if not self.rules_:
            return
        for i, feats in enumerate(sentence_feats):
            # most sentences name no rule (nothing below changes them): one substring search in C over the features
            # joined by line breaks, which no feature holds (whitespace tokens give none)
            if _RULE_MARK not in "\n" + "\n".join(feats):
                continue
            named = {f[len(RULE_FEATURE) :] for f in feats if f.startswith(RULE_FEATURE)}
            for reason in named:
                j = self._col.get(reason)
                if j is not None:
                    probs[i, j] = max(probs[i, j], RULE_FLOOR)
                k = self._strength_col.get(reason)
                if k is not None:  # what the others had more of is not praise of the candidate
                    probs[i, k] = min(probs[i, k], 0.25)
            fit = self._col.get("fit")
            if fit is not None and named - {"fit"} and "fit" not in named:
                probs[i, fit] = min(probs[i, fit], 0.5 * self.thresholds_.get("fit", 0.5))

    @property
    def embedder(self):
        """The sentence embedder this model was trained with (None when it uses no dense features)."""
        if self.dense_coef_ is None:
            return None
        if self._embedder is None:
            from ..embeddings import Embedder

            self._embedder = Embedder(self.piece_weights_)
        return self._embedder

    def __call__(self, doc: Doc) -> Doc:
        return self._score(doc, self.batch_scores(featurise([doc], self.embedder))[0])

    def pipe(self, docs, batch_size: int = 128):
        """Score docs in batches: the sentence vectors of a whole batch are computed in one call."""
        batch = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._score_many(batch)
                batch = []
        yield from self._score_many(batch)

    def _score_many(self, docs: list[Doc]):
        if not docs:
            return
        for doc, probs in zip(docs, self.batch_scores(featurise(docs, self.embedder))):
            yield self._score(doc, probs)

    def _score(self, doc: Doc, probs: np.ndarray) -> Doc:
        doc._.sent_scores = probs
        top = probs.max(axis=0) if len(probs) else np.zeros(len(self.labels_), dtype=np.float32)
        cols = self._cat_cols
        for j, score in zip(cols, rescale(top[cols], self._cat_thresholds).tolist()):
            doc.cats[self.labels_[j]] = score
        return doc

    # -- serialisation --------------------------------------------------------------------------------------------
    def to_disk(self, path, exclude=()):
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        features = sorted(self.vocab_, key=self.vocab_.get)
        arrays = {"coef": self.coef_, "intercept": self.intercept_}
        if self.dense_coef_ is not None:
            arrays["dense_coef"] = self.dense_coef_
        if self.piece_weights_ is not None:
            arrays["piece_weights"] = self.piece_weights_
        np.savez_compressed(path / "weights.npz", **arrays)
        (path / "features.txt").write_text("\n".join(features) + "\n", encoding="utf-8")
        cfg = {"labels": self.labels_, "thresholds": self.thresholds_, "lift": self.lift_}
        (path / "cfg.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")

    def from_disk(self, path, exclude=()):
        path = Path(path)
        cfg = json.loads((path / "cfg.json").read_text(encoding="utf-8"))
        features = (path / "features.txt").read_text(encoding="utf-8").splitlines()
        with np.load(path / "weights.npz") as w:
            self.set_weights(
                cfg["labels"],
                {f: i for i, f in enumerate(features)},
                w["coef"],
                w["intercept"],
                cfg["thresholds"],
                w["dense_coef"] if "dense_coef" in w.files else None,
                w["piece_weights"] if "piece_weights" in w.files else None,
                cfg.get("lift"),
            )
        return self


@Language.factory("analyser_reasons", assigns=["doc.cats", "doc._.sent_scores"])
def make_reason_classifier(nlp: Language, name: str) -> ReasonClassifier:
    return ReasonClassifier(nlp, name)
