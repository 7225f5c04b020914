"""Dense sentence vectors from WordLlama's static token embeddings, shipped inside the `wordllama` wheel.

The words a classifier has seen in training are few; real feedback says the same things in other words. Averaged
static token embeddings (256 dimensions, derived from Llama 2's token embeddings; see models/README.md for the
licence) give every sentence a position in a space where "more seasoned applicants" sits near "more experienced
candidates". Loaded from the installed package's own folder with downloads disabled: nothing touches the network.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np

CONFIG = "l2_supercat"
DIM = 256


class EmbeddingsMissing(RuntimeError):
    """The wordllama package (which carries the embedding weights) is not installed."""


def package_dir() -> Path:
    spec = importlib.util.find_spec("wordllama")
    if spec is None or spec.origin is None:
        raise EmbeddingsMissing("the 'wordllama' package is not installed: pip install wordllama")
    return Path(spec.origin).parent


@lru_cache(maxsize=1)
def _load():
    """The tokenizer and the unit-normalised float32 embedding matrix, read from the package folder only."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    root = package_dir()
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / f"{CONFIG}_tokenizer_config.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    weights = load_file(str(root / "weights" / f"{CONFIG}_{DIM}.safetensors"))["embedding.weight"]
    return tokenizer, np.ascontiguousarray(weights, dtype=np.float32)


def embed(texts: list[str]) -> np.ndarray:
    """Mean token embedding of each text, L2-normalised (n_texts x DIM float32; zeros for a text with no tokens)."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    if not texts:
        return out
    tokenizer, weights = _load()
    encodings = tokenizer.encode_batch(texts, add_special_tokens=False)
    lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
    filled = np.flatnonzero(lengths)
    if not len(filled):
        return out
    ids = np.concatenate([np.asarray(encodings[i].ids, dtype=np.int64) for i in filled])
    starts = np.concatenate([[0], np.cumsum(lengths[filled])[:-1]])
    out[filled] = np.add.reduceat(weights[ids], starts, axis=0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out
