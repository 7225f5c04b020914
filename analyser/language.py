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
    with _LOADING:
        return _identifier().classify(text)[0]


_IDENTIFIER: list = []  # the loaded identifier, once per process
_ARRAYS = ("ptc", "pc", "nextmove", "rowbase", "output")


def _identifier():
    if not _IDENTIFIER:
        _IDENTIFIER.append(mapped_identifier() or _own_identifier())
    return _IDENTIFIER[0]


def _own_identifier():
    """py3langid's identifier as the library loads it (about 76 MB: its model decompressed into memory)."""
    from py3langid.langid import _get_identifier

    return _get_identifier()


def mapped_identifier():
    """py3langid's identifier over its own model's arrays, memory-mapped read-only from a copy in the cache folder
    (made from the library's model file the first time, and again whenever that file changes); None when the cache
    cannot be written or read, and then the library loads its model itself.

    The library decompresses its model into about 76 MB of each process (a 39 MB state table, a 28 MB float16
    table and lists of Python ints), while a text reads a few of their rows: mapped, only the pages a text reads are
    in the process's memory, shared by every process, and a load takes milliseconds instead of 0.5 s. The arrays are
    the model's own values and the library's code classifies, so every answer is the same.
    """
    import hashlib
    import json

    import numpy as np
    from py3langid import langid

    from .config import cache_dir

    model = langid.MODEL_DIR / langid.MODEL_FILE
    try:
        digest = hashlib.sha256(model.read_bytes()).hexdigest()[:16]
        folder = cache_dir() / f"langid-{digest}"
        if not (folder / "classes.json").is_file():
            _write_cache(model, folder)
        arrays = {name: _mapped(folder / f"{name}.npy") for name in _ARRAYS}
        classes = json.loads((folder / "classes.json").read_text(encoding="utf-8"))
        ptc, pc = arrays["ptc"].view(np.ndarray), np.array(arrays["pc"])
        if ptc.ndim != 2 or ptc.shape[1] != len(classes) or pc.shape != (len(classes),):
            return None
        if arrays["rowbase"].shape != arrays["output"].shape:
            return None
        identifier = langid.LanguageIdentifier(
            ptc, pc, classes, memoryview(arrays["nextmove"]), memoryview(arrays["output"]), tk_row=()
        )
    except (OSError, ValueError, KeyError, TypeError, RuntimeError):  # RuntimeError: no home folder
        return None
    identifier._rowbase = memoryview(arrays["rowbase"])  # what the library makes from tk_row, mapped too
    return identifier


def _mapped(path):
    """A read-only memory map of the .npy file at `path`, read page by page: a text reads scattered rows, and without
    MADV_RANDOM the kernel reads ahead (and maps) around each one."""
    import mmap

    import numpy as np

    array = np.load(path, mmap_mode="r")
    advise = getattr(getattr(array, "_mmap", None), "madvise", None)
    if advise is not None and hasattr(mmap, "MADV_RANDOM"):
        advise(mmap.MADV_RANDOM)
    return array


def _save(path: str, array) -> None:
    """np.save, then the file's pages are flushed and dropped from the page cache (Linux), so that the processes which
    map it later read only the pages they use: pages left by the write are large folios, and a process touching one
    byte of one of them has all of it counted in its resident memory."""
    import os

    import numpy as np

    with open(path, "wb") as fh:
        np.save(fh, array)
        fh.flush()
        os.fsync(fh.fileno())
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def _write_cache(model, folder) -> None:
    """The model's arrays as .npy files in `folder`, written beside it and renamed into place whole."""
    import json
    import os
    import shutil
    import tempfile

    import numpy as np
    from py3langid.modelio import load_model

    ptc, pc, classes, nextmove, row, output = load_model(model)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-")
    try:
        _save(f"{tmp}/ptc.npy", np.asarray(ptc))
        _save(f"{tmp}/pc.npy", np.asarray(pc))
        _save(f"{tmp}/nextmove.npy", np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}"))
        # the library keeps each state's row offset shifted by 8 bits (a row per byte value)
        _save(f"{tmp}/rowbase.npy", np.frombuffer(row, dtype=f"u{row.itemsize}").astype(np.int64) << 8)
        _save(f"{tmp}/output.npy", np.asarray(output, dtype=np.int64))
        with open(f"{tmp}/classes.json", "w", encoding="utf-8") as fh:
            json.dump(list(classes), fh)
        try:
            os.rename(tmp, folder)
        except OSError:  # another process put its copy there first
            if not (folder / "classes.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def preload() -> None:
    """Start loading the statistical identifier in a background thread (once per process), for a batch.

    Mapped from the cache folder it loads in milliseconds; the first time (and after py3langid changes) most of its
    0.5-0.6 s load is LZMA decompression, which runs without the GIL: it overlaps with loading the pipeline and the
    first texts instead of stalling the first text that fails the cheap check.
    """
    from .background import start_once

    start_once("langid-preload", lambda: _classify(""))
