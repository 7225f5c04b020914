"""Sentence vectors come from the wordllama wheel's own files, offline, and place paraphrases near each other."""

import socket

import numpy as np
import pytest

from analyser import embeddings


def test_vectors_are_unit_length_and_empty_text_is_zero():
    v = embeddings.embed(["We went with a more experienced candidate.", ""])
    assert v.shape == (2, embeddings.DIM)
    assert np.isclose(np.linalg.norm(v[0]), 1.0, atol=1e-5)
    assert not v[1].any()


def test_a_paraphrase_is_closer_than_an_unrelated_sentence():
    a, b, c = embeddings.embed(
        [
            "We chose applicants with more years in the field.",
            "The successful candidate had more experience.",
            "Please find the parking instructions attached.",
        ]
    )
    assert a @ b > a @ c


def test_piece_weights_shrink_common_pieces():
    w = embeddings.sif_weights(["the team and the role and the candidate"] * 5 + ["Kubernetes"])
    tokenizer = embeddings._load()
    the = tokenizer.encode("the", add_special_tokens=False).ids[0]
    kube = tokenizer.encode("Kubernetes", add_special_tokens=False).ids[0]
    assert w[the] < w[kube] <= 1.0


def test_loading_touches_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    embeddings._load.cache_clear()
    try:
        assert embeddings.embed(["Your CV will be kept on file."]).any()
    finally:
        embeddings._load.cache_clear()


def test_a_missing_package_is_named(monkeypatch):
    monkeypatch.setattr(embeddings.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(embeddings.EmbeddingsMissing, match="pip install wordllama"):
        embeddings.package_dir()


def test_fast_encoding_gives_the_same_token_ids():
    from analyser.embeddings import _load
    from analyser.text_cleaning import clean

    tokenizer = _load()
    if not hasattr(tokenizer, "encode_batch_fast"):
        pytest.skip("this tokenizers version has no encode_batch_fast (Embedder uses encode_batch)")
    texts = [
        "",
        " ",
        "naïve café — “quoted” 😀",
        "日本語のテキスト",
        "e\u0301 İstanbul ß ﬁ \u200b",
        "Tab\tand\nnewline",
    ]
    texts += [clean(t).text for t in ["We need more SQL. Thanks!", "x" * 3000, "a  b   c\r\n\r\nd"]]
    slow = [e.ids for e in tokenizer.encode_batch(texts, add_special_tokens=False)]
    assert [e.ids for e in tokenizer.encode_batch_fast(texts, add_special_tokens=False)] == slow


def test_a_repeated_text_gets_the_vector_it_gets_alone():
    texts = ["Best wishes,\n", "We need more SQL.", "", "Best wishes,\n", "x", "We need more SQL."]
    together = embeddings.embed(texts)
    alone = np.vstack([embeddings.embed([t]) for t in texts])
    assert together.dtype == np.float32 and together.tobytes() == alone.tobytes()


def test_the_table_is_mapped_read_only_and_made_once_per_set_of_weights():
    """One float32 table per process for each set of piece weights (a recycled pipeline's Embedder shares it), equal
    bit for bit to the library's reader converted to float32, and read-only, so no Embedder can change another's."""
    from safetensors.numpy import load_file

    raw = embeddings.raw_table()
    assert isinstance(raw, np.memmap) and not raw.flags.writeable
    path = embeddings.package_dir() / "weights" / f"{embeddings.CONFIG}_{embeddings.DIM}.safetensors"
    library = np.asarray(load_file(str(path))["embedding.weight"], dtype=np.float32)
    weights = np.random.default_rng(0).random(library.shape[0]).astype(np.float32)
    a, b = embeddings.Embedder(weights), embeddings.Embedder(weights.copy())
    assert a.matrix is b.matrix and not a.matrix.flags.writeable
    assert a.matrix.tobytes() == (library * weights[:, None]).tobytes()
    assert embeddings.Embedder().matrix.tobytes() == library.tobytes()
    with pytest.raises(ValueError):
        a.matrix[0, 0] = 1.0
