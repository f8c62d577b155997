"""What kind of answer a question asks for: a figure, a date, a person, a place, or other."""

from __future__ import annotations

import re
from typing import Literal

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
