"""Paths and defaults, defined once."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJ_ROOT = PACKAGE_DIR.parent
# Data ships inside the package directory tree when installed from a clone (editable install);
# ANALYSER_DATA_DIR / ANALYSER_MODEL_DIR let a careers service point elsewhere.
DATA_DIR = Path(os.environ.get("ANALYSER_DATA_DIR", PROJ_ROOT / "data"))
MODELS_DIR = Path(os.environ.get("ANALYSER_MODELS_DIR", PROJ_ROOT / "models"))
MODEL_DIR = MODELS_DIR / "reasons"
LABELLED_DIR = DATA_DIR / "labelled"

TAXONOMY_PATH = DATA_DIR / "taxonomy.toml"
SKILLS_PATH = DATA_DIR / "skills.toml"
ACTIONS_PATH = DATA_DIR / "actions.toml"
PATTERNS_PATH = DATA_DIR / "patterns.jsonl"

MAX_CHARS = 100_000
SEED = 0
