"""Custom spaCy components. Importing this package registers their factories, so a saved pipeline loads."""

from . import reasons, segmenter, span_matcher  # noqa: F401
