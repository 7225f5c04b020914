"""Build the spaCy pipeline from data/, and load the shipped one (once per process)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .config import MODEL_DIR


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
    cues = nlp.add_pipe(
        "span_ruler", name="cues", config={"spans_key": "cues", "phrase_matcher_attr": "LOWER", "validate": True}
    )
    cues.add_patterns(cue_patterns())
    skills = nlp.add_pipe(
        "span_ruler", name="skills", config={"spans_key": "skills", "phrase_matcher_attr": "LOWER", "validate": True}
    )
    skills.add_patterns(skill_patterns())
    if with_classifier:
        nlp.add_pipe("analyser_reasons", name="reasons")
    return nlp


@lru_cache(maxsize=2)
def load_pipeline(path: Path = MODEL_DIR):
    """The trained pipeline saved at `path`; a clear error when it is missing."""
    import spacy

    from . import components  # noqa: F401

    return spacy.load(require_model(path))


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
