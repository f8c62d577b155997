"""Follow-up questions into standalone questions, and small talk that needs no search.

"How does he interpret the phone call?" cannot be searched on its own: the search must know who
"he" is. With a language model the rewrite prompt asks for a standalone question; without one (and
as a safety net behind the model) the names of the previous question are added to the query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from assistant.matching import names_in
from assistant.models import Turn
from assistant.replies import reply
from core.numbers import number_values
from core.words import content_terms, fold, words
from prompts import template

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

ChitchatKind = Literal["greeting", "thanks", "goodbye"]

# Small talk, by kind and by the language its words are in (the reply's language).
_CHITCHAT: dict[tuple[ChitchatKind, str], re.Pattern[str]] = {
    ("greeting", "en"): re.compile(
        r"^(?:hi|hello|hey|good\s+(?:morning|afternoon|evening)|howdy)(?:\s+there)?$"
    ),
    ("greeting", "de"): re.compile(
        r"^(?:hallo|servus|moin|guten\s+(?:tag|morgen|abend)|grüß\s+gott)$"
    ),
    ("thanks", "en"): re.compile(
        r"^(?:(?:many\s+)?thanks?(?:\s+you)?(?:\s+(?:so|very)\s+much)?(?:\s+a\s+lot)?|thx|ty|"
        r"merci|cheers|great|perfect|super|ok(?:ay)?(?:\s+thanks)?)$"
    ),
    ("thanks", "de"): re.compile(r"^(?:danke(?:\s+schön|\s+sehr)?|vielen\s+dank)$"),
    ("goodbye", "en"): re.compile(r"^(?:bye|goodbye|see\s+you|ciao)$"),
    ("goodbye", "de"): re.compile(r"^(?:tschüss|tschüs|auf\s+wiedersehen)$"),
}

# Words that make a question lean on an earlier turn.
_REFERRING_WORDS = """
    he she it they him her his hers its their them this that these those there then
    er sie es ihn ihm ihr ihre sein seine dies diese dieser dieses das dort damals"""
_REFERRING = frozenset(_REFERRING_WORDS.split())
_CONTINUATIONS = re.compile(r"^(?:and|but|what about|how about|und|aber|was ist mit)\b", re.I)


def small_talk(text: str) -> tuple[ChitchatKind, str] | None:
    """(kind, language) when the message is only a greeting, thanks or goodbye; None for a
    real question."""
    bare = re.sub(r"[\s!.,?:;)(😊🙂👍]+", " ", text.lower()).strip()
    bare = re.sub(r"\s+", " ", bare)
    for (kind, language), pattern in _CHITCHAT.items():
        if pattern.match(bare):
            return kind, language
    return None


def chitchat_kind(text: str) -> ChitchatKind | None:
    found = small_talk(text)
    return found[0] if found else None


def chitchat_reply(text: str) -> str | None:
    """The polite reply to small talk, in the language it was made in; None for a question."""
    found = small_talk(text)
    return reply(found[0], found[1]) if found else None


def needs_context(question: str) -> bool:
    """Whether a question refers back to the conversation rather than standing alone."""
    tokens = [w.lower() for w in words(question)]
    if _CONTINUATIONS.match(question.strip()):
        return True
    if any(t in _REFERRING for t in tokens):
        return True
    return len(content_terms(question)) <= 1


def _previous_questions(history: Sequence[Turn]) -> list[str]:
    return [
        t.content for t in reversed(history) if t.role == "user" and not chitchat_kind(t.content)
    ]


def context_terms(question: str, history: Sequence[Turn]) -> list[str]:
    """Names (or, lacking names, key words) of the latest earlier question that the new one lacks.

    Earlier questions are searched newest first, so "he" means the person asked about last.
    """
    have = fold(question)
    for previous in _previous_questions(history):
        names = [n for n in names_in(previous) if fold(n) not in have]
        if names:
            return names
        terms = [t for t in content_terms(previous) if t not in have]
        if terms:
            return terms
    return []


def rewrite_rule_based(question: str, history: Sequence[Turn]) -> str:
    """The question with the previous question's names added when it refers back to them."""
    question = question.strip()
    if not history or not needs_context(question):
        return question
    extra = context_terms(question, history)
    return f"{question} ({' '.join(extra)})" if extra else question


def _history_text(history: Sequence[Turn], limit: int = 6) -> str:
    lines = []
    for turn in list(history)[-limit:]:
        who = "User" if turn.role == "user" else "Assistant"
        content = re.sub(r"\s+", " ", turn.content).strip()
        lines.append(f"{who}: {content[:400]}")
    return "\n".join(lines)


# How a question ends in the scripts news comes in (Latin, CJK full width, Arabic).
_QUESTION_MARKS = ("?", "？", "؟")
# What `rewrite_rule_based` and `rewrite_with_llm` append: " (Name Name)".
_ADDED_NAMES = re.compile(r"\s+\([^()]*\)$")


def without_added_names(asked: str) -> str:
    """A rewritten question without the names the rewrite added after it for the search
    ("How many more are expected? (North Korean Ukraine)" → "How many more are expected?"):
    the question in words a reader would write, for measures that the search's extra names
    would sway."""
    stripped = _ADDED_NAMES.sub("", asked)
    return stripped if stripped.endswith(_QUESTION_MARKS) else asked


def rewrite_with_llm(chat_model: BaseChatModel, question: str, history: Sequence[Turn]) -> str:
    """A standalone question written by the model, checked, with the rule-based names as a
    floor.

    Small models sometimes answer instead of rewriting ("Seoul" for "Where is his
    university?"), or drop the person the question is about. The rewrite is what the answer
    model is asked and what the verification takes as given, so a reply is discarded for the
    rule-based rewrite when it is empty, long or multi-line, when a question came in and no
    question came back, or when it states a figure that neither the question nor the
    conversation holds (an answer made up in the rewrite would pass as "given"). Names the
    rule-based rewrite would add are added when the model left them out.
    """
    question = question.strip()
    if not history or not needs_context(question):
        return question
    shown = _history_text(history)
    prompt = template("rewrite").fill(history=shown, question=question)
    from langchain_core.messages import HumanMessage  # with the model, not at start-up

    reply = chat_model.invoke([HumanMessage(content=prompt)]).text.strip()
    reply = reply.strip().strip('"').strip()
    if not _keeps_the_question(question, reply, shown):
        return rewrite_rule_based(question, history)
    missing = [n for n in context_terms(question, history) if fold(n) not in fold(reply)]
    return f"{reply} ({' '.join(missing)})" if missing else reply


def _keeps_the_question(question: str, reply: str, shown: str) -> bool:
    """Whether the reply can stand for the question; `shown` is the conversation as the model
    read it (its figures are the ones a rewrite may repeat)."""
    if not reply or "\n" in reply or len(reply) > 3 * len(question) + 80:
        return False
    if question.endswith(_QUESTION_MARKS) and not reply.endswith(_QUESTION_MARKS):
        return False
    known = number_values(f"{question}\n{shown}")
    return number_values(reply) <= known
