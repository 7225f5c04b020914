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


SKILL_KINDS = ("tool", "spoken_language", "qualification", "soft_skill", "domain")


def skill_kinds(path: Path = SKILLS_PATH) -> dict[str, str]:
    """Category -> kind of skill (one of SKILL_KINDS); ValueError naming every category without a valid kind."""
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    kinds, problems = {}, []
    for category, spec in raw["categories"].items():
        kind = spec.get("kind")
        if kind not in SKILL_KINDS:
            problems.append(f"categories.{category}: kind {kind!r} is not one of {', '.join(SKILL_KINDS)}")
        kinds[category] = kind
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return kinds
