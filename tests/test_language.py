"""The statistical language identifier is py3langid's own, over its model's arrays mapped read-only from a cache."""

import random
from pathlib import Path

import numpy as np
import pytest

from analyser import language


def _texts():
    rng = random.Random(0)
    letters = (
        "abcdefghijklmnopqrstuvwxyzäöüßéèàçñąęłśżźćńó αβγδεζηθ абвгдежзий 日本語中文한국어 ไทย عربى हिन्दी.,!?0123\n"
    )
    texts = [
        "We went with a more experienced candidate.",
        "Gracias por su interés, elegimos a otro candidato.",
        "Wir haben uns für einen anderen Bewerber entschieden.",
        "Merci pour votre candidature.",
        "",
        "ABC DEF",
    ]
    return texts + ["".join(rng.choice(letters) for _ in range(rng.randint(0, 200))) for _ in range(400)]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ANALYSER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_mapped_identifier_gives_the_library_s_answers(cache):
    from py3langid.langid import _get_identifier

    mapped, library = language.mapped_identifier(), _get_identifier()
    assert mapped is not None and mapped is not library
    assert [mapped.classify(t) for t in _texts()] == [library.classify(t) for t in _texts()]


def test_its_arrays_are_mapped_read_only_and_the_cache_is_reused(cache, monkeypatch):
    first = language.mapped_identifier()
    assert first is not None and list(cache.glob("langid-*/ptc.npy"))
    assert isinstance(first.nb_ptc.base, np.memmap) and not first.nb_ptc.flags.writeable
    assert first.tk_nextmove.readonly and first.tk_output.readonly and first._rowbase.readonly

    import py3langid.modelio

    def refuse(path):
        raise AssertionError("the model was decompressed again")

    monkeypatch.setattr(py3langid.modelio, "load_model", refuse)
    again = language.mapped_identifier()
    assert again is not None and again.classify("Danke für Ihre Bewerbung.") == first.classify(
        "Danke für Ihre Bewerbung."
    )


def test_an_unwritable_cache_falls_back_to_the_library(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ANALYSER_CACHE_DIR", str(blocker / "cache"))
    assert language.mapped_identifier() is None
    monkeypatch.setattr(language, "_IDENTIFIER", [])
    assert language.detect_language("Gracias por su interés en el puesto, pero hemos elegido a otro candidato.") == "es"


def test_no_home_folder_falls_back_to_the_library(monkeypatch):
    monkeypatch.delenv("ANALYSER_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert language.mapped_identifier() is None
