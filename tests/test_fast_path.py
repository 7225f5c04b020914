"""The fast path gives what the full path gives: the same cue and skill spans, reasons, scores and signals."""

import csv
import dataclasses

import numpy as np
import pytest

from analyser.config import DATA_DIR

EDGE_TEXTS = [
    "",
    "#",
    "Go ahead and apply again. We use Go and R here, and Excel.",
    "R\n\nGo",
    "Unfortunately we have chosen candidates whose skills and experience more closely match our needs.",
    "We went with someone with significantly stronger stakeholder management skills, but your CV was great.",
    "You have 5 + years of experience, but we cannot offer feedback at this stage.",
    "WHOSE SKILLS, EXPERIENCE AND BACKGROUND BETTER MATCH THE ROLE.",
    "We were impressed by your Power BI and SQL. Thank you for the interview!",
]


def demo_texts(n: int) -> list[str]:
    with open(DATA_DIR / "demo" / "feedback.csv", newline="", encoding="utf-8") as fh:
        return [row["feedback"] for _, row in zip(range(n), csv.DictReader(fh))]


@pytest.fixture(scope="module")
def reference_nlp():
    """The shipped model with spaCy's SpanRulers for cues and skills: the full path the fast one must equal."""
    import spacy

    from analyser.config import MODEL_DIR
    from analyser.pipeline import use_matchers

    return use_matchers(spacy.load(MODEL_DIR), "span_ruler")


def spans_of(nlp, texts):
    from analyser.text_cleaning import clean

    out = []
    for doc in nlp.pipe([clean(t).text for t in texts], disable=["reasons"]):
        out.append({k: [(s.start, s.end, s.label_, s.id_) for s in doc.spans[k]] for k in ("cues", "skills")})
    return out


def test_shipped_model_loads_with_fast_matchers(nlp):
    factories = [nlp.get_pipe_meta(name).factory for name in nlp.pipe_names]
    assert factories == ["analyser_segmenter", "analyser_span_matcher", "analyser_span_matcher", "analyser_reasons"]


@pytest.mark.slow
def test_span_matcher_gives_the_span_rulers_spans(nlp, reference_nlp):
    texts = demo_texts(400) + EDGE_TEXTS
    fast, full = spans_of(nlp, texts), spans_of(reference_nlp, texts)
    assert sum(len(s["cues"]) + len(s["skills"]) for s in full) > 2000  # the comparison covers many matches
    assert fast == full  # same spans, labels, ids and order


def test_ambiguous_skill_opening_a_sentence_is_not_matched(blank_nlp):
    doc = blank_nlp("Go ahead and apply. We need Go and R skills.\nR is a plus.")
    assert [(s.text, s.id_) for s in doc.spans["skills"]] == [("Go", "Go"), ("R", "R")]


def test_token_patterns_split_into_phrases_and_guarded_matchers(blank_nlp):
    from analyser.components.span_matcher import literal_phrases, required_words

    cues = blank_nlp.get_pipe("cues")
    assert len(cues._guarded) < 40  # most token patterns became phrases
    assert literal_phrases([{"LOWER": {"IN": ["more", "Most"]}}, {"LOWER": "x", "OP": "?"}]) == (
        "LOWER",
        [("more", "x"), ("more",)],
        {},
    )
    assert literal_phrases([{"ORTH": "Go", "IS_SENT_START": False}]) == ("ORTH", [("Go",)], {0: False})
    assert literal_phrases([{"LOWER": "a"}, {"OP": "{0,5}", "IS_PUNCT": False}]) is None
    assert required_words([{"LOWER": "whose"}, {"OP": "*", "LOWER": "x"}, {"TEXT": {"IN": [",", "A"]}}]) == [
        frozenset({"whose"}),
        frozenset({",", "a"}),
    ]


