"""Dense sentence vectors from WordLlama's static token embeddings, shipped inside the `wordllama` wheel.

The words a classifier has seen in training are few; real feedback says the same things in other words. Averaged
static token embeddings (256 dimensions, derived from Llama 2's token embeddings; see models/README.md for the
licence) give every sentence a position in a space where "more seasoned applicants" sits near "more experienced
candidates". Loaded from the installed package's own folder with downloads disabled: nothing touches the network.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from itertools import chain, islice
from pathlib import Path

import numpy as np

CONFIG = "l2_supercat"
DIM = 256
GATHER_ROWS = 2048  # token rows gathered at once when summing sentence vectors (2 MB)
MAX_WORDS = 100_000  # words whose token ids are remembered (the first seen; later ones are encoded each time)


class EmbeddingsMissing(RuntimeError):
    """The wordllama package (which carries the embedding weights) is not installed."""


def package_dir() -> Path:
    spec = importlib.util.find_spec("wordllama")
    if spec is None or spec.origin is None:
        raise EmbeddingsMissing("the 'wordllama' package is not installed: pip install wordllama")
    return Path(spec.origin).parent


_LOADING = threading.Lock()  # one load, by whichever thread asks first (see preload)


def preload() -> None:
    """Start reading the tokenizer in a background thread (once per process), for a batch: its file read and parsing
    overlap with importing spaCy and loading the pipeline. The embedding table is mapped from its file when the
    first Embedder is made (about 20 ms to make its float32 copy)."""
    from .background import start_once

    start_once("embeddings-preload", _loaded)


def _loaded():
    """_load(), waiting for a load another thread has begun instead of loading again."""
    with _LOADING:
        return _load()


@lru_cache(maxsize=1)
def _load():
    """The tokenizer, read from the package folder only (the embedding table is mapped when an Embedder needs it)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(package_dir() / "tokenizers" / f"{CONFIG}_tokenizer_config.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    _splits_at_spaces(tokenizer)  # checked here, in the preload thread when there is one
    return tokenizer


_SAFETENSORS_DTYPES = {"F16": "<f2", "F32": "<f4"}


def raw_table() -> np.ndarray:
    """The embedding table as the wheel stores it (float16, 32000 x 256), memory-mapped read-only from its file.

    Not kept: an Embedder makes its own float32 table from it once (`weighted_table`), and the mapped pages are
    released with the mapping instead of staying in the process's memory.
    """
    import json
    import struct

    path = package_dir() / "weights" / f"{CONFIG}_{DIM}.safetensors"
    with open(path, "rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        entry = json.loads(fh.read(size))["embedding.weight"]
    dtype = _SAFETENSORS_DTYPES.get(entry["dtype"])
    begin, end = entry["data_offsets"]
    shape = tuple(entry["shape"])
    if dtype is None or len(shape) != 2 or end - begin != shape[0] * shape[1] * np.dtype(dtype).itemsize:
        from safetensors.numpy import load_file  # a layout this reader does not know: the library's own reader

        table = load_file(str(path))["embedding.weight"]
        table.flags.writeable = False
        return table
    return np.memmap(path, dtype=dtype, mode="r", offset=8 + size + begin, shape=shape)


@lru_cache(maxsize=2)
def _weighted(piece_weights: bytes | None) -> np.ndarray:
    table = raw_table().astype(np.float32)  # a float16 table becomes float32 exactly; the mapping is dropped here
    if piece_weights is not None:
        np.multiply(table, np.frombuffer(piece_weights, dtype=np.float32)[:, None], out=table)
    table.flags.writeable = False
    return table


def weighted_table(piece_weights: np.ndarray | None = None) -> np.ndarray:
    """The float32 embedding table with each token's row multiplied by its piece weight, read-only and made once per
    process for each set of weights (a recycled pipeline's Embedder gets the same array, not another 33 MB copy)."""
    key = None if piece_weights is None else np.ascontiguousarray(piece_weights, dtype=np.float32).tobytes()
    return _weighted(key)


class Embedder:
    """Texts to vectors: the mean of their token embeddings, each token weighted, then L2-normalised.

    `piece_weights` (one per token piece, learned with the model: see `sif_weights`) shrink the pieces that occur
    everywhere ("the", "we", "your"), so a sentence's vector is about what it says, not about its function words.
    """

    def __init__(self, piece_weights: np.ndarray | None = None):
        self.tokenizer = _loaded()
        self.matrix = weighted_table(piece_weights)
        self._word_ids: dict[str, list[int]] = {}
        self._opens: np.ndarray | None = None  # by token id: does the token open with "▁"

    def __call__(self, texts: list[str]) -> np.ndarray:
        """n_texts x DIM float32; zeros for a text with no tokens."""
        distinct = dict.fromkeys(texts)
        if len(distinct) < len(texts):  # a line said many times ("Best wishes,") is embedded once: the same vector
            row = {text: i for i, text in enumerate(distinct)}
            return self._embed(list(distinct))[[row[text] for text in texts]]
        return self._embed(texts)

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        groups = self._pieces(texts)  # per text, one or more lists of ids: its ids are them one after the other
        words = list(chain.from_iterable(groups))
        word_lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        ends = np.concatenate([[0], np.cumsum(word_lengths)])
        last = np.cumsum(np.fromiter(map(len, groups), dtype=np.int64, count=len(groups)))  # every group has one
        lengths = ends[last] - ends[np.concatenate([[0], last[:-1]])]
        filled = np.flatnonzero(lengths)
        if not len(filled):
            return out
        ids = np.fromiter(chain.from_iterable(words), dtype=np.int64, count=int(ends[-1]))
        out[filled] = segment_sums(self.matrix, ids, lengths[filled])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def _pieces(self, texts: list[str]) -> list[list[list[int]]]:
        """The token ids of each text, as the ids of its words (each encoded once per process and remembered).

        The tokenizer has no pre-tokenizer: BPE runs over each whole sentence (" " made "▁", one "▁" put in front), so
        its own word cache never hits. No token of the vocabulary has a "▁" after another character (checked when the
        tokenizer loads: `_splits_at_spaces`), so no token crosses a single space, and a text's ids are its words'
        ids one after the other, each word encoded alone ("▁" in front). Texts where that could differ (empty, a
        leading, trailing or doubled space, a "<" that could open a special token) are encoded whole.
        """
        if not _splits_at_spaces(self.tokenizer):
            return [[ids] for ids in self._encode(texts)]
        known = self._word_ids
        split = [None if not t or "<" in t or "  " in t or t[0] == " " or t[-1] == " " else t.split(" ") for t in texts]
        # the words not remembered yet (in no particular order: it only decides which are remembered when it fills)
        new = list(set(chain.from_iterable(words for words in split if words is not None)).difference(known))
        look = known.__getitem__
        if new:
            fresh = dict(zip(new, self._encode_words(new)))
            known.update(islice(fresh.items(), max(0, MAX_WORDS - len(known))))
            if len(fresh) and new[-1] not in known:  # the cache is full: this batch's other words are looked up here
                look = {**fresh, **{w: known[w] for words in split if words is not None for w in words if w in known}}
                look = look.__getitem__
        whole = iter(self._encode([t for t, words in zip(texts, split) if words is None]))
        return [[next(whole)] if words is None else list(map(look, words)) for words in split]

    def _encode_words(self, words: list[str]) -> list[list[int]]:
        """The ids of each word (no spaces, none empty), from one encoding of them all joined by spaces: each word's
        ids begin with its one token that opens with "▁" (one Encoding for all, not one per word: about 3x faster)."""
        if any("▁" in w for w in words):
            return self._encode(words)
        (ids,) = self._encode([" ".join(words)])
        if self._opens is None:
            opens = np.zeros(self.tokenizer.get_vocab_size(), dtype=bool)
            for token, i in self.tokenizer.get_vocab().items():
                opens[i] = token.startswith("▁")
            self._opens = opens
        at = np.flatnonzero(self._opens[ids]).tolist()
        if len(at) != len(words) or at[0] != 0:
            return self._encode(words)
        return [ids[a:b] for a, b in zip(at, [*at[1:], len(ids)])]

    def _encode(self, texts: list[str]) -> list[list[int]]:
        if not texts:
            return []
        # the _fast variant (tokenizers >= 0.20) gives the same ids without tracking character offsets: 2x faster
        encode = getattr(self.tokenizer, "encode_batch_fast", self.tokenizer.encode_batch)
        return [e.ids for e in encode(texts, add_special_tokens=False)]


_WORDWISE: dict[int, bool] = {}


def _splits_at_spaces(tokenizer) -> bool:
    """True when encoding words one by one gives a text's ids: no pre-tokenizer, a normalizer that only puts "▁" in
    front and makes " " "▁", BPE without dropout, and no token with a "▁" after another character."""
    key = id(tokenizer)
    if key not in _WORDWISE:
        import json

        normalizer = json.loads(tokenizer.normalizer.__getstate__()) if tokenizer.normalizer is not None else {}
        steps = normalizer.get("normalizers", [normalizer]) if normalizer.get("type") == "Sequence" else [normalizer]
        model = tokenizer.model
        _WORDWISE[key] = (
            tokenizer.pre_tokenizer is None
            and steps
            == [
                {"type": "Prepend", "prepend": "▁"},
                {"type": "Replace", "pattern": {"String": " "}, "content": "▁"},
            ]
            and type(model).__name__ == "BPE"
            and model.dropout is None
            and model.byte_fallback is True
            and all("▁" not in t.lstrip("▁") for t in tokenizer.get_vocab())
            and all("<" in t.content and " " not in t.content for t in tokenizer.get_added_tokens_decoder().values())
        )
    return _WORDWISE[key]


def segment_sums(matrix: np.ndarray, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The sum of matrix[ids] over consecutive segments of `lengths` (each > 0): np.add.reduceat's values, bit for bit.

    reduceat adds each segment's first row to numpy's pairwise sum of the others, column by column: along strided
    columns, which made it most of the sentence vectors' time. Here the same additions, in the same order, run on whole
    blocks of same-length segments at once (about 6x faster). Checked against reduceat once per process; if numpy
    ever sums otherwise, reduceat is used.
    """
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    if not _pairwise_matches_numpy():
        return np.add.reduceat(matrix[ids], starts, axis=0)
    return _segment_sums(matrix, ids, lengths, starts)


def _segment_sums(matrix, ids, lengths, starts) -> np.ndarray:
    out = np.empty((len(lengths), matrix.shape[1]), dtype=matrix.dtype)
    for m in np.unique(lengths).tolist():
        seg = np.flatnonzero(lengths == m)
        base = starts[seg]
        first = matrix[ids[base]]
        if m == 1:
            out[seg] = first
            continue
        # the other rows of these segments, gathered a block of segments at a time: a few MB that stay in cache and
        # are reused, rather than one large array that is faulted in afresh on every call
        block = max(1, GATHER_ROWS // (m - 1))
        for k in range(0, len(seg), block):
            rest = matrix[ids[base[k : k + block, None] + np.arange(1, m)]]
            out[seg[k : k + block]] = first[k : k + block] + _pairwise(lambda j, rest=rest: rest[:, j], m - 1)
    return out


def _pairwise(row, n: int) -> np.ndarray:
    """numpy's pairwise summation of row(0) ... row(n - 1) (blocks of 8 partial sums up to 128, halves above)."""
    if n < 8:
        res = row(0).copy()
        for i in range(1, n):
            res += row(i)
        return res
    if n <= 128:
        r = [row(j).copy() for j in range(8)]
        end = n - n % 8
        for i in range(8, end, 8):
            for j in range(8):
                r[j] += row(i + j)
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for i in range(end, n):
            res += row(i)
        return res
    half = n // 2
    half -= half % 8
    return _pairwise(row, half) + _pairwise(lambda k: row(half + k), n - half)


@lru_cache(maxsize=1)
def _pairwise_matches_numpy() -> bool:
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((64, 8)).astype(np.float32)
    lengths = np.arange(1, 300, dtype=np.int64)
    ids = rng.integers(0, 64, int(lengths.sum()))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.array_equal(_segment_sums(matrix, ids, lengths, starts), np.add.reduceat(matrix[ids], starts, axis=0))


def sif_weights(texts: list[str], a: float = 1e-3) -> np.ndarray:
    """Smooth inverse frequency a / (a + p(piece)) of each token piece in `texts` (1 for pieces never seen)."""
    tokenizer = _load()
    counts = np.zeros(raw_table().shape[0], dtype=np.float64)
    for e in tokenizer.encode_batch(texts, add_special_tokens=False):
        np.add.at(counts, e.ids, 1)
    p = counts / max(counts.sum(), 1.0)
    return (a / (a + p)).astype(np.float32)


def embed(texts: list[str]) -> np.ndarray:
    """Unweighted mean token embedding of each text, L2-normalised."""
    return Embedder()(texts)
