"""Paths and defaults, defined once."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJ_ROOT = PACKAGE_DIR.parent
# In a checkout (an editable install, or run from the clone) the top-level data/ and models/ are the source of truth
# and `analyser train` writes models/ there. A wheel carries copies of what the runtime reads (data/'s own files, not
# its sub-folders, and models/) under analyser/_bundled/, put there by setup.py at build time, so an installed package
# works from any folder. ANALYSER_DATA_DIR / ANALYSER_MODELS_DIR let a careers service point elsewhere.
BUNDLED_DIR = PACKAGE_DIR / "_bundled"
IN_CHECKOUT = (PROJ_ROOT / "pyproject.toml").is_file() and (PROJ_ROOT / "data").is_dir()
_BASE = PROJ_ROOT if IN_CHECKOUT else BUNDLED_DIR
DATA_DIR = Path(os.environ.get("ANALYSER_DATA_DIR") or _BASE / "data")
MODELS_DIR = Path(os.environ.get("ANALYSER_MODELS_DIR") or _BASE / "models")
MODEL_DIR = MODELS_DIR / "reasons"
LABELLED_DIR = DATA_DIR / "labelled"
# Real, labelled feedback for evaluation only (never trained on), beside the checkout when present.
REAL_DEV_DIR = PROJ_ROOT.parent / "shared" / "real-dev"

TAXONOMY_PATH = DATA_DIR / "taxonomy.toml"
SKILLS_PATH = DATA_DIR / "skills.toml"
ACTIONS_PATH = DATA_DIR / "actions.toml"
PATTERNS_PATH = DATA_DIR / "patterns.jsonl"


def cache_dir() -> Path:
    """Where files derived from installed packages are kept between runs (ANALYSER_CACHE_DIR, else the user's cache
    folder): they are made again whenever they are missing, so the folder can be deleted at any time."""
    if os.environ.get("ANALYSER_CACHE_DIR"):
        return Path(os.environ["ANALYSER_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "analyser"


MAX_CHARS = 100_000
SEED = 0
