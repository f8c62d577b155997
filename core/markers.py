"""`[n]` citation markers: the one reading of them for the check, the renderer and the evaluator.

A marker is `[n]`, or several numbers in one pair of brackets: "[1, 2]", "[1,2]", "[1; 2]".
Adjacent markers ("[1][2]") are two markers. Markers are written as "[1][2]" (`marker_text`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

MARKER_PATTERN = r"\[\d+(?:\s*[,;]\s*\d+)*\]"
_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# The space before a marker belongs to it: "6,000 more [1]." without it is "6,000 more.".
_WITH_SPACE = re.compile(rf"[ \t\u00a0]*{MARKER_PATTERN}")
_LEADING = re.compile(rf"^((?:{MARKER_PATTERN}\s*)+)(.*)$", re.S)


@dataclass(frozen=True)
class Marker:
    start: int
    end: int
    numbers: tuple[int, ...]


def find_markers(text: str) -> list[Marker]:
    """Every marker in text order, with the passage numbers it names."""
    return [
        Marker(m.start(), m.end(), tuple(int(n) for n in re.split(r"\s*[,;]\s*", m.group(1))))
        for m in _MARKER.finditer(text)
    ]


def cited_numbers(text: str) -> list[int]:
    """The passage numbers the text cites, each once, in order of first mention."""
    seen: dict[int, None] = {}
    for marker in find_markers(text):
        for number in marker.numbers:
            seen.setdefault(number, None)
    return list(seen)


def strip_markers(text: str) -> str:
    """The text without its markers (and the spaces that led up to them)."""
    return _WITH_SPACE.sub("", text)


def marker_text(numbers: Iterable[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def leading_markers(text: str) -> tuple[str, str]:
    """Split off markers that open the text ("[1] Next …" → ("[1]", "Next …"))."""
    match = _LEADING.match(text)
    if not match:
        return "", text
    return match.group(1).strip(), match.group(2)


def renumbering(text: str, only: Collection[int] | None = None) -> dict[int, int]:
    """Display numbers for the passages `text` cites: 1..n in the order they first appear, so
    that an answer citing passages 3 and 1 reads "[1] … [2]" (the passages keep their ranks).
    With `only`, other numbers (a marker that resolved to no passage) get none."""
    order = [n for n in cited_numbers(text) if only is None or n in only]
    return {number: shown for shown, number in enumerate(order, start=1)}


def renumber(text: str, numbers: dict[int, int]) -> str:
    """`text` with each marker's numbers replaced by `numbers` (those it lacks stay as written)."""
    pieces: list[str] = []
    cursor = 0
    for marker in find_markers(text):
        pieces.append(text[cursor : marker.start])
        pieces.append(marker_text(numbers.get(n, n) for n in marker.numbers))
        cursor = marker.end
    pieces.append(text[cursor:])
    return "".join(pieces)
