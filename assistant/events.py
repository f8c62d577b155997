"""The typed events of one answer, as `NewsAssistant.stream` yields them."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.models import Answer, Citation, Passage


@dataclass(frozen=True)
class QueryRewritten:
    query: str


@dataclass(frozen=True)
class PassagesFound:
    passages: list[Passage]


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class CitationResolved:
    citation: Citation


@dataclass(frozen=True)
class AnswerReplaced:
    """The verification replaced what was streamed so far: show `text` instead."""

    text: str
    reason: str


@dataclass(frozen=True)
class Done:
    answer: Answer


AnswerEvent = QueryRewritten | PassagesFound | Token | CitationResolved | AnswerReplaced | Done
