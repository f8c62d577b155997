"""Figures survive the translation step: they are sent as slots and put back as written."""

from __future__ import annotations

from assistant.answer import _mask_numbers, _unmask_numbers

GERMAN = "bereits 11.000 nordkoreanische Soldaten in der Ukraine – weitere 6000 werden erwartet."


def test_numbers_go_out_as_slots_and_come_back_exactly_as_written() -> None:
    masked, numbers = _mask_numbers(GERMAN)
    assert numbers == ["11.000", "6000"]
    assert "11" not in masked and "6000" not in masked
    # What the 1.5B model made of the masked sentence.
    translated = "already N1 Korean soldiers are in Ukraine – more N2 are expected."
    assert _unmask_numbers(translated, numbers) == (
        "already 11.000 Korean soldiers are in Ukraine – more 6000 are expected."
    )


def test_a_translation_that_lost_or_invented_a_slot_is_refused() -> None:
    _, numbers = _mask_numbers(GERMAN)
    assert _unmask_numbers("N1 soldiers are in Ukraine.", numbers) is None
    assert _unmask_numbers("N1 soldiers, N2 expected, N3 more.", numbers) is None


def test_text_with_slot_like_words_of_its_own_is_sent_unmasked() -> None:
    text = "Die N1 ist ab 6 Uhr gesperrt."
    assert _mask_numbers(text) == (text, [])
    assert _unmask_numbers("The N1 is closed from 6 am.", []) == "The N1 is closed from 6 am."
