"""A rule-based sentence splitter for German and English news text, returning character spans.

Rules, in order: a paragraph break always ends a sentence; a single line break does too unless
the next line starts in lower case (hard-wrapped text); inside a line, `.`, `!`, `?` or `…`
(with any closing quotes or brackets) followed by white space ends a sentence unless the next
word starts in lower case, or the full stop belongs to an abbreviation ("Dr.", "z. B.", "U.S."),
an initial ("John F. Kennedy") or an ordinal ("13. August", "am 3. Oktober"). "11.000" and "3.5"
never split, because no white space follows the dot.
"""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset((
    # German
    "dr", "prof", "hr", "fr", "frl", "nr", "str", "bzw", "ca", "vgl", "evtl", "chr",
    "ggf", "inkl", "zzgl", "bspw", "sog", "mio", "mrd", "tsd", "abs", "art", "bd", "jh", "jhd",
    "min", "max", "mind", "sek", "std", "tel", "ev", "rd", "gem", "lt", "u.a", "z.b", "d.h",
    "u.u", "o.ä", "s.o", "i.d.r", "z.t", "v.a", "a.d",
    # English
    "mr", "mrs", "ms", "mx", "sr", "jr", "st", "mt", "ft", "gen", "col", "maj", "capt", "cmdr",
    "sgt", "rep", "sen", "gov", "pres", "supt", "rev", "hon", "no", "nos", "vol", "vs", "approx",
    "est", "dept", "univ", "assn", "ave", "blvd", "fig", "figs", "e.g", "i.e", "ph.d",
    # Month abbreviations, both languages
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "okt", "nov", "dec",
    "dez",
))  # fmt: skip
_MONTHS = frozenset((
    "januar", "jänner", "februar", "märz", "april", "mai", "juni", "juli", "august",
    "september", "oktober", "november", "dezember", "january", "february", "march", "may",
    "june", "july", "october", "december", "jan", "feb", "mär", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "okt", "oct", "nov", "dez", "dec",
))  # fmt: skip
# Abbreviations that end sentences as often as they sit inside one ("... said Apple Inc. The"
# but "Selzer & Co. Sept. 12"; "Sacramento, Calif. The" but "Calif. officials"): like "U.S.",
# the next word decides. US state abbreviations are the datelines of American news. ("etc." and
# "usw." close enumerations and are in no list: a capital after them starts a sentence.)
_AMBIGUOUS = frozenset((
    "co", "inc", "corp", "ltd", "llc", "bros", "ala", "ariz", "ark", "calif",
    "colo", "conn", "del", "fla", "ga", "ill", "ind", "kan", "ky", "la", "md", "mass", "mich",
    "minn", "miss", "mo", "mont", "neb", "nev", "okla", "ore", "pa", "tenn", "tex", "va", "vt",
    "wash", "wis", "wyo",
))  # fmt: skip
# Words before an ordinal number in German ("am 13.", "der 3.", "seit dem 1.").
_ORDINAL_LEADS = frozenset((
    "am", "vom", "zum", "bis", "seit", "ab", "dem", "den", "der", "die", "das", "des", "im",
    "beim", "zur", "ihr", "ihrem", "sein", "seinem",
))  # fmt: skip
# After a dotted abbreviation such as "U.S." a sentence may still end; these words say it did.
_SENTENCE_STARTERS = frozenset((
    "the", "a", "an", "it", "its", "he", "she", "they", "we", "i", "this", "that", "these",
    "those", "there", "but", "and", "so", "yet", "in", "on", "at", "for", "after", "before",
    "when", "while", "if", "as", "der", "die", "das", "er", "sie", "es", "wir", "ich", "ein",
    "eine", "aber", "und", "doch", "im", "am", "nach", "vor", "als", "wenn",
))  # fmt: skip

_PARAGRAPHS = re.compile(r"\n[ \t]*\n\s*")
# A line break and the first character of the next line.
_LINE_BREAK = re.compile(r"\n[ \t]*(\S)")
_TERMINAL = re.compile(r"[.!?…]+[\"'”“’»«)\]]*(?=\s|$)")
_NEXT_CHAR = re.compile(r"\s*(\S)")
_WORD_BEFORE = re.compile(r"([\w.]+)\.$")
_NEXT_WORD = re.compile(r"\s*[\"'„“”‘»«(\[]*([\w.]+)")
_DOTTED = re.compile(r"^(?:\w\.)+\w$")
# Marks before a number that make it a rank, not a sentence end ("Weiter: 10. Gruber").
_RANK_LEADS = frozenset(":–—-(/")
# How far back to look for the word before a full stop; longer words are never abbreviations.
_LOOK_BACK = 40

