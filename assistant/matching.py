"""Comparing an answer sentence with passage text across English and German.

The citation check and the extractive backend both ask "does this passage sentence say what
that sentence says?". Without a cross-lingual model to hand in milliseconds, they compare what
survives translation: numbers (`core.numbers`), names, and words that share their first
letters ("Kremlin"/"Kreml", "soldiers"/"Soldaten").
"""

from __future__ import annotations

import re

from core.words import fold, words

# Capitalised words that start English sentences or name days, months and titles: not names.
_NOT_NAMES_WORDS = """
    the a an this that these those it he she they we i in on at by for from to of and but or
    according as after before when while what who why how which where there here however also
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december president minister chancellor prime
    mr mrs ms dr the article articles passage passages yes no"""
_NOT_NAMES = frozenset(_NOT_NAMES_WORDS.split())
# The longest initialism read letter by letter ("US", "U S" from "U.S.", "NATO"); longer
# capitals are words ("UNICEF") and are found by their letters as any name is.
_INITIALISM_LETTERS = 5


def _shared_prefix(term: str) -> str:
    # Shared first letters outlast translation often enough ("soldi-ers"/"solda-ten": "sold").
    return term[: max(4, min(len(term) - 2, 6))] if len(term) > 4 else term


def term_in(term: str, folded_text: str) -> bool:
    """Whether a folded term, or its first letters, occurs in already folded text."""
    return term in folded_text or _shared_prefix(term) in folded_text


def names_in(sentence: str) -> list[str]:
    """Runs of capitalised words that look like names ("Yang Moo Jin", "Kremlin").

    The first word of the sentence counts only when it starts a run of two or more, since any
    word is capitalised there.
    """
    tokens = words(sentence)
    names: list[str] = []
    run: list[str] = []
    for i, token in enumerate([*tokens, "."]):
        capital = token[:1].isupper() and token.lower() not in _NOT_NAMES
        if capital:
            run.append(token)
            continue
        if run:
            starts_sentence = i - len(run) == 0
            if not (starts_sentence and len(run) == 1):
                names.append(" ".join(run))
            run = []
    return names


def name_in(name: str, folded_text: str) -> bool:
    """A name is found when any of its parts (or a part's stem) occurs in the folded text.

    An initialism ("U.S.", which reads as "U S", or "US") is found too when its letters stand
    together in the text, with or without dots ("u.s.", "us"): "U S" has no part of two
    letters to look for, and a passage's "U.S." holds no "us". A lone letter is no initialism:
    "v" stands in "v. Chr.".
    """
    parts = name.split()
    if any(term_in(fold(part), folded_text) for part in parts if len(part) > 1):
        return True
    initials = "".join(parts)
    spelt_out = len(parts) > 1 and all(len(part) == 1 for part in parts)
    capitals = len(parts) == 1 and initials.isupper()
    if not (spelt_out or capitals) or not 2 <= len(initials) <= _INITIALISM_LETTERS:
        return False
    letters = r"\.?\s?".join(re.escape(fold(letter)) for letter in initials)
    return re.search(rf"(?<!\w){letters}(?!\w)", folded_text) is not None


def name_share(name: str, folded_text: str) -> float:
    """The share of a name's parts found among the words of the folded text: a whole word, or
    for a long part a word sharing its stem ("Kremlin"/"kreml"). A short part must be a word of
    its own ("Yo" is not in "Jong")."""
    parts = [fold(part) for part in name.split() if len(part) > 1]
    if not parts:
        return 0.0
    text_words = set(words(folded_text))

    def found(part: str) -> bool:
        if part in text_words:
            return True
        stem = _shared_prefix(part)
        return len(part) > 4 and any(w.startswith(stem) for w in text_words)

    return sum(1 for part in parts if found(part)) / len(parts)
