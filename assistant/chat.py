"""`NewsAssistant`: the one object the CLI, the app and the evaluator use to ask questions.

One question runs: small talk check → follow-up rewrite → hybrid retrieval → context selection
→ the chosen backend's answer (`assistant/backends.py`) streamed token by token → citation
check. `stream` yields each stage as it happens; `ask` collects the final Answer.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from datetime import date

from assistant.backends import AnswerBackend, Spent, backend_class, citations_as_written
from assistant.cancel import Cancel
from assistant.citations import CheckedAnswer, Embed, check_answer
from assistant.context import select_context
from assistant.events import (
    AnswerEvent,
    AnswerReplaced,
    CitationResolved,
    Done,
    PassagesFound,
    QueryRewritten,
    Token,
)
from assistant.models import Answer, Passage, Turn
from assistant.replies import decline_text
from assistant.retrieval import HybridRetriever
from assistant.rewrite import chitchat_reply, rewrite_rule_based
from assistant.verify import FigureGate, Ungrounded, verify
from core.errors import NewsqaError
from core.settings import Settings
from vectorstore.store import NewsStore, SearchFilter

__all__ = [
    "AnswerEvent",
    "AnswerReplaced",
    "CitationResolved",
    "Done",
    "NewsAssistant",
    "PassagesFound",
    "QueryRewritten",
    "Token",
    "citations_as_written",
]


class EmptyQuestion(NewsqaError, ValueError):
    pass


class QuestionTooLong(NewsqaError, ValueError):
    pass


class NewsAssistant:
    """Builds the store, retriever and chat models on first use and keeps them."""

    def __init__(self, settings: Settings, store: NewsStore | None = None) -> None:
        self.settings = settings
        self._store = store
        self._retriever: HybridRetriever | None = None
        self._backends: dict[str, AnswerBackend] = {}
        self._lock = threading.Lock()

    @property
    def store(self) -> NewsStore:
        with self._lock:
            if self._store is None:
                self._store = NewsStore(self.settings)
            return self._store

    @property
    def retriever(self) -> HybridRetriever:
        store = self.store
        with self._lock:
            if self._retriever is None:
                self._retriever = HybridRetriever.from_settings(store, self.settings)
            return self._retriever

    def _embed_sentence(self, sentence: str) -> list[float]:
        """An answer sentence's vector as the store's model makes a question's, length 1."""
        vector = self.store.embeddings.embed_query(sentence)
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        return [x / norm for x in vector]

    def backend(self, name: str | None = None) -> AnswerBackend:
        """The backend `name` (default: the settings'), made once per name."""
        cls = backend_class(name or self.settings.llm_backend)
        with self._lock:
            if cls.name not in self._backends:
                self._backends[cls.name] = cls(self.settings)
            return self._backends[cls.name]

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        filters: SearchFilter | None = None,
        as_of: date | None = None,
        backend: str | None = None,
        cancel: Cancel | None = None,
    ) -> Answer:
        events = self.stream(
            question, history, filters=filters, as_of=as_of, backend=backend, cancel=cancel
        )
        for event in events:
            if isinstance(event, Done):
                return event.answer
        raise RuntimeError("the answer stream ended without an answer")  # pragma: no cover

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        filters: SearchFilter | None = None,
        as_of: date | None = None,
        backend: str | None = None,
        cancel: Cancel | None = None,
    ) -> Iterator[AnswerEvent]:
        """Yields QueryRewritten, PassagesFound, then Token and CitationResolved as they come,
        and finally Done with the checked Answer. `cancel.cancel()` from another thread ends a
        local model's generation at once; the stream then raises BackendError."""
        started = time.perf_counter()
        answerer = self.backend(backend)
        question = question.strip()
        if not question:
            raise EmptyQuestion("the question is empty")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionTooLong(
                f"the question is {len(question):,} characters long; ask in at most {limit:,} "
                "(NEWSQA_MAX_QUESTION_CHARS)"
            )
        small_talk = chitchat_reply(question)
        if small_talk is not None:
            yield from _small_talk(question, small_talk, answerer.name, started)
            return

        answerer.prepare()  # fails early, before any search, on a missing model
        spent = Spent(tokens={}, timings={})
        mark = time.perf_counter()
        query = answerer.rewrite(question, history, cancel)
        spent.timings["rewrite"] = time.perf_counter() - mark
        yield QueryRewritten(query)

        mark = time.perf_counter()
        passages = self.retriever.retrieve(query, flt=filters, as_of=as_of)
        passages = select_context(passages, query)
        spent.timings["retrieval"] = time.perf_counter() - mark
        yield PassagesFound(passages)

        mark = time.perf_counter()
        # The backend answers the question itself, with the names it refers to spelled out:
        # a search query (the rewrite) is no question to answer.
        asked = rewrite_rule_based(question, history)
        if not passages:
            events: Iterator[Token | CitationResolved] = iter([Token(decline_text(question))])
        else:
            events = answerer.answer(question, asked, passages, cancel, spent)
        if answerer.instant:  # quotes from the passages: nothing to verify
            text = ""
            for event in events:
                if isinstance(event, Token):
                    if not text:
                        spent.timings["first_token"] = time.perf_counter() - mark
                    text += event.text
                yield event
            checked, replaced = check_answer(text, passages), None
        else:
            checked, replaced = yield from _verified(
                question, asked, events, passages, spent, mark, answerer, self._embed_sentence
            )
            if replaced is not None:
                yield AnswerReplaced(checked.text, replaced)
                yield from citations_as_written(checked.text, passages)
        spent.timings["answer"] = time.perf_counter() - mark
        spent.timings["total"] = time.perf_counter() - started
        yield Done(
            Answer(
                question=question,
                query=query,
                answer=checked.text,
                citations=checked.citations,
                passages=passages,
                checks=checked.checks,
                declined=checked.declined or not passages,
                replaced=replaced,
                backend=answerer.name,
                timings=spent.timings,
                tokens=spent.tokens,
            )
        )


