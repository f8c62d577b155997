"""Every fixed text newsqa says itself, in the languages it has them in: the decline and the
small-talk replies. (Model prompts are in prompts/; these are never sent to a model.)"""

from __future__ import annotations

from typing import Literal

from core.language import LANGUAGE_NAMES, question_language

ReplyKind = Literal["decline", "greeting", "thanks", "goodbye"]

REPLIES: dict[ReplyKind, dict[str, str]] = {
    "decline": {
        "en": "The articles do not say.",
        "de": "Die Artikel enthalten dazu keine Angaben.",
        "fr": "Les articles ne le disent pas.",
    },
    "greeting": {
        "en": "Hello! Ask me anything about the news articles in the collection, and I will "
        "answer with numbered citations to the passages I used.",
        "de": "Hallo! Fragen Sie mich etwas zu den Nachrichtenartikeln der Sammlung; ich antworte "
        "mit nummerierten Belegen aus den Textstellen.",
    },
    "thanks": {
        "en": "You're welcome! Ask me another question about the news whenever you like.",
        "de": "Gern geschehen! Fragen Sie gern weiter zu den Nachrichten.",
    },
    "goodbye": {
        "en": "Goodbye! Come back with more questions about the news any time.",
        "de": "Auf Wiedersehen! Bis zur nächsten Frage.",
    },
}


def answer_language(question: str) -> str:
    """The language newsqa answers `question` in: the question's own, as the ingest's language
    detector reads it, or English when the detector is unsure. (A fixed text newsqa has no
    translation of falls back to English in `reply`.)"""
    language = question_language(question)
    return language if language in LANGUAGE_NAMES else "en"


def reply(kind: ReplyKind, language: str) -> str:
    texts = REPLIES[kind]
    return texts.get(language, texts["en"])


def decline_text(question: str) -> str:
    return reply("decline", answer_language(question))