def test_guarded_matcher_runs_over_the_window_a_match_can_cover(nlp):
    from spacy.attrs import LOWER

    from analyser.components.span_matcher import _first_and_last, match_window

    assert match_window([{"LOWER": {"IN": ["with", "Who"]}}, {"OP": "{0,5}"}, {"LOWER": "x", "OP": "?"}]) == (
        frozenset({"with", "who"}),
        7,
    )
    assert match_window([{"LOWER": "whose"}, {"OP": "*"}, {"LOWER": "x"}]) == (frozenset({"whose"}), None)
    assert match_window([{"LOWER": "a", "OP": "?"}, {"LOWER": "b"}]) == (None, 2)
    assert match_window([{"LIKE_NUM": True}, {"OP": "{2,}"}]) == (None, None)
    cues = nlp.get_pipe("cues")
    texts = demo_texts(60) + EDGE_TEXTS
    texts += [" ".join(texts[i : i + 3]) for i in range(0, 60, 3)]  # longer docs, matches far from both ends
    calls = 0
    for doc in nlp.pipe(texts, disable=["cues", "skills", "reasons"]):
        lowers = doc.to_array(LOWER).tolist()
        spread = _first_and_last(lowers)
        assert all(
            lowers[a] == w == lowers[b] and w not in lowers[:a] + lowers[b + 1 :] for w, (a, b) in spread.items()
        )
        for _, matcher, lead, most in cues._guarded:  # every pattern, whether or not its words are present
            assert sorted(cues._run(matcher, doc, spread, lead, most)) == sorted(matcher(doc))
            calls += 1
    assert calls > 1000


def test_saved_pipeline_round_trips(blank_nlp, tmp_path):
    import spacy

    from analyser import components  # noqa: F401

    blank_nlp.to_disk(tmp_path)
    loaded = spacy.load(tmp_path)
    assert loaded.get_pipe("skills").patterns == blank_nlp.get_pipe("skills").patterns
    text = "Whose skills more closely match. We need Go, Python and SQL."
    assert spans_of(loaded, [text]) == spans_of(blank_nlp, [text])


def test_span_matcher_reads_what_a_span_ruler_saved(blank_nlp, tmp_path):
    from analyser.components.span_matcher import SpanMatcher
    from analyser.pipeline import build_pipeline, use_matchers

    rulers = use_matchers(build_pipeline(with_classifier=False), "span_ruler")
    rulers.get_pipe("skills").to_disk(tmp_path)
    assert (tmp_path / "patterns").exists()
    matcher = SpanMatcher(blank_nlp, "skills", spans_key="skills").from_disk(tmp_path)
    assert matcher.patterns == blank_nlp.get_pipe("skills").patterns


def test_recycle_pipeline_loads_a_fresh_one_and_memory_stays_flat(nlp, monkeypatch):
    from analyser import pipeline
    from analyser.analysis import analyse_many
    from analyser.config import MODEL_DIR

    monkeypatch.setattr(pipeline, "_served", {})
    loaded, sizes = [], []
    for k in range(6):  # 30 texts with new words each time, a fresh pipeline every 60 texts
        texts = [f"Dear Zq{k}x{i}, we chose someone with more Wq{k}y{i} experience." for i in range(30)]
        list(analyse_many(texts))
        loaded.append(pipeline.load_pipeline(MODEL_DIR))  # the one analyse_many used
        sizes.append(len(loaded[-1].vocab.strings))
        assert pipeline.recycle_pipeline(30, every=60) == (k % 2 == 1)
    assert loaded[0] is loaded[1] and loaded[2] is loaded[3] and loaded[1] is not loaded[2] is not loaded[4]
    assert "Zq0x0" not in loaded[2].vocab.strings and "Zq2x0" in loaded[2].vocab.strings
    assert sizes[2] == sizes[4] and sizes[3] == sizes[5]  # each fresh pipeline holds only its own texts' words


