"""Read the skills lexicon and the cue patterns from data/ into spaCy SpanRuler patterns."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from .config import PATTERNS_PATH, SKILLS_PATH


def skill_patterns(path: Path = SKILLS_PATH) -> list[dict]:
    """SpanRuler patterns for every skill term: label = category, id = canonical name.

    Ambiguous terms ("Go", "R", "Excel") match only as written (capitalised), the rest case-insensitively.
    """
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    aliases = {k.lower(): v for k, v in raw.get("aliases", {}).items()}
    canon_category: dict[str, str] = {}
    patterns = []
    for category, spec in raw["categories"].items():
        for term in spec.get("terms", []):
            canon_category.setdefault(term.lower(), category)
            patterns.append({"label": category, "pattern": term, "id": term})
        for term in spec.get("ambiguous", []):
            canon_category.setdefault(term.lower(), category)
            words = term.split()
            # "Go ahead and apply": an ambiguous term opening a sentence is an ordinary word.
            pattern = [{"ORTH": words[0], "IS_SENT_START": False}] + [{"ORTH": t} for t in words[1:]]
            patterns.append({"label": category, "pattern": pattern, "id": term})
    for alias, canonical in aliases.items():
        category = canon_category.get(canonical.lower(), "tools")
        patterns.append({"label": category, "pattern": alias, "id": canonical})
    return patterns


def cue_patterns(path: Path = PATTERNS_PATH) -> list[dict]:
    """Cue patterns (reason constructions, praise, negation, signals, stage) in spaCy's SpanRuler format."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
