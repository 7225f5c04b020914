"""Is this text English? A cheap function-word check first; the statistical identifier only when that fails."""

from __future__ import annotations

import re
import threading
import tomllib
from functools import lru_cache

from .config import DATA_DIR

SAMPLE_CHARS = 2000  # enough words to tell; long texts are not read to the end
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LOADING = threading.Lock()  # the identifier is loaded once, by whichever thread asks first; the other waits


@lru_cache(maxsize=1)
def _settings() -> tuple[frozenset[str], float, int]:
    with open(DATA_DIR / "language.toml", "rb") as fh:
        raw = tomllib.load(fh)
    return frozenset(raw["function_words"]), float(raw["min_share"]), int(raw["min_words"])


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language; 'en' for texts too short to tell."""
    words, min_share, min_words = _settings()
    sample = text[:SAMPLE_CHARS]
    # an ASCII text lower-cased first has the same words, lower-cased (one lower() instead of one per word)
    tokens = _WORD.findall(sample.lower()) if sample.isascii() else [w.lower() for w in _WORD.findall(sample)]
    if len(tokens) < min_words:
        return "en"
    if sum(map(words.__contains__, tokens)) / len(tokens) >= min_share:
        return "en"
    return _classify(text[:5000])


def _classify(text: str) -> str:
    import py3langid  # loads its model (about 0.5 s): only for texts that fail the cheap check

    with _LOADING:
        return py3langid.classify(text)[0]


def preload() -> None:
    """Start loading the statistical identifier in a background thread (once per process), for a batch.

    Most of its 0.5-0.6 s load is LZMA decompression, which runs without the GIL: it overlaps with loading the
    pipeline and the first texts instead of stalling the first text that fails the cheap check.
    """
    from .background import start_once

    start_once("langid-preload", lambda: _classify(""))
