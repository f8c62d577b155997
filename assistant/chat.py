"""CONTRACT STUB (owned by the assistant helper; replace the bodies, keep the signatures).

`NewsAssistant` is the one object the CLI, the app and the evaluator use to ask questions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from assistant.models import Answer, Citation, Passage, Turn
from newsqa.settings import Settings
from vectorstore.store import NewsStore, SearchFilter


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
class Done:
    answer: Answer


AnswerEvent = QueryRewritten | PassagesFound | Token | CitationResolved | Done


class NewsAssistant:
    def __init__(self, settings: Settings, store: NewsStore | None = None) -> None:
        raise NotImplementedError

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        filters: SearchFilter | None = None,
        as_of: date | None = None,
        backend: str | None = None,
    ) -> Answer:
        raise NotImplementedError

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        filters: SearchFilter | None = None,
        as_of: date | None = None,
        backend: str | None = None,
    ) -> Iterator[AnswerEvent]:
        """Yields QueryRewritten, PassagesFound, then Token and CitationResolved as they come,
        and finally Done with the checked Answer."""
        raise NotImplementedError
