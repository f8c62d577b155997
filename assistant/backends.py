"""The answer backends behind one interface, in one registry.

A backend rewrites a follow-up into a search query, writes the answer from the passages found
(streamed as Token and CitationResolved events), and says whether it can answer now. The
registry (`BACKENDS`) is what the settings' names, the CLI's choices, the app's labels and the
evaluator's workers read; `make_backend` builds one from the settings.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, get_args

from assistant import health
from assistant.answer import (
    answer_messages,
    choice_messages,
    evidence_passages,
    question_from_messages,
    translation_messages,
)
from assistant.cancel import Cancel
from assistant.citations import citation_for, is_decline, may_become_decline, split_answer
from assistant.errors import BackendError
from assistant.events import CitationResolved, Token
from assistant.extractive import extractive_answer
from assistant.models import Passage, Turn
from assistant.rewrite import rewrite_rule_based, rewrite_with_llm
from core.markers import find_markers
from core.settings import JudgeBackend, LLMBackend, Settings
from core.tokens import get_encoding

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


@dataclass(frozen=True)
class BackendStatus:
    backend: str
    ready: bool
    detail: str


@dataclass
class Spent:
    """What one answer spent: model tokens and the time of each step (filled as it runs)."""

    tokens: dict[str, int]
    timings: dict[str, float]


class AnswerBackend(ABC):
    """One way of answering. Subclasses set the class attributes and the three methods."""

    name: ClassVar[str]
    label: ClassVar[str]  # how the app names it
    # Answers one question at a time (one model in one worker): others wait in line.
    one_at_a_time: ClassVar[bool] = False
    # Whether it can translate a passage for a reader of another language (a model can).
    translates: ClassVar[bool] = False
    # Answers at once, without intermediate steps worth drawing.
    instant: ClassVar[bool] = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def prepare(self) -> None:  # noqa: B027 (most backends have nothing to prepare)
        """Fail now, before any search, if this backend cannot be built (a missing model)."""

    @abstractmethod
    def rewrite(self, question: str, history: Sequence[Turn], cancel: Cancel | None) -> str:
        """The search query for `question` after `history` (a follow-up made to stand alone)."""

    @abstractmethod
    def answer(
        self,
        question: str,
        asked: str,
        passages: Sequence[Passage],
        cancel: Cancel | None,
        spent: Spent,
    ) -> Iterator[Token | CitationResolved]:
        """Stream the answer to `question` from `passages` (`asked`: the question with the names
        it refers to spelled out). Passages are never empty here."""

    @abstractmethod
    def status(self) -> BackendStatus:
        """Whether this backend can answer now, and what it runs on."""

    def choose(self, question: str, options: list[str], passage: str) -> int | None:
        """Which of `options`, parts of `passage`, answers `question` (the verification asks
        when an answer's figure comes from a sentence that holds several); None when this
        backend cannot tell."""
        return None

    def translate(self, passage: str, language: str) -> str:
        """`passage` in `language` (a code of core.language.LANGUAGE_NAMES)."""
        raise BackendError(f"the {self.label.lower()} backend cannot translate: choose a model")


class ExtractiveBackend(AnswerBackend):
    """Quotes the passage sentence that best answers the question; no model needed."""

    name = "extractive"
    label = "Extractive (no model)"
    instant = True

    def rewrite(self, question: str, history: Sequence[Turn], cancel: Cancel | None) -> str:
        return rewrite_rule_based(question, history)

    def answer(
        self,
        question: str,
        asked: str,
        passages: Sequence[Passage],
        cancel: Cancel | None,
        spent: Spent,
    ) -> Iterator[Token | CitationResolved]:
        text = extractive_answer(question, passages, query=asked)
        yield Token(text)
        yield from citations_as_written(text, passages)

    def status(self) -> BackendStatus:
        return BackendStatus(self.name, True, "quotes the best passage; no model needed")


# How much likelier (mean log-probability per token of the question) the chosen clause must
# make the question than any other. Chosen on XQuAD's tuning half (odd lines) from the margins
# seen there: the choices that turned a right figure wrong won by 0.12 and 0.15 (Peyton
# Manning's 39 years → John Elway's 38; 16,000 tree species → 390 billion trees), the
# seed report's and samples/' "weitere 6000" win by 0.33 and 0.40. Figures: README, Known
# issues, "Measured in the tenth session".
CHOICE_MARGIN = 0.3


class ModelBackend(AnswerBackend):
    """A language model reads the evidence sentences and writes the answer."""

    translates = True

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._model: BaseChatModel | None = None

    @property
    def model(self) -> BaseChatModel:
        if self._model is None:
            # Imported with the first model, not with this module: the extractive backend
            # needs none of LangChain's model side (about 0.3 s of a `newsqa ask`).
            from assistant.llm import make_chat_model

            self._model = make_chat_model(self.settings, self.name)
        return self._model

    def prepare(self) -> None:
        self.model  # noqa: B018 (building it is the check)

    def rewrite(self, question: str, history: Sequence[Turn], cancel: Cancel | None) -> str:
        try:
            return rewrite_with_llm(_cancellable(self.model, cancel), question, history)
        except Exception as exc:  # connection refused, server error, model crash
            raise BackendError(f"the answer model failed: {exc}") from exc

    def answer(
        self,
        question: str,
        asked: str,
        passages: Sequence[Passage],
        cancel: Cancel | None,
        spent: Spent,
    ) -> Iterator[Token | CitationResolved]:
        model = _cancellable(self.model, cancel)
        budget = self.settings.evidence_tokens
        evidence = evidence_passages(asked, passages, self.count_tokens, budget=budget)
        events = stream_model_answer(model, asked, evidence, spent.tokens)
        started = time.perf_counter()
        # A reply that may still become the decline is held back until it is told apart.
        held: list[Token | CitationResolved] | None = []
        text = ""
        try:
            for event in events:
                if held is None:
                    yield event
                    continue
                held.append(event)
                if isinstance(event, Token):
                    text += event.text
                    if not may_become_decline(text):
                        yield from held
                        held = None
        finally:
            events.close()  # an abandoned answer ends the model's generation now
        if held is None:
            return
        if is_decline(text):
            # Declined on the evidence: read more of the same passages before saying no. The
            # first reading is kept short for the time to the first token; a decline is where
            # the fact sat outside it (README, Benchmarks, "Read more before declining").
            more = self.settings.read_more_tokens
            wider = (
                evidence_passages(asked, passages, self.count_tokens, budget=more)
                if more > budget
                else evidence
            )
            if _contexts(wider) != _contexts(evidence):
                spent.timings["first_reading"] = time.perf_counter() - started
                yield from stream_model_answer(model, asked, wider, spent.tokens)
                return
        yield from held

    def choose(self, question: str, options: list[str], passage: str) -> int | None:
        """The option under which the model finds `question` likeliest, as the question that
        option answers in `passage` (mean log-probability of the question's tokens after
        prompts/question-from.md). The passage is the same for every option, so its words,
        the names a question shares with the clause that does not answer it included, weigh
        alike; no letter is written, so no option gains by its place. A 1.5B model asked for
        a letter took the first option whichever it was (on samples/, "How many soldiers are
        expected?" between "bereits rund 11.000 … im Einsatz" and "Weitere 6000 Soldaten
        werden … erwartet", in both orders). Figures: README, Known issues, "Measured in the
        tenth session". A server that cannot score a text (an OpenAI-compatible one) is asked
        for a letter instead, twice, in both orders; a choice counts only when it survives
        the reversal."""
        if len(options) < 2:
            return None  # nothing to choose between
        likelihood = getattr(self.model, "likelihood", None)
        if likelihood is None:
            return self._choose_by_letter(question, options)
        try:
            scores = [
                sum(lp) / len(lp)
                for lp in (
                    likelihood(question_from_messages(passage, o), question) for o in options
                )
            ]
        except BackendError:  # a failed choice leaves the answer as it was
            return None
        ranked = sorted(range(len(options)), key=scores.__getitem__, reverse=True)
        if scores[ranked[0]] - scores[ranked[1]] < CHOICE_MARGIN:
            return None
        return ranked[0]

    def _choose_by_letter(self, question: str, options: list[str]) -> int | None:
        first = self._choose_once(question, options)
        if first is None:
            return None
        second = self._choose_once(question, options[::-1])
        return first if second is not None and len(options) - 1 - second == first else None

    def _choose_once(self, question: str, options: list[str]) -> int | None:
        try:
            reply = self.model.invoke(choice_messages(question, options)).text.strip()
        except Exception:  # noqa: BLE001 - a failed choice leaves the answer as it was
            return None
        match = re.match(r"\W*([A-Z])\b", reply)
        letters = [chr(ord("A") + i) for i in range(len(options))]
        return letters.index(match.group(1)) if match and match.group(1) in letters else None

    def translate(self, passage: str, language: str) -> str:
        try:
            return self.model.invoke(translation_messages(passage, language)).text.strip()
        except Exception as exc:  # connection refused, server error, model crash
            raise BackendError(f"the answer model failed: {exc}") from exc

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` as the evidence budget counts them (the settings' tokenizer)."""
        encoding = get_encoding(self.settings.tokenizer, self.settings.tiktoken_cache_dir)
        return len(encoding.encode(text, disallowed_special=()))


class LocalBackend(ModelBackend):
    name = "local"
    label = "Local model"
    one_at_a_time = True

    def status(self) -> BackendStatus:
        # The size-and-stamp check: hashing 1.1 GB on every page load would cost seconds.
        check = health.model_file(self.settings, full_hash=False)
        if not check.ok:
            return BackendStatus(self.name, False, f"{check.detail}: run `{check.fix}`")
        from assistant.llm import local_worker

        state = local_worker(self.settings).state()
        if state.running:
            now = f"loaded in its worker process (pid {state.pid})"
        else:
            now = "present, loads on the first question"
            if state.last_exit:
                now += f" (the last worker {state.last_exit})"
        return BackendStatus(self.name, True, f"{check.detail}: {now}")


class OpenAIBackend(ModelBackend):
    name = "openai"
    label = "OpenAI-compatible server"
    status_timeout_s: ClassVar[float] = 2.0

    def status(self) -> BackendStatus:
        settings = self.settings
        base = settings.openai_base_url
        if not base:
            if settings.openai_api_key:
                return BackendStatus(self.name, True, "OpenAI API key set (server not probed)")
            return BackendStatus(self.name, False, "no server configured (NEWSQA_OPENAI_BASE_URL)")
        check = health.models_endpoint(
            "answer server", base, settings.openai_api_key, self.status_timeout_s
        )
        detail = f"{check.detail}, model {settings.openai_model}" if check.ok else check.detail
        return BackendStatus(self.name, check.ok, detail)


BACKENDS: dict[str, type[AnswerBackend]] = {
    backend.name: backend for backend in (LocalBackend, OpenAIBackend, ExtractiveBackend)
}
BACKEND_NAMES = tuple(BACKENDS)
# Backends with a language model can also judge citations (`newsqa eval --judge`).
JUDGE_NAMES = tuple(name for name, cls in BACKENDS.items() if issubclass(cls, ModelBackend))
assert set(BACKEND_NAMES) == set(get_args(LLMBackend)), "core.settings.LLMBackend is out of step"
assert set(JUDGE_NAMES) == set(get_args(JudgeBackend)), "core.settings.JudgeBackend is out of step"


def backend_class(name: str) -> type[AnswerBackend]:
    try:
        return BACKENDS[name]
    except KeyError:
        raise BackendError(
            f"unknown llm backend {name!r}: choose one of {', '.join(BACKENDS)}"
        ) from None


def make_backend(settings: Settings, name: str | None = None) -> AnswerBackend:
    """The backend `name` (default settings.llm_backend)."""
    return backend_class(name or settings.llm_backend)(settings)


def stream_model_answer(
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
                tokens["completion"] = tokens.get("completion", 0) + usage.get("output_tokens", 0)
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
                        yield CitationResolved(citation_for(sentence, by_number[number], number))
            resolved = len(markers)
    except BackendError:
        raise
    except Exception as exc:  # connection refused, server error, model crash
        raise BackendError(f"the answer model failed: {exc}") from exc
    finally:
        # Some OpenAI-compatible servers send no usage when streaming, and an answer stopped
        # early (the verification's gate, Stop) never gets it: one streamed piece is one token.
        tokens.setdefault("completion", pieces)
        # An answer abandoned here (Stop, a closed page) ends the model's generation now,
        # not when the abandoned generator is collected.
        stream.close()


def _contexts(passages: Sequence[Passage]) -> list[tuple[int, str]]:
    return [(p.number, p.context) for p in passages]


def _sentence_at(text: str, end: int) -> str:
    """The (possibly unfinished) answer sentence that ends at `end`."""
    sentences = split_answer(text[:end])
    return sentences[-1] if sentences else text[:end]


def citations_as_written(text: str, passages: Sequence[Passage]) -> Iterator[CitationResolved]:
    by_number = {p.number: p for p in passages}
    if is_decline(text):
        return
    for sentence in split_answer(text):
        for marker in find_markers(sentence):
            for number in marker.numbers:
                if number in by_number:
                    yield CitationResolved(citation_for(sentence, by_number[number], number))


def _cancellable(model: BaseChatModel, cancel: Cancel | None) -> BaseChatModel:
    from assistant.llm import cancellable

    return cancellable(model, cancel)