@pytest.mark.slow
def test_fast_path_gives_the_full_paths_results(reference_nlp, monkeypatch):
    from analyser import analysis

    texts = demo_texts(300) + EDGE_TEXTS
    fast = list(analysis.analyse_many(texts, highlights=False))
    monkeypatch.setattr(analysis, "load_pipeline", lambda path: reference_nlp)
    full = list(analysis.analyse_many(texts))
    assert len(fast) == len(full) == len(texts)
    n_reasons = n_highlights = 0
    for a, b in zip(fast, full):
        if isinstance(b, analysis.InputError):
            assert str(a) == str(b)
            continue
        assert a.scores == b.scores  # exactly
        assert a.reasons == b.reasons and a.signals == b.signals and a.stage == b.stage
        assert dataclasses.replace(a, highlights=[]) == dataclasses.replace(b, highlights=[])
        assert not a.highlights
        n_reasons += len(b.reasons)
        n_highlights += len(b.highlights)
    assert n_reasons > 300 and n_highlights > 300


def test_featurise_reads_the_token_arrays_as_the_span_functions_do(nlp):
    from analyser.features import _DocTokens, _span_features
    from analyser.text_cleaning import clean

    texts = demo_texts(120) + [t for t in EDGE_TEXTS if t.strip()]
    texts += ["While your SQL impressed us, we need more Python; however , whilst - although 3 http://a.b x@y.com"]
    docs = list(nlp.pipe([clean(t).text for t in texts], disable=["reasons"]))
    for doc in docs:
        assert _DocTokens(doc).features() == _span_features(doc)  # features, clause features and texts


def _token_segmenter_starts(doc) -> list[int]:
    """Sentence starts by the segmenter's rules read through Token objects (its definition before it read arrays)."""
    enders, bullets = frozenset(".!?:;"), frozenset("-*•–·")
    out, last, prev, newlines = [0], None, None, 0
    for tok in doc:
        if tok.is_space:
            newlines += tok.text.count("\n")
        else:
            if last is not None:
                if last.text[-1] in enders and (last.is_punct or last.text in {"?", "!"}) and not prev.like_num:
                    start = tok.is_title or tok.is_upper or tok.text[0] in bullets or newlines > 0 or not tok.is_alpha
                else:
                    start = newlines >= 2 or (newlines == 1 and (not tok.is_lower or tok.text[0] in bullets))
                if start:
                    out.append(tok.i)
            last, newlines = tok, 0
        prev = tok
    return out


def test_segmenter_reading_arrays_keeps_its_rules(blank_nlp):
    from analyser.text_cleaning import clean

    texts = demo_texts(300) + ["Hi.\n\n- one\n- two", "e.g. this. 3. Next", "Thanks!\nbye", "A  \n  b", "5.\nNext"]
    segment = blank_nlp.get_pipe("analyser_segmenter")
    for text in texts:
        doc = segment(blank_nlp.make_doc(clean(text).text))
        assert [t.i for t in doc if t.is_sent_start] == _token_segmenter_starts(doc)


def test_sentence_bounds_are_those_of_span_sent(nlp):
    from analyser.signals import sentence_bounds, sentence_starts
    from analyser.text_cleaning import clean

    # a cue across a sentence boundary ("unable ... \n\nFeedback") belongs to its first sentence, as in Span.sent
    texts = demo_texts(150) + ["We are unable to say more\n\nFeedback is given by the panel only. Thanks", "Thanks"]
    n = 0
    for doc in nlp.pipe([clean(t).text for t in texts], disable=["reasons"]):
        starts = sentence_starts(doc)
        for cue in doc.spans["cues"]:
            assert sentence_bounds(cue, starts) == (cue.sent.start, cue.sent.end)
            n += 1
    assert n > 1000


