"""Words: the one tokenizer, folding, stop words and stems, for the index and the matcher alike.

A token is a number (`core.numbers`) or a word: letters then letters or digits, hyphenated
parts kept together ("Pro-Bowl-Selektionen", "COVID-19"). Folding lowers case and drops
accents, so that "Zürich", "Zurich" and a stemmer's "zurich" meet, and writes "j" as "y", the
two spellings of Korean and Chinese names in German and English news ("Pjöngjang"/"Pyongyang").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS, STOPWORDS_GERMAN

from core.markers import strip_markers
from core.numbers import NUMBER_PATTERN

WORD_PATTERN = r"[^\W\d_]\w*(?:-\w+)*"
_TOKEN = re.compile(rf"{NUMBER_PATTERN}|{WORD_PATTERN}")
_WORD = re.compile(WORD_PATTERN)

# Stop words are the function words of a language: they carry no topic. Question words and
# reporting verbs join the published lists; "won" leaves the English one ("who won the
# election" is about winning).
_EXTRA_STOPWORDS = {
    "en": """also would could said says say tell told given according per via done many much
        whose one""",
    "de": """viele wieviel wieviele wann wer warum welches wurde wurden bereits sowie schon mehr
        sollen ja""",
}
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": (frozenset(STOPWORDS_EN_PLUS) - {"won"}) | frozenset(_EXTRA_STOPWORDS["en"].split()),
    "de": frozenset(STOPWORDS_GERMAN) | frozenset(_EXTRA_STOPWORDS["de"].split()),
}
_ALL_STOPWORDS = _STOPWORDS["en"] | _STOPWORDS["de"]
_STEMMERS = {"en": "english", "de": "german"}
STEM_LANGUAGES = tuple(_STEMMERS)


def tokens(text: str) -> list[str]:
    """Word and number tokens in text order, as written (NFKC-normalised)."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text))


def words(text: str) -> list[str]:
    """The words of a text, markers and numbers left out, as written."""
    return _WORD.findall(unicodedata.normalize("NFKC", strip_markers(text)))


def fold(text: str) -> str:
    """Lower case, accents off, ß as ss, j as y (see the module's note)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("j", "y")


def stopwords(language: str | None = None) -> frozenset[str]:
    """The stop words of `language` (en or de), or of both when it is None or another one."""
    return _STOPWORDS.get(language or "", _ALL_STOPWORDS)


@lru_cache(maxsize=8)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(_STEMMERS.get(language, "english"))


def stem(word: str, language: str) -> str:
    """The folded Snowball stem of a lower-case word in `language` (English for any other)."""
    return fold(_stemmer(language).stemWord(word))


def content_terms(text: str) -> list[str]:
    """Folded words that carry meaning (no stop word of either language, at least 3 letters),
    each once, in order."""
    stop = stopwords()
    seen: dict[str, None] = {}
    for word in words(text):
        low = word.lower()
        if low in stop or len(low) < 3:
            continue
        seen.setdefault(fold(low), None)
    return list(seen)


SHINGLE_WORDS = 3


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[str]:
    """The text's runs of `size` lower-case tokens: two texts are near-duplicates when these
    overlap almost entirely (Jaccard), whatever else differs (a byline, a teaser, a footer)."""
    words = [token.casefold() for token in tokens(text)]
    if len(words) < size:
        return frozenset({" ".join(words)}) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
