"""What kind of answer a question asks for: a figure, a date, a person, a place, or other."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from core.markers import strip_markers
from core.numbers import number_values, without_ages
from core.terms import token_terms

QuestionType = Literal["number", "person", "date", "place", "other"]


_TYPE_CUES: list[tuple[QuestionType, re.Pattern[str]]] = [
    (
        "number",
        re.compile(
            r"\b(?:how\s+(?:many|much|long|old|far|high|large|big|often|tall)|what\s+(?:number|"
            r"percentage|percent|share|amount|age)|population|percent|wie\s+(?:viele?|lange|alt|"
            r"oft|hoch|gro(?:ß|ss)|weit)|wieviele?|anzahl|prozent|bevölkerung|einwohner)\b",
            re.I,
        ),
    ),
    ("date", re.compile(r"\b(?:when|what\s+(?:year|day|date|month)|wann|seit\s+wann)\b", re.I)),
    ("person", re.compile(r"\b(?:who|whom|whose|wer|wen|wem|wessen)\b", re.I)),
    ("place", re.compile(r"\b(?:where|wo|wohin|woher)\b", re.I)),
]


def question_type(question: str) -> QuestionType:
    for kind, pattern in _TYPE_CUES:
        if pattern.search(question):
            return kind
    return "other"


DATE_WORDS = re.compile(
    r"\b(?:1[89]\d\d|20\d\d|monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|"
    r"dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|january|february|march|april|may|june|"
    r"july|august|september|october|november|december|januar|februar|märz|mai|juni|juli|oktober|"
    r"dezember|yesterday|today|gestern|heute)\b",
    re.I,
)

# A time of day answers "when" as a date does ("4:51", "5 p.m.", "17.30 Uhr"): the clock's
# colon, or a figure with the hour's own word.
TIME_OF_DAY = re.compile(
    r"\b(?:[01]?\d|2[0-3]):[0-5]\d\b|\b(?:[01]?\d|2[0-3])(?:[.:][0-5]\d)?\s*"
    r"(?:a\.\s?m\.|p\.\s?m\.|am\b|pm\b|uhr\b|o'clock\b|heures?\b)",
    re.I,
)


# Questions for an age: the one kind of figure that a figure's own words can tell apart
# (core.numbers.find_ages).
_AGE_CUE = re.compile(
    r"\b(?:how\s+old|what\s+age|wie\s+alt|welche[ms]?\s+alter|quel\s+âge)\b",
    re.I,
)


def asks_age(question: str) -> bool:
    """Whether the question asks how old someone or something is."""
    return bool(_AGE_CUE.search(question))


def holds_type(
    kind: QuestionType,
    text: str,
    question_numbers: set[float] = frozenset(),
    *,
    age: bool = False,
) -> bool:
    """Whether `text` holds what a question of this kind asks for: a figure the question does
    not state itself for "how many" (in words too: "three weeks"), a year, day or month, or a
    time of day, for "when". A figure written as an age ("der 72-jährige Kremlchef") counts
    only for a question that asks for one (`age`). Other kinds pass: a name or a place has no
    form that a rule could check in every language."""
    if kind == "number":
        read = text if age else without_ages(text)
        return bool(number_values(read, small_words=True) - set(question_numbers))
    if kind == "date":
        return bool(DATE_WORDS.search(text) or TIME_OF_DAY.search(text))
    return True


def adds_to(question: str, answer: str) -> bool:
    """Whether `answer` says anything the question does not: a term (a stem of a content word
    in either language, or a number) outside the question's own. "The Broncos did not throw at
    all during the playoff games" adds nothing to "During the Bronco's playoff games, who did
    not throw at all?": it restates the question and leaves out the name it asked for."""
    asked = _terms_of(question)
    return any(not terms & asked for terms in token_terms(strip_markers(answer)))


@lru_cache(maxsize=256)
def _terms_of(question: str) -> frozenset[str]:
    """Every term of the question (the extractive choice asks for each candidate sentence)."""
    return frozenset().union(*token_terms(question))


Overview = Literal["summary", "latest"]

# Questions about a story rather than a fact: answered from several articles. A cue here only
# widens the evidence to more articles (and orders it newest first for "latest"); a question
# without one is still answered, from the passages that score best.
_OVERVIEW_CUES: list[tuple[Overview, re.Pattern[str]]] = [
    (
        "latest",
        re.compile(
            r"\b(?:latest|most\s+recent|newest|neueste\w*|jüngste\w*|aktuelle?\s+stand|"
            r"dernières?\s+nouvelles)\b",
            re.I,
        ),
    ),
    (
        "summary",
        re.compile(
            r"\b(?:summari[sz]e|summary|overview|what\s+happened|what\s+do(?:es)?\s+the\s+"
            r"articles\s+say|zusammenfass\w*|überblick|was\s+ist\s+passiert|was\s+geschah|"
            r"résume[rz]?)\b",
            re.I,
        ),
    ),
]


def overview_kind(question: str) -> Overview | None:
    """ "latest" or "summary" for a question about a whole story, None for one about a fact."""
    for kind, pattern in _OVERVIEW_CUES:
        if pattern.search(question):
            return kind
    return None