# All look-arounds below work on positions in the whole text (no slicing of the remainder), so
# splitting stays linear even for a 50,000-character paragraph without line breaks.


def _ends_sentence(text: str, match: re.Match[str], start: int, end: int) -> bool:
    following = _NEXT_CHAR.match(text, match.end(), end)
    if following is None:
        return True
    if following.group(1).islower():
        return False
    mark = match.group()
    if "." not in mark or any(c in mark for c in "!?…"):
        return True
    window_start = max(0, match.start() - _LOOK_BACK)
    before = _WORD_BEFORE.search(text[window_start : match.start() + 1])
    if before is None:
        return True
    word = before.group(1).lower()
    if word in _ABBREVIATIONS:
        return False
    if len(word) == 1 and word.isalpha():
        return False  # an initial, or part of "z. B."
    next_match = _NEXT_WORD.match(text, match.end(), end)
    next_word = next_match.group(1).lower() if next_match else ""
    if _DOTTED.match(word) or word in _AMBIGUOUS:
        return next_word in _SENTENCE_STARTERS  # "U.S. The" ends; "U.S. Army" does not
    if word.isdigit() and len(word) <= 2:
        if next_word.rstrip(".") in _MONTHS:
            return False
        word_start = window_start + before.start()
        lead_text = text[max(start, word_start - _LOOK_BACK) : word_start].rstrip()
        if not lead_text:
            return False  # a numbered list item: "1. What is ..."
        if lead_text[-1] in _RANK_LEADS:
            return False  # a rank after a colon or dash: "Weiter: 10. Bernhard Gruber"
        lead = lead_text.rsplit(maxsplit=1)
        if lead and lead[-1].lower() in _ORDINAL_LEADS:
            return False
    return True


def _split_segment(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    cut = start
    first = len(spans)
    for match in _TERMINAL.finditer(text, start, end):
        if _ends_sentence(text, match, start, end):
            _add(spans, cut, match.end(), text, first)
            cut = match.end()
    _add(spans, cut, end, text, first)


def _add(spans: list[tuple[int, int]], start: int, end: int, text: str, first: int) -> None:
    """Append a trimmed span; a stray mark ("...", ".") joins the sentence before it in the
    same line instead of standing as a sentence of its own."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return
    if len(spans) > first and end - start <= 4 and not any(c.isalnum() for c in text[start:end]):
        spans[-1] = (spans[-1][0], end)
    else:
        spans.append((start, end))


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A paragraph's line groups: a line break separates sentences unless the next line starts
    in lower case (a hard-wrapped sentence)."""
    groups: list[tuple[int, int]] = []
    group_start = start
    for match in _LINE_BREAK.finditer(text, start, end):
        if not match.group(1).islower():
            groups.append((group_start, match.start()))
            group_start = match.start() + 1
    groups.append((group_start, end))
    return groups


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans `(start, end)` of `text`, in order, trimmed of surrounding white space.

    Every non-space character of `text` lies in exactly one span.
    """
    spans: list[tuple[int, int]] = []
    paragraph_start = 0
    bounds = [(m.start(), m.end()) for m in _PARAGRAPHS.finditer(text)]
    bounds.append((len(text), len(text)))
    for para_end, next_start in bounds:
        for line_start, line_end in _lines(text, paragraph_start, para_end):
            _split_segment(text, line_start, line_end, spans)
        paragraph_start = next_start
    return spans


_CLAUSE_END = re.compile(r"[,;:.!?–—]\s")


def split_clauses(sentence: str) -> list[tuple[int, int]]:
    """The clauses of one sentence as (start, end) offsets: parts that end at , ; : . ! ? or a
    dash followed by a space (so "11.000" and "2,5" stay whole), trimmed of white space."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in [*_CLAUSE_END.finditer(sentence), None]:
        end = match.start() + 1 if match else len(sentence)
        piece = sentence[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((start + lead, start + len(piece.rstrip())))
        start = match.end() if match else end
    return spans
