"""Read feedback from files: plain text in any common encoding, HTML, or a saved email (.eml)."""

from __future__ import annotations

from pathlib import Path

from .text_cleaning import eml_to_text


class UnreadableInput(ValueError):
    """A file that cannot be read as feedback; the message says why in one line."""


def decode_bytes(raw: bytes) -> str:
    """Text from bytes: UTF-8 (with or without BOM) first, else the encoding charset-normalizer detects."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise UnreadableInput("the file is not text in any encoding we recognise")
    return str(best)


def read_feedback_file(path: Path) -> str:
    """The feedback text of a .txt, .html or .eml file (HTML is converted later, by cleaning)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableInput(f"{path} looks like a binary file, not text or email")
    if path.suffix.lower() == ".eml":
        try:
            return eml_to_text(raw)
        except ValueError as exc:
            raise UnreadableInput(f"{path}: {exc}") from None
    return decode_bytes(raw)
