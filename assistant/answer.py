"""What a small language model is shown: the few sentences that answer, in the asker's language.

Measured on the seed questions, Qwen2.5-Coder-1.5B shown whole German passages for an English
question picked the wrong one of two numbers in a sentence ("11,000 are expected") and invented
figures for a question the passages do not answer. So the model sees less, and plainer:
- evidence: only the sentences the question's terms and type point at (extractive picks), at
  most MAX_EVIDENCE_SENTENCES, each under its passage number; with no such sentence there is
  nothing to answer from, and the question is declined without asking the model;
- translation: evidence in another language than the question is first translated by the same
  model, all passages in one prompt, so the answering step reads the question's own language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.extractive import pick_sentences
from assistant.models import Passage
from assistant.replies import answer_language
from core.numbers import Number, number_values, replace_numbers
from prompts import template

MAX_EVIDENCE_SENTENCES = 2
_LANGUAGE_NAMES = {"en": "English", "de": "German"}


def evidence_passages(question: str, passages: Sequence[Passage]) -> list[Passage]:
    """Copies of the passages that hold answering sentences, best first, `context` cut to them."""
    picks = pick_sentences(question, passages, limit=MAX_EVIDENCE_SENTENCES, close=0.8)
    spans: dict[int, list[tuple[int, int]]] = {}
    for pick in picks:
        spans.setdefault(pick.passage.number, []).append((pick.start, pick.end))
    by_number = {p.number: p for p in passages}
    out = []
    for number, cut in spans.items():
        passage = by_number[number]
        text = " … ".join(re.sub(r"\s+", " ", passage.text[s:e]).strip() for s, e in sorted(cut))
        out.append(passage.model_copy(update={"context": text}))
    return out


def needs_translation(question: str, passages: Sequence[Passage]) -> bool:
    lang = answer_language(question)
    return any(p.language not in (lang, "und") for p in passages)


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


def translate_evidence(
    model: BaseChatModel, question: str, passages: Sequence[Passage]
) -> list[Passage]:
    """The passages with `context` translated into the question's language.

    A passage whose translation is missing from the reply keeps its original text, and one whose
    translation lost a number of the original is kept as it was: a translation must not change
    a figure the answer will quote.
    """
    language = _LANGUAGE_NAMES[answer_language(question)]
    masked = {p.number: _mask_numbers(p.context) for p in passages}
    listing = "\n".join(f"[{p.number}] {masked[p.number][0]}" for p in passages)
    prompt = template("translate").fill(language=language, passages=listing)
    reply = model.invoke([HumanMessage(content=prompt)]).text
    found = {
        int(m.group(1)): m.group(2).strip()
        for m in re.finditer(r"^\s*\[(\d+)\]\s*(.+?)\s*$", reply, re.M)
    }
    out = []
    for p in passages:
        text = found.get(p.number)
        if text is not None:
            text = _unmask_numbers(text, masked[p.number][1])
        if text and number_values(p.context) <= number_values(text):
            out.append(p.model_copy(update={"context": text}))
        else:
            out.append(p)
    return out


_SLOT = re.compile(r"\bN(\d+)\b")


def _mask_numbers(text: str) -> tuple[str, list[str]]:
    """The text with each number replaced by a slot (N1, N2, ...), and the numbers.

    The 1.5B model garbles figures it translates ("6000" came back as "600", "11.000" as
    "11, 000"); slots come back intact, and the figures go back in exactly as written.
    """
    if _SLOT.search(text):  # the text has slot-like words of its own: leave it as it is
        return text, []
    numbers: list[str] = []

    def slot(number: Number) -> str:
        numbers.append(number.text)
        return f"N{len(numbers)}"

    return replace_numbers(text, slot), numbers


def _unmask_numbers(text: str, numbers: list[str]) -> str | None:
    """The translation with its slots filled again; None if a slot is missing or unknown."""
    if not numbers:
        return text
    seen = {int(m.group(1)) for m in _SLOT.finditer(text)}
    if seen != set(range(1, len(numbers) + 1)):
        return None
    return _SLOT.sub(lambda m: numbers[int(m.group(1)) - 1], text)


def answer_messages(question: str, passages: Sequence[Passage]) -> list:
    """The system and user messages the model answers from (prompts/system.md, answer.md).

    The answer language is named outright: told only "the language of the question", the 1.5B
    model answered German questions in English, or in a mix ("The Broncos verlor ...").
    """
    user = template("answer").fill(
        passages=format_passages(passages),
        question=question,
        language=_LANGUAGE_NAMES[answer_language(question)],
    )
    return [SystemMessage(content=template("system").text), HumanMessage(content=user)]
