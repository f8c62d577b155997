"""The language classifier is unpacked once into the data folder and read from there after."""

from __future__ import annotations

from pathlib import Path

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from core import language

TEXTS = [
    "Wie viele Soldaten werden in den kommenden Wochen erwartet?",
    "How many soldiers are expected in the coming weeks?",
    "Combien de soldats sont attendus ?",
    "¿Cuántos soldados se esperan?",
    "Сколько солдат ожидается?",
    "Hoeveel soldaten worden er verwacht?",
]


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch):
    """The module as in a new process: no classifier loaded, no cache folder set."""
    monkeypatch.setattr(language, "_state", {})
    return language


def _reference() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(language.LANGUAGES))
    return identifier


def test_the_unpacked_copy_classifies_exactly_as_the_packed_model(fresh, tmp_path: Path) -> None:
    fresh.use_cache_dir(tmp_path)
    fresh._identifier()
    (cached,) = tmp_path.glob("langid-*.npz")
    fresh._state.pop("identifier")  # the next process: read from the cache
    from_cache = fresh._identifier()
    reference = _reference()
    assert [from_cache.classify(t) for t in TEXTS] == [reference.classify(t) for t in TEXTS]
    assert [fresh.question_language(t) for t in TEXTS] == ["de", "en", "fr", "es", "ru", "nl"]
    assert cached.exists()


def test_a_damaged_cache_is_unpacked_again(fresh, tmp_path: Path) -> None:
    fresh.use_cache_dir(tmp_path)
    fresh._identifier()
    (cached,) = tmp_path.glob("langid-*.npz")
    whole = cached.read_bytes()
    for damage in (b"not an npz", whole[: len(whole) // 2]):  # garbage, a cut-off file
        cached.write_bytes(damage)
        fresh._state.pop("identifier")
        assert fresh.question_language(TEXTS[0]) == "de"
        assert cached.read_bytes() == whole  # written again


def test_a_cache_folder_that_cannot_be_made_still_classifies(fresh, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way", encoding="utf-8")  # no folder can be made under a file
    fresh.use_cache_dir(blocker / "langid")
    assert fresh.question_language(TEXTS[1]) == "en"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_without_a_cache_folder_nothing_is_written(fresh, tmp_path: Path) -> None:
    assert fresh.question_language(TEXTS[2]) == "fr"
    assert not list(tmp_path.iterdir())