def _verified(
    question: str,
    asked: str,
    events: Iterator[Token | CitationResolved],
    passages: Sequence[Passage],
    spent: Spent,
    mark: float,
    answerer: AnswerBackend,
    embed: Embed | None = None,
) -> Generator[AnswerEvent, None, tuple[CheckedAnswer, str | None]]:
    """Stream a model's answer through the figure gate, then verify it (assistant/verify.py).

    Citations are resolved from the verified text, not as the model writes them: a marker of a
    sentence the verification drops must not light up a passage."""
    gate = FigureGate(asked, passages)
    shown = False
    stopped = None
    try:
        for event in events:
            if not isinstance(event, Token):
                continue
            release = gate.feed(event.text)
            if release:
                if not shown:
                    spent.timings["first_token"] = time.perf_counter() - mark
                    shown = True
                yield Token(release)
        release = gate.finish()
        if release:
            if not shown:
                spent.timings["first_token"] = time.perf_counter() - mark
            yield Token(release)
    except Ungrounded as exc:  # the text so far ends in the ungrounded figure: verify drops it
        stopped = str(exc)
    finally:
        close = getattr(events, "close", None)
        if close is not None:  # a generator: ends the model's work now
            close()
    mark = time.perf_counter()
    translate = answerer.translate if answerer.translates else None
    verified = verify(
        question,
        asked,
        gate.text,
        passages,
        stopped=stopped,
        choose=answerer.choose,
        translate=translate,
        embed=embed,
    )
    spent.timings["verify"] = time.perf_counter() - mark
    if verified.replaced is None:
        # What was streamed lost a sentence, or had a figure put right: show the checked text.
        left_out = [c.reason for c in verified.checked.checks if not c.shown]
        if left_out:
            yield AnswerReplaced(verified.checked.text, left_out[-1] or "not backed")
        yield from citations_as_written(verified.checked.text, passages)
    return verified.checked, verified.replaced


def _small_talk(question: str, reply: str, backend: str, started: float) -> Iterator[AnswerEvent]:
    yield QueryRewritten("")
    yield PassagesFound([])
    yield Token(reply)
    yield Done(
        Answer(
            question=question,
            query="",
            answer=reply,
            is_chitchat=True,
            backend=backend,
            timings={"total": time.perf_counter() - started},
        )
    )