def test_words_read_in_a_memory_zone_are_not_remembered(blank_nlp):
    from analyser.components import words

    for name in ("Vrelkintosh", "Quorbanaxi"):
        with blank_nlp.memory_zone():
            doc = blank_nlp.make_doc(f"Dear {name}, thank you.")
            assert [w.text for w in words.doc_words(doc)] == ["Dear", name, ",", "thank", "you", "."]
    assert not {"Vrelkintosh", "Quorbanaxi"} & {w.text for w in words._known.get("en", {}).values()}
    doc = blank_nlp.make_doc("Dear Vrelkintosh")
    assert words.doc_words(doc)[1].is_title and "Vrelkintosh" in {w.text for w in words._known["en"].values()}


def test_sentence_vector_sums_are_reduceats_bit_for_bit():
    import numpy as np

    from analyser.embeddings import _pairwise_matches_numpy, segment_sums

    rng = np.random.default_rng(3)
    matrix = rng.standard_normal((500, 256)).astype(np.float32)
    lengths = np.concatenate([np.arange(1, 700), rng.integers(1, 80, 2000)]).astype(np.int64)
    ids = rng.integers(0, 500, int(lengths.sum()))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    assert _pairwise_matches_numpy()  # the fast sums are in use with this numpy
    assert np.array_equal(segment_sums(matrix, ids, lengths), np.add.reduceat(matrix[ids], starts, axis=0))


def test_batch_scores_are_doc_scores_bit_for_bit(nlp):
    from analyser.features import featurise
    from analyser.text_cleaning import clean

    clf = nlp.get_pipe("reasons")
    texts = demo_texts(200) + [t for t in EDGE_TEXTS if t.strip()] + ["Thanks", "x\n\ny"]
    docs = list(nlp.pipe([clean(t).text for t in texts], disable=["reasons"]))
    fs = featurise(docs, clf.embedder)
    batch = clf.batch_scores(fs)
    assert sum(len(f.sentences) for f in fs) > 1000 and sum(bool(p) for f in fs for p in f.clauses) > 50
    for f, probs in zip(fs, batch):
        assert probs.dtype == np.float32 and probs.tobytes() == clf.doc_scores(f).tobytes()
    assert clf.batch_scores([]) == []
    for k in (1, 7):  # the same scores whatever the batch
        assert [p.tobytes() for p in clf.batch_scores(fs[k : k + 5])] == [p.tobytes() for p in batch[k : k + 5]]


def test_sparse_logits_sum_in_sorted_order_as_numpy_does():
    from analyser.components.reasons import ReasonClassifier

    rng = np.random.default_rng(5)
    vocab = {f"f{i}": i for i in range(300)}
    clf = ReasonClassifier(None, "reasons")
    clf.set_weights(["a", "b", "strength:a"], vocab, rng.standard_normal((300, 3)), rng.standard_normal(3))
    rows = [[f"f{i}" for i in rng.integers(0, 330, n)] for n in [0, 1, 2, 9, 40, 300, 1200, 3]] + [["unknown"]]
    got = clf.sparse_logits(rows)
    for row, feats in zip(got, rows):
        idx = sorted({vocab[f] for f in feats if f in vocab})
        want = clf.intercept_.astype(np.float64)
        if idx:
            want = want + clf.coef_[idx].sum(axis=0, dtype=np.float64) / np.sqrt(len(idx))
        assert row.tobytes() == want.tobytes()


def test_a_recycled_pipeline_is_freed_though_it_was_frozen(monkeypatch):
    import gc
    import weakref

    from analyser import pipeline
    from analyser.analysis import analyse_many
    from analyser.config import MODEL_DIR

    monkeypatch.setattr(pipeline, "_served", {})
    monkeypatch.setattr(pipeline, "_may_freeze", True)  # as in a batch process
    pipeline.load_pipeline.cache_clear()
    list(analyse_many(["We chose someone with more experience."]))
    old = weakref.ref(pipeline.load_pipeline(MODEL_DIR))
    pipeline.freeze_loaded()
    try:
        assert pipeline.recycle_pipeline(1, every=1)
        assert old() is None  # freed at the recycle, not frozen again with the next pipeline
    finally:
        if pipeline._frozen:
            gc.unfreeze()
            pipeline._frozen = False
