"""Reason names, definitions, strength aspects, stages and signals, read from data/taxonomy.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .config import TAXONOMY_PATH


@dataclass(frozen=True)
class Reason:
    name: str
    label: str
    definition: str
    examples: tuple[str, ...]
    exclusive: bool = False


@dataclass(frozen=True)
class Taxonomy:
    reasons: tuple[Reason, ...]
    strength_aspects: tuple[str, ...]
    stages: tuple[str, ...]
    signals: tuple[str, ...]

    @property
    def reason_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.reasons)

    @property
    def gap_reasons(self) -> tuple[str, ...]:
        """Reasons that a sentence can show (all but the exclusive 'no reason' label)."""
        return tuple(r.name for r in self.reasons if not r.exclusive)

    @property
    def none_reason(self) -> str:
        return next(r.name for r in self.reasons if r.exclusive)

    def label(self, name: str) -> str:
        return next(r.label for r in self.reasons if r.name == name)


@lru_cache(maxsize=4)
def load_taxonomy(path: Path = TAXONOMY_PATH) -> Taxonomy:
    """Read and check the taxonomy file; raise ValueError naming the problem."""
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    reasons = tuple(
        Reason(
            name=r["name"],
            label=r.get("label", r["name"]),
            definition=r["definition"],
            examples=tuple(r.get("examples", ())),
            exclusive=bool(r.get("exclusive", False)),
        )
        for r in raw["reasons"]
    )
    if sum(r.exclusive for r in reasons) != 1:
        raise ValueError(f"{path}: exactly one reason must be marked exclusive (the 'no reason given' label)")
    return Taxonomy(
        reasons=reasons,
        strength_aspects=tuple(raw["strengths"]["aspects"]),
        stages=tuple(raw["stages"]["names"]),
        signals=tuple(raw["signals"]["names"]),
    )
