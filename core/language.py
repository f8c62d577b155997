"""Language of a text, as an ISO 639-1 code ("und" when too short or unsure): one classifier
(py3langid) for articles at ingest and for questions when answering."""

from __future__ import annotations

import functools

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# Restricting the classifier to languages news here plausibly comes in avoids the classic
# misfires of an unrestricted langid on short text (German guessed as Luxembourgish, etc.).
LANGUAGES = (
    "en", "de", "fr", "es", "it", "nl", "pt", "pl", "cs", "sv", "da", "no", "fi",
    "ru", "uk", "tr", "ar", "zh", "ja", "ko",
)  # fmt: skip
# How prompts name each language ("answer in French").
LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "nl": "Dutch", "pt": "Portuguese", "pl": "Polish", "cs": "Czech", "sv": "Swedish",
    "da": "Danish", "no": "Norwegian", "fi": "Finnish", "ru": "Russian", "uk": "Ukrainian",
    "tr": "Turkish", "ar": "Arabic", "zh": "Chinese", "ja": "Japanese", "ko": "Korean",
}  # fmt: skip
assert set(LANGUAGE_NAMES) == set(LANGUAGES)
MIN_LETTERS = 20
MIN_CONFIDENCE = 0.5
# The classifier is linear in the text length; a few thousand characters decide any article.
SAMPLE_CHARS = 4000


@functools.cache
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def _classify(text: str) -> str:
    language, confidence = _identifier().classify(text)
    return language if confidence >= MIN_CONFIDENCE else "und"


def detect_language(text: str) -> str:
    """The language of an article (at least MIN_LETTERS letters, or "und")."""
    sample = text[:SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return "und"
    return _classify(sample)


def question_language(text: str) -> str:
    """The language of a question or a chat message, however short ("und" when unsure)."""
    return _classify(text[:SAMPLE_CHARS]) if any(ch.isalpha() for ch in text) else "und"
