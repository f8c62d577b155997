"""Comparing an answer sentence with passage text across English and German.

The citation check and the extractive backend both ask "does this passage sentence say what
that sentence says?". Without a cross-lingual model to hand in milliseconds, they compare what
survives translation: numbers (6,000 = 6.000 = 6000 = six thousand = sechstausend), names, and
words that share a stem ("Kremlin"/"Kreml", "soldiers"/"Soldaten").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD_RE = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
# 6,000 / 6.000 / 6 000 / 6000 / 2.5 / 2,5 / 25.000 — a digit run with separators.
NUMBER_RE = re.compile(r"(?<![\w.,])\d{1,3}(?:[ .,\u202f\u00a0]\d{3})+(?![\d])|\d+(?:[.,]\d+)?")
_MARKER_RE = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")

_EN_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_EN_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_DE_UNITS = {
    "eins": 1, "ein": 1, "eine": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6,
    "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12, "dreizehn": 13,
    "vierzehn": 14, "fünfzehn": 15, "sechzehn": 16, "siebzehn": 17, "achtzehn": 18,
    "neunzehn": 19, "zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50,
    "sechzig": 60, "siebzig": 70, "achtzig": 80, "neunzig": 90,
}  # fmt: skip
_DE_SCALES = {"hundert": 100, "tausend": 1_000, "million": 1_000_000, "millionen": 1_000_000,
              "milliarde": 1_000_000_000, "milliarden": 1_000_000_000}  # fmt: skip
# Small number words are ordinary prose ("the two leaders"); checking them flags too much.
_MIN_WORD_NUMBER = 13

STOPWORDS_WORDS = """
    a about above after again against all also am an and any are as at be because been before
    being between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me more
    most my no nor not now of off on once only or other our out over own same she should so some
    such than that the their them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    according said says say tell told given many much whose does did done per via
    der die das den dem des ein eine einer eines einem einen und oder aber auch als am an auf aus
    bei bis da dass daß durch für gegen hat hatte haben ich im in ist ja mit nach nicht noch nur ob
    sich sie so um und uns von vor war waren was wer wie wird wo zu zum zur über unter sein seine
    ihr ihre es er wir man wenn weil dieser diese dieses sind soll sollen werden wurde wurden
    bereits sowie schon mehr sehr viele wieviele welche welcher welches"""
STOPWORDS = frozenset(STOPWORDS_WORDS.split())

# Capitalised words that start English sentences or name days, months and titles: not names.
_NOT_NAMES_WORDS = """
    the a an this that these those it he she they we i in on at by for from to of and but or
    according as after before when while what who why how which where there here however also
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december president minister chancellor prime
    mr mrs ms dr the article articles passage passages yes no"""
_NOT_NAMES = frozenset(_NOT_NAMES_WORDS.split())


def fold(text: str) -> str:
    """Lower case, accents off, ß → ss, j → y: "Pjöngjang" and "Pyongyang" fold alike."""
    text = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.replace("j", "y")


def strip_markers(text: str) -> str:
    return _MARKER_RE.sub("", text)


def words(text: str) -> list[str]:
    return _WORD_RE.findall(strip_markers(text))


def content_terms(text: str) -> list[str]:
    """Folded words that carry meaning (no stopwords, at least 3 letters), in order, unique."""
    seen: dict[str, None] = {}
    for word in words(text):
        low = word.lower()
        if low in STOPWORDS or len(low) < 3:
            continue
        seen.setdefault(fold(low), None)
    return list(seen)


def _stem(term: str) -> str:
    # Shared stems survive translation often enough ("soldi-ers"/"solda-ten" share "sold").
    return term[: max(4, min(len(term) - 2, 6))] if len(term) > 4 else term


def term_in(term: str, folded_text: str) -> bool:
    """Whether a folded term, or its stem, occurs in already folded text."""
    return term in folded_text or _stem(term) in folded_text


def _digits_value(token: str) -> float | None:
    compact = re.sub(r"[ \u202f\u00a0]", "", token)
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", compact):
        return float(re.sub(r"[.,]", "", compact))  # thousands separators, either convention
    try:
        return float(compact.replace(",", "."))
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _german_word_value(word: str) -> int | None:
    """Value of a German number word, compounds included ("sechstausend", "zweihundert")."""
    if word in _DE_UNITS:
        return _DE_UNITS[word]
    for scale, factor in sorted(_DE_SCALES.items(), key=lambda kv: -len(kv[0])):
        if scale in word and word != scale:
            head, _, tail = word.partition(scale)
            head_value = _german_word_value(head) if head else 1
            tail_value = _german_word_value(tail) if tail else 0
            if head_value is not None and tail_value is not None:
                return head_value * factor + tail_value
    if "und" in word:  # einundzwanzig
        unit, _, tens = word.partition("und")
        if unit in _DE_UNITS and tens in _DE_UNITS:
            return _DE_UNITS[unit] + _DE_UNITS[tens]
    return None


def _word_numbers(text: str) -> set[float]:
    """Numbers written as words: "six thousand", "twenty-five", "sechstausend"."""
    found: set[float] = set()
    total, current, inside = 0.0, 0.0, False

    def flush() -> None:
        if inside and total + current >= _MIN_WORD_NUMBER:
            found.add(total + current)

    for token in [*re.findall(r"[a-zäöüß]+", text.lower()), "."]:
        if token in _EN_UNITS:
            current, inside = current + _EN_UNITS[token], True
        elif token in _EN_SCALES and inside:
            if _EN_SCALES[token] == 100:
                current *= 100
            else:
                total, current = total + (current or 1) * _EN_SCALES[token], 0.0
        elif token == "and" and inside:
            continue
        else:
            flush()
            total, current, inside = 0.0, 0.0, False
            german = _german_word_value(token)
            if german is not None and german >= _MIN_WORD_NUMBER:
                found.add(float(german))
    return found


def numbers_in(text: str) -> set[float]:
    """Every number in the text, as a value: digits in either convention and number words."""
    text = strip_markers(text)
    values = set()
    for match in NUMBER_RE.finditer(text):
        value = _digits_value(match.group())
        if value is not None:
            values.add(value)
    # "6 million", "six thousand": scale words multiply the number before them.
    for match in re.finditer(r"(\d+(?:[.,]\d+)?)\s+(thousand|million|billion)", text, re.I):
        base = _digits_value(match.group(1))
        if base is not None:
            values.add(base * _EN_SCALES[match.group(2).lower()])
    for match in re.finditer(r"(\d+(?:[.,]\d+)?)\s+(Millionen|Million|Milliarden|Mio\.)", text):
        base = _digits_value(match.group(1))
        scale = 1_000_000_000 if match.group(2).startswith("Milliard") else 1_000_000
        if base is not None:
            values.add(base * scale)
    values |= _word_numbers(text)
    return values


def format_number(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


def names_in(sentence: str) -> list[str]:
    """Runs of capitalised words that look like names ("Yang Moo Jin", "Kremlin").

    The first word of the sentence counts only when it starts a run of two or more, since any
    word is capitalised there.
    """
    tokens = words(sentence)
    names: list[str] = []
    run: list[str] = []
    for i, token in enumerate([*tokens, "."]):
        capital = token[:1].isupper() and token.lower() not in _NOT_NAMES
        if capital:
            run.append(token)
            continue
        if run:
            starts_sentence = i - len(run) == 0
            if not (starts_sentence and len(run) == 1):
                names.append(" ".join(run))
            run = []
    return names


def name_in(name: str, folded_text: str) -> bool:
    """A name is found when any of its parts (or a part's stem) occurs in the folded text."""
    return any(term_in(fold(part), folded_text) for part in name.split() if len(part) > 1)
