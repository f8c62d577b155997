"""From a raw record (what a loader read) to a cleaned `Article`, or a `Failure` saying why not."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from core.ids import article_id
from core.language import detect_language
from core.records import Article, Failure
from core.sentences import split_sentences
from ingest.cleaning import clean_text, normalize_whitespace, one_line

EMPTY = "empty: no article text"
_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
_TITLE_MAX = 120


@dataclass
class RawArticle:
    item: str  # how a Failure names this record
    origin: str
    text: str
    title: str | None = None
    date: date | None = None
    source: str = ""
    url: str | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    replaced: int = 0  # characters the decoder replaced (ingest/decoding.py)


def _title_from_text(text: str) -> str:
    """A title for a record that has none: its first line if short, else its first sentence,
    shortened at a word boundary."""
    first_line = text.split("\n", 1)[0]
    if len(first_line) <= _TITLE_MAX:
        return first_line
    spans = split_sentences(first_line)
    candidate = first_line[spans[0][0] : spans[0][1]] if spans else first_line
    if len(candidate) <= _TITLE_MAX:
        return candidate
    return candidate[:_TITLE_MAX].rsplit(" ", 1)[0] + " …"


def drop_leading_title(text: str, title: str) -> str:
    """Scraped texts often repeat the headline as their first line; the title is metadata."""
    first, _, rest = text.partition("\n")
    if first.strip().casefold() == title.casefold():
        return rest.lstrip("\n")
    return text


def build_article(raw: RawArticle) -> Article | Failure:
    text = clean_text(raw.text or "")
    title = normalize_whitespace(raw.title or "").replace("\n", " ").strip()
    if title:
        text = drop_leading_title(text, title)
    if not text.strip():
        return Failure(item=raw.item, reason=EMPTY)
    if not title:
        title = _title_from_text(text)
    language = (raw.language or "").strip().lower()[:2]
    if not _LANGUAGE_CODE.match(language):
        language = detect_language(text)
    return Article(
        id=article_id(title, text),
        title=title,
        text=text,
        date=raw.date,
        source=one_line(raw.source),
        url=raw.url or None,
        language=language,
        authors=[a for a in (one_line(name) for name in raw.authors) if a],
        origin=raw.origin,
        replaced_chars=raw.replaced,
    )
