"""What a language model is shown: the best sentences of the retrieved passages, with their
neighbours, within a token budget, numbered, with title and date, in the asker's language.

The evidence is cut from all the passages by one scoring of their sentences (the question's
terms and each sentence's stored vector, `context.evidence_context`), so the model reads the
sentence before and after the one that scores best, and the second passage when it scores near
the first. Nothing is declined before the model has read it: the model declines, or the
verification (`assistant/verify.py`) replaces an answer that its passages do not carry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from assistant.context import evidence_context
from assistant.models import Passage
from assistant.questions import overview_kind
from assistant.replies import answer_language
from core.language import LANGUAGE_NAMES
from prompts import template

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage, SystemMessage

EVIDENCE_PASSAGES = 4


def evidence_passages(
    question: str,
    passages: Sequence[Passage],
    count_tokens: Callable[[str], int],
    budget: int,
) -> list[Passage]:
    """Copies of the passages the model reads, best first, `context` cut to the evidence of
    `budget` tokens (the settings' `evidence_tokens`, or `read_more_tokens` after a decline).

    A question about a story ("What is the latest on …") reads one passage from each of several
    articles, newest first when it asks for the latest."""
    overview = overview_kind(question)
    evidence = evidence_context(
        list(passages),
        question,
        budget=budget,
        count_tokens=count_tokens,
        max_passages=EVIDENCE_PASSAGES,
        one_per_article=overview is not None,
    )
    if overview == "latest":
        evidence.sort(key=lambda p: p.date or date.min, reverse=True)
    return evidence


def format_passages(passages: Sequence[Passage]) -> str:
    return "\n\n".join(
        passage_block(p.number, (p.context or p.text).strip(), p.title, p.source, p.date)
        for p in passages
    )


def passage_block(
    number: int, text: str, title: str = "", source: str = "", day: date | None = None
) -> str:
    """One numbered passage as every prompt shows it (prompts/passage.md)."""
    return template("passage").fill(
        number=number,
        title=title.strip() or "untitled",
        source=source or "unknown source",
        date=day.isoformat() if day else "undated",
        text=text,
    )


def answer_messages(question: str, passages: Sequence[Passage]) -> list:
    """The system and user messages the model answers from (prompts/system.md, answer.md).

    Every fixed rule is in the system message, ahead of the passages: llama.cpp keeps the
    evaluated prompt and reuses its longest common prefix, so only the passages and the question
    are read anew for each answer. The answer language is named outright: told only "the
    language of the question", the 1.5B model answered German questions in English, or in a mix
    ("The Broncos verlor ...").
    """
    language = LANGUAGE_NAMES[answer_language(question)]
    overview = overview_kind(question)
    instruction = (
        template("answer-overview").fill(language=language, order=overview_order(overview))
        if overview
        else template("answer-fact").fill(language=language)
    )
    user = template("answer").fill(
        passages=format_passages(passages), question=question, instruction=instruction
    )
    return [system_message(), _human(user)]


def choice_messages(question: str, options: Sequence[str]) -> list:
    """The messages that ask which of `options` answers `question` (prompts/choose.md), as
    letters A, B, …. They begin with the answer's system message: llama.cpp keeps one evaluated
    prompt, and a choice that began otherwise would make the next answer read the whole system
    prompt again (measured: first token 1.4 s became 10 to 13 s)."""
    listing = "\n".join(f"{chr(ord('A') + i)}: {option}" for i, option in enumerate(options))
    prompt = template("choose").fill(question=question, options=listing)
    return [system_message(), _human(prompt)]


def question_from_messages(passage: str, answer: str) -> list:
    """The messages after which the model would write the question that `answer`, a part of
    `passage`, answers (prompts/question-from.md): how likely it then finds the asker's
    question measures how well that part answers it. After the answer's system message, as
    `choice_messages`."""
    prompt = template("question-from").fill(passage=passage, answer=answer)
    return [system_message(), _human(prompt)]


def translation_messages(passage: str, language: str) -> list:
    """The messages that ask for `passage` in `language` (prompts/translate.md), after the
    answer's system message, so that llama.cpp's cached prompt survives them as well."""
    prompt = template("translate").fill(language=LANGUAGE_NAMES[language], passage=passage)
    return [system_message(), _human(prompt)]


# LangChain's messages are imported when a model is asked, not with this module: an extractive
# answer needs none of LangChain's language-model side, and importing it costs a `newsqa ask`
# about 0.3 s of its start-up.
def system_message() -> SystemMessage:
    from langchain_core.messages import SystemMessage

    return SystemMessage(content=template("system").text)


def _human(text: str) -> BaseMessage:
    from langchain_core.messages import HumanMessage

    return HumanMessage(content=text)


def overview_order(kind: str | None) -> str:
    return "newest first" if kind == "latest" else "most important first"
