"""Data files a user may point at (an action catalogue, follow-up templates): read, validated, refused whole."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path


def load_checked_toml(
    path: Path, what: str, validate: Callable[[dict, str], list[str]], error: type[ValueError]
) -> dict:
    """The parsed TOML at `path`; `error` saying it is missing, not TOML, or listing every problem `validate` finds."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc})") from None
    problems = validate(raw, str(path))
    if problems:
        raise error(f"invalid {what}:\n  " + "\n  ".join(problems))
    return raw
