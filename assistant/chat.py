"""`NewsAssistant`: the one object the CLI, the app and the evaluator use to ask questions.

One question runs: small talk check → follow-up rewrite → hybrid retrieval → context selection
→ answer (llama.cpp, an OpenAI-compatible server, or extractive) streamed token by token →
citation check. `stream` yields each stage as it happens; `ask` collects the final Answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from langchain_core.language_models import BaseChatModel

from assistant.answer import (
    answer_messages,
    evidence_passages,
    needs_translation,
    translate_evidence,
)
from assistant.cancel import Cancel
from assistant.citations import check_answer, citation_for, is_decline, split_answer
from assistant.context import select_context
from assistant.extractive import decline_text, extractive_answer
from assistant.llm import BACKENDS, BackendError, cancellable, make_chat_model
from assistant.models import Answer, Citation, Passage, Turn
from assistant.retrieval import HybridRetriever
from assistant.rewrite import chitchat_kind, chitchat_reply, rewrite_rule_based, rewrite_with_llm
from core.markers import find_markers
from core.settings import Settings
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
    """Builds the store, retriever and chat models on first use and keeps them."""

    def __init__(self, settings: Settings, store: NewsStore | None = None) -> None:
        self.settings = settings
        self._store = store
        self._retriever: HybridRetriever | None = None
        self._models: dict[str, BaseChatModel | None] = {}
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
                self._retriever = HybridRetriever(store, self.settings)
            return self._retriever

    def chat_model(self, backend: str) -> BaseChatModel | None:
        """The chat model for a backend (None for extractive), made once per backend."""
        if backend not in BACKENDS:
            raise BackendError(
                f"unknown llm backend {backend!r}: choose one of {', '.join(BACKENDS)}"
            )
        with self._lock:
            if backend not in self._models:
                self._models[backend] = make_chat_model(self.settings, backend)
            return self._models[backend]

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
        name = backend or self.settings.llm_backend
        question = question.strip()
        if not question:
            raise ValueError("the question is empty")
        kind = chitchat_kind(question)
        if kind is not None:
            reply = chitchat_reply(question, kind)
            yield QueryRewritten("")
            yield PassagesFound([])
            yield Token(reply)
            yield Done(
                Answer(
                    question=question,
                    query="",
                    answer=reply,
                    is_chitchat=True,
                    backend=name,
                    timings={"total": time.perf_counter() - started},
                )
            )
            return

        model = self.chat_model(name)  # fails early, before any search, on a missing model
        if model is not None:
            model = cancellable(model, cancel)
        timings: dict[str, float] = {}
        mark = time.perf_counter()
        try:
            query = (
                rewrite_with_llm(model, question, history)
                if model is not None
                else rewrite_rule_based(question, history)
            )
        except Exception as exc:  # connection refused, server error, model crash
            raise BackendError(f"the answer model failed: {exc}") from exc
        timings["rewrite"] = time.perf_counter() - mark
        yield QueryRewritten(query)

        mark = time.perf_counter()
        passages = self.retriever.retrieve(query, flt=filters, as_of=as_of)
        passages = select_context(passages, query)
        timings["retrieval"] = time.perf_counter() - mark
        yield PassagesFound(passages)

        tokens: dict[str, int] = {}
        mark = time.perf_counter()
        if not passages:
            text = decline_text(question)
            timings["first_token"] = time.perf_counter() - mark
            yield Token(text)
        elif model is None:
            text = extractive_answer(question, passages, query=query)
            timings["first_token"] = time.perf_counter() - mark
            yield Token(text)
            yield from _citations_as_written(text, passages)
        else:
            text = ""
            # The model is asked the question itself, with the names it refers to spelled out:
            # a search query (the rewrite) is no question to answer.
            asked = rewrite_rule_based(question, history)
            for event in self._generate_answer(model, question, asked, passages, tokens, timings):
                if isinstance(event, Token):
                    if not text:
                        timings["first_token"] = time.perf_counter() - mark
                    text += event.text
                yield event
        timings["answer"] = time.perf_counter() - mark

        checked = check_answer(text, passages)
        timings["total"] = time.perf_counter() - started
        yield Done(
            Answer(
                question=question,
                query=query,
                answer=checked.text,
                citations=checked.citations,
                passages=passages,
                checks=checked.checks,
                declined=checked.declined or not passages,
                backend=name,
                timings=timings,
                tokens=tokens,
            )
        )

    def _generate_answer(
        self,
        model: BaseChatModel,
        question: str,
        asked: str,
        passages: Sequence[Passage],
        tokens: dict[str, int],
        timings: dict[str, float],
    ) -> Iterator[Token | CitationResolved]:
        """The model's answer from the evidence sentences, or a decline when there are none."""
        evidence = evidence_passages(asked, passages)
        if not evidence:
            yield Token(decline_text(question))
            return
        if needs_translation(question, evidence):
            mark = time.perf_counter()
            try:
                evidence = translate_evidence(model, question, evidence)
            except Exception as exc:  # connection refused, server error
                raise BackendError(f"the answer model failed: {exc}") from exc
            timings["translate"] = time.perf_counter() - mark
        yield from self._generate(model, asked, evidence, tokens)

    def _generate(
        self,
        model: BaseChatModel,
        question: str,
        passages: Sequence[Passage],
        tokens: dict[str, int],
    ) -> Iterator[Token | CitationResolved]:
        """Stream the model's answer; resolve each [n] the moment its closing bracket arrives."""
        by_number = {p.number: p for p in passages}
        text = ""
        resolved = 0  # markers in `text` already handled
        pieces = 0
        stream = model.stream(answer_messages(question, passages))
        try:
            for chunk in stream:
                usage = getattr(chunk, "usage_metadata", None)
                if usage:
                    tokens["prompt"] = tokens.get("prompt", 0) + usage.get("input_tokens", 0)
                    tokens["completion"] = tokens.get("completion", 0) + usage.get(
                        "output_tokens", 0
                    )
                piece = chunk.text
                if not piece:
                    continue
                pieces += 1
                text += piece
                yield Token(piece)
                markers = find_markers(text)
                for marker in markers[resolved:]:
                    sentence = _sentence_at(text, marker.end)
                    for number in marker.numbers:
                        if number in by_number:
                            yield CitationResolved(
                                citation_for(sentence, by_number[number], number)
                            )
                resolved = len(markers)
            # Some OpenAI-compatible servers send no usage when streaming: one streamed piece is
            # one token there.
            tokens.setdefault("completion", pieces)
        except BackendError:
            raise
        except Exception as exc:  # connection refused, server error, model crash
            raise BackendError(f"the answer model failed: {exc}") from exc
        finally:
            # An answer abandoned here (Stop, a closed page) ends the model's generation now,
            # not when the abandoned generator is collected.
            stream.close()


def _sentence_at(text: str, end: int) -> str:
    """The (possibly unfinished) answer sentence that ends at `end`."""
    sentences = split_answer(text[:end])
    return sentences[-1] if sentences else text[:end]


def _citations_as_written(text: str, passages: Sequence[Passage]) -> Iterator[CitationResolved]:
    by_number = {p.number: p for p in passages}
    if is_decline(text):
        return
    for sentence in split_answer(text):
        for marker in find_markers(sentence):
            for number in marker.numbers:
                if number in by_number:
                    yield CitationResolved(citation_for(sentence, by_number[number], number))
