"""Build the spaCy pipeline from data/, and load the shipped one (once per process)."""

from __future__ import annotations

import gc
from functools import lru_cache
from pathlib import Path

from .config import MODEL_DIR

# The cue and skill matchers: SpanRuler's output, faster (analyser.components.span_matcher). Models saved before it
# name "span_ruler"; load_pipeline swaps those for it, with the same patterns.
MATCHER_FACTORY = "analyser_span_matcher"
MATCHER_FACTORIES = ("span_ruler", MATCHER_FACTORY)
# Texts a loaded pipeline serves before recycle_pipeline lets it go (a load costs about 1-2 s; see recycle_pipeline).
RELOAD_EVERY = 20_000
_served: dict[Path, int] = {}
_frozen = False
_may_freeze = False  # only in a process the analyser owns (see allow_freezing)


def build_pipeline(*, with_classifier: bool = True):
    """A fresh pipeline: tokenizer, email-aware sentence splitter, cue and skill matchers, reason classifier."""
    import spacy

    from . import components  # noqa: F401  (registers the factories)
    from .lexicons import cue_patterns, skill_patterns

    nlp = spacy.blank("en")
    # "a PhD." / "FP&A.": split the full stop after a token ending in a capital, as for other words.
    suffixes = [*nlp.Defaults.suffixes, r"(?<=[a-z0-9&][A-Z])\."]
    nlp.tokenizer.suffix_search = spacy.util.compile_suffix_regex(suffixes).search
    nlp.add_pipe("analyser_segmenter")
    for name, patterns in (("cues", cue_patterns()), ("skills", skill_patterns())):
        matcher = nlp.add_pipe(
            MATCHER_FACTORY, name=name, config={"spans_key": name, "phrase_matcher_attr": "LOWER", "validate": True}
        )
        matcher.add_patterns(patterns)
    if with_classifier:
        nlp.add_pipe("analyser_reasons", name="reasons")
    return nlp


@lru_cache(maxsize=2)
def load_pipeline(path: Path = MODEL_DIR):
    """The trained pipeline saved at `path`; a clear error when it is missing."""
    import spacy

    from . import components  # noqa: F401

    return use_matchers(spacy.load(require_model(path)), MATCHER_FACTORY)


def recycle_pipeline(texts: int, path: Path = MODEL_DIR, *, every: int = RELOAD_EVERY) -> bool:
    """Count `texts` more texts analysed with the pipeline at `path`; once `every` have gone through it, drop the
    loaded pipelines so that the next load_pipeline() loads a fresh one. True when it dropped them.

    Every new word (names, typos, rare terms) stays in a pipeline's vocabulary for its life, so a long batch grows
    without bound. A memory_zone per chunk frees them but makes tokenizing ~1.36x slower (each zone rebuilds the words
    it uses); a fresh pipeline every ~20k texts keeps memory flat for a load's cost (1-2 s).
    """
    global _frozen
    path = Path(path)
    _served[path] = _served.get(path, 0) + texts
    if _served[path] < every:
        return False
    _served.clear()
    load_pipeline.cache_clear()
    if _frozen:  # the dropped pipeline's objects go back to the collector, to be freed with it
        gc.unfreeze()
        _frozen = False
    gc.collect()  # freed now, before the next task loads a new pipeline beside it
    return True


def allow_freezing() -> None:
    """Let freeze_loaded act in this process: the batch command's process and its pool workers call it. A library
    caller's process (a notebook using analyse_frame) is never frozen: its own objects would leave the collector too."""
    global _may_freeze
    _may_freeze = True


def freeze_loaded() -> None:
    """Move every object alive now (the loaded pipeline, its vocabulary, patterns, feature vocabulary, word caches)
    out of the cyclic garbage collector's reach, once per loaded pipeline (a batch calls it after its first task).

    They live as long as the pipeline, yet each full collection walked all of them: 0.29 s of 6.2 s on 3,000 texts,
    0.02 s frozen. Objects freed by reference counting are freed as before; recycle_pipeline unfreezes them all.
    A full collection runs first, so that no garbage (of the load, of the first task) is frozen with the living:
    frozen, it would never be freed. recycle_pipeline collects the dropped pipeline itself; before it did, that
    pipeline was frozen with the new one (each worker grew 465 -> 576 MB from 15k to 50k texts).
    """
    global _frozen
    if _may_freeze and not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


def use_matchers(nlp, factory: str = MATCHER_FACTORY):
    """`nlp` with each span-writing matcher (SpanRuler or SpanMatcher) replaced by `factory`, same key and patterns.

    Both write the same doc.spans; "span_ruler" gives the reference pipeline the fast one is tested against.
    """
    if factory not in MATCHER_FACTORIES:
        raise ValueError(f"unknown matcher factory '{factory}' (valid: {', '.join(MATCHER_FACTORIES)})")
    for name in list(nlp.pipe_names):
        old = nlp.get_pipe(name)
        if nlp.get_pipe_meta(name).factory == factory or not _swappable(old):
            continue
        config = {"spans_key": old.spans_key, "phrase_matcher_attr": old.phrase_matcher_attr, "validate": old.validate}
        patterns = old.patterns
        nlp.replace_pipe(name, factory, config=config).add_patterns(patterns)
    return nlp


def _swappable(pipe) -> bool:
    from spacy.pipeline import SpanRuler

    from .components.span_matcher import SpanMatcher

    if isinstance(pipe, SpanMatcher):
        return True
    # only a ruler that writes doc.spans alone, replacing them, does what SpanMatcher does
    return (
        isinstance(pipe, SpanRuler)
        and bool(pipe.spans_key)
        and not pipe.annotate_ents
        and pipe.overwrite
        and pipe.spans_filter is None
    )


def require_model(path: Path = MODEL_DIR) -> Path:
    """The model directory, or FileNotFoundError saying how to build it."""
    path = Path(path)
    if not (path / "config.cfg").exists():
        raise FileNotFoundError(f"no trained model at {path}; run `analyser train` to build it")
    return path


def model_version(path: Path = MODEL_DIR) -> str:
    """The version recorded with a saved model, without loading it ('' when unknown)."""
    import json

    try:
        return str(json.loads((Path(path) / "meta.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return ""
