"""Numbers in text: where they are and what they are worth, one rule for every reader.

The lexical index, the citation check, the extractive matcher and the evaluator all call this
module, so "6,000", "6.000", "6 000", "6'000" and "6 000" are one number, 6000, to all of them.

A written number is a run of digit groups. A group after a space must have exactly three digits
and end the word ("6 000 troops" is 6000; "top 10 100m runners" stays 10 and 100). Groups of
exactly three digits after the first are thousands; one other group after "." or "," is a
decimal part ("2,5" = "2.5"); thousands followed by the other mark's decimals are both
("2.500,50" = "2,500.50" = 2500.5). Anything else, a date such as 24.11.2026 say, is its digit
groups one by one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from core.markers import find_markers, strip_markers

# Marks that group digits: comma, full stop, apostrophes (Swiss "6'000"), no-break, narrow
# no-break and thin spaces. A plain space groups only a three-digit group that ends the word.
_GROUP_MARKS = ".,'’\u00a0\u202f\u2009"
_SEP = rf"(?:[{_GROUP_MARKS}](?=\d)|\ (?=\d{{3}}(?!\w)))"
NUMBER_PATTERN = rf"(?<![^\W\d_])\d+(?:{_SEP}\d+)*"
_NUMBER = re.compile(NUMBER_PATTERN)
_SPLIT = re.compile(rf"[{_GROUP_MARKS} ]")

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
# "6 million", "2,5 Milliarden": a scale word multiplies the number before it.
_SCALED = re.compile(
    rf"({NUMBER_PATTERN})\s+(thousand|million|billion|Millionen|Million|Milliarden|Milliarde|"
    r"Mio\.|Mrd\.)",
    re.IGNORECASE,
)
_SCALE_OF = {
    "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
    "millionen": 1_000_000, "mio.": 1_000_000, "milliarden": 1_000_000_000,
    "milliarde": 1_000_000_000, "mrd.": 1_000_000_000,
}  # fmt: skip
# Small number words are ordinary prose ("the two leaders"); only larger ones count as figures,
# unless a reader asked for one ("how many": "three weeks"). "One" is an article as often.
_MIN_WORD_NUMBER = 13
SMALL_WORD_NUMBER = 2


@dataclass(frozen=True)
class Number:
    """One written number: its place in the text and its canonical forms ("6000", "2.5")."""

    text: str
    start: int
    end: int
    forms: tuple[str, ...]

    @property
    def values(self) -> tuple[float, ...]:
        return tuple(float(f) for f in self.forms)


def _int_part(digits: str) -> str:
    return digits.lstrip("0") or "0"


def _decimal(whole: str, fraction: str) -> str:
    fraction = fraction.rstrip("0")
    return f"{_int_part(whole)}.{fraction}" if fraction else _int_part(whole)


def canonical(raw: str) -> tuple[str, ...]:
    """The canonical forms of one written number (one form, or its groups when it is none)."""
    groups = _SPLIT.split(raw)
    marks = _SPLIT.findall(raw)
    if len(groups) == 1:
        return (_int_part(raw),)
    if len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]) and len(set(marks)) == 1:
        return (_int_part("".join(groups)),)
    if len(groups) == 2 and marks[0] in ".,":
        return (_decimal(groups[0], groups[1]),)
    if (
        marks[-1] in ".,"
        and len(set(marks[:-1])) == 1
        and marks[-1] != marks[0]
        and len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:-1])
    ):
        return (_decimal("".join(groups[:-1]), groups[-1]),)
    return tuple(_int_part(g) for g in groups)


def _outside_markers(text: str) -> Callable[[re.Match[str]], bool]:
    spans = [(m.start, m.end) for m in find_markers(text)]
    return lambda match: not any(start <= match.start() < end for start, end in spans)


def find_numbers(text: str) -> list[Number]:
    """Every number written in digits, in text order; the digits of `[n]` markers are none."""
    keep = _outside_markers(text)
    return [
        Number(m.group(), m.start(), m.end(), canonical(m.group()))
        for m in _NUMBER.finditer(text)
        if keep(m)
    ]


def _is_sign(char: str, *, after: bool) -> bool:
    return unicodedata.category(char) == "Sc" or (after and char in "%‰")


def with_signs(text: str, start: int, end: int) -> tuple[int, int]:
    """The figure at [start, end) of `text` widened to the signs written on it: a currency sign
    before it, with the letters joined to the sign ("$11", "US$3.6"), and a currency, percent
    or per-mille sign after it, joined or after one space ("19%", "12 €"). Any currency sign
    counts (Unicode's category Sc), so none has to be listed."""
    if start and _is_sign(text[start - 1], after=False):
        start -= 1
        while start and text[start - 1].isascii() and text[start - 1].isupper():
            start -= 1
    after = re.match(r" ?(\S)", text[end:])
    if after and _is_sign(after.group(1), after=True):
        end += after.end()
    return start, end


def replace_numbers(text: str, replace: Callable[[Number], str]) -> str:
    """The text with each number written in digits replaced by `replace(number)`."""

    keep = _outside_markers(text)

    def one(match: re.Match[str]) -> str:
        if not keep(match):
            return match.group()
        return replace(Number(match.group(), match.start(), match.end(), canonical(match.group())))

    return _NUMBER.sub(one, text)


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


def find_word_numbers(text: str, minimum: float = _MIN_WORD_NUMBER) -> list[Number]:
    """Numbers written as words, in text order, worth at least `minimum`: "six thousand",
    "twenty-five", "sechstausend"; each with its place in the text and its value."""
    found: list[Number] = []
    value, current, start, end = 0.0, 0.0, -1, -1

    def flush() -> None:
        if start >= 0 and value + current >= minimum:
            found.append(Number(text[start:end], start, end, (str(int(value + current)),)))

    for match in [*re.finditer(r"[a-zäöüß]+", text, re.I), None]:
        token = match.group().lower() if match else "."
        if token in _EN_UNITS:
            current += _EN_UNITS[token]
            start = match.start() if start < 0 else start
            end = match.end()
        elif token in _EN_SCALES and start >= 0:
            if _EN_SCALES[token] == 100:
                current *= 100
            else:
                value, current = value + (current or 1) * _EN_SCALES[token], 0.0
            end = match.end()
        elif token == "and" and start >= 0:
            continue
        else:
            flush()
            value, current, start, end = 0.0, 0.0, -1, -1
            german = _german_word_value(token)
            if match and german is not None and german >= minimum:
                found.append(Number(match.group(), match.start(), match.end(), (str(german),)))
    return found


def find_figures(text: str, *, small_words: bool = False) -> list[Number]:
    """Every figure written in digits or in words, digits first; small number words ("three
    weeks") only with `small_words`, since in prose they are rarely a figure."""
    minimum = SMALL_WORD_NUMBER if small_words else _MIN_WORD_NUMBER
    return find_numbers(text) + find_word_numbers(text, minimum)


def number_values(text: str, *, small_words: bool = False) -> set[float]:
    """Every figure the text states, as values: digits in any convention, digits with a scale
    word ("6 million"), and number words ("six thousand", "sechstausend"), small ones only with
    `small_words` (`find_figures`)."""
    text = strip_markers(text)
    values = {v for number in find_figures(text, small_words=small_words) for v in number.values}
    for match in _SCALED.finditer(text):
        forms = canonical(match.group(1))
        if len(forms) == 1:
            values.add(float(forms[0]) * _SCALE_OF[match.group(2).lower()])
    return values


# A figure written as an age: "72-jährige", "39-year-old", "41 Jahre alt", "aged 39", "at the
# age of 38", "im Alter von 38 Jahren", "mit 39 Jahren", "âgé de 39 ans". An age answers "how
# old" and nothing else: "der 72-jährige Kremlchef" does not say how many soldiers were lost.
_AGE = re.compile(
    rf"(?:\b(?:aged|at\s+(?:the\s+)?age\s+of|age\s+of|im\s+Alter\s+von|âgée?s?\s+de)\s+"
    rf"(?P<before>{NUMBER_PATTERN})"
    rf"|\bmit\s+(?P<mit>{NUMBER_PATTERN})\s+Jahren\b"
    rf"|(?P<after>{NUMBER_PATTERN})(?:-|\s)?(?:jährig\w*|years?-old\w*|years?\s+old\b|"
    r"Jahre\s+alt\b))",
    re.IGNORECASE,
)


def find_ages(text: str) -> list[Number]:
    """Every figure written as an age (the figure alone, not the words that make it one)."""
    found = []
    for match in _AGE.finditer(text):
        group = next(g for g in ("before", "mit", "after") if match.group(g))
        raw = match.group(group)
        found.append(Number(raw, match.start(group), match.end(group), canonical(raw)))
    return found


def without_ages(text: str) -> str:
    """`text` with each figure written as an age blanked out (same length, same offsets)."""
    for age in find_ages(text):
        text = text[: age.start] + " " * (age.end - age.start) + text[age.end :]
    return text


def words_as_digits(text: str) -> str:
    """`text` with each number written in words, small ones too, in digits: "nine years" reads
    "9 years", "sechstausend Soldaten" "6,000 Soldaten"."""
    out, last = [], 0
    for number in find_word_numbers(text, SMALL_WORD_NUMBER):
        out += [text[last : number.start], format_number(number.values[0])]
        last = number.end
    return "".join(out) + text[last:]


def format_number(value: float) -> str:
    """A value written the English way: 6,000 and 2.5."""
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


# How a reader's language writes thousands and decimals (the languages news here comes in most).
_SEPARATORS = {"en": (",", "."), "de": (".", ",")}


def for_reader(text: str, language: str) -> str:
    """`text` with each number whose reading is certain written as a reader of `language`
    writes it: "11.000 Soldaten" reads "11,000 Soldaten" in English, "38,4" becomes "38.4".
    Plain digits, numbers that could be read two ways, and languages without a rule here stay
    as written."""
    separators = _SEPARATORS.get(language)
    if separators is None:
        return text
    thousands, point = separators

    def rewrite(number: Number) -> str:
        # Plain digits ("2025", "6000") read the same everywhere: a year must stay a year.
        if len(number.forms) != 1 or not any(mark in number.text for mark in ",."):
            return number.text
        value = float(number.forms[0])
        written = format_number(value)  # the English way
        if point == ",":
            written = written.replace(",", "\0").replace(".", ",").replace("\0", thousands)
        return written

    return replace_numbers(text, rewrite)
