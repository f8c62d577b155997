"""Export records (JSON objects, CSV rows) to raw articles, whatever the export calls its fields.

The benchmark format (id, title, url, published, authors, lang, text) and the usual aliases of
scrapers and news APIs are understood; keys are matched case-insensitively.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from ingest.assemble import EMPTY, RawArticle
from ingest.dates import parse_date
from ingest.pages import split_authors

ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "body", "article", "maintext", "full_text", "fulltext"),
    "title": ("title", "headline"),
    "url": ("url", "link", "source_url"),
    "date": (
        "published", "date", "pubdate", "publish_date", "published_at", "date_publish",
        "publication_date", "datetime",
    ),
    "authors": ("authors", "author", "byline", "creator"),
    "language": ("lang", "language"),
    "source": ("source", "site", "sitename", "publisher", "source_name", "outlet", "domain"),
    "id": ("id", "_id", "doc_id", "article_id", "guid", "uuid"),
}  # fmt: skip


class BadRecord(ValueError):
    """A record that cannot become an article; the message is the reason."""


def _field(record: Mapping[str, object], name: str) -> object:
    lowered = {str(key).strip().lower(): value for key, value in record.items()}
    for alias in ALIASES[name]:
        value = lowered.get(alias)
        if value not in (None, "", []):
            return value
    return None


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        # Some exports store the body as a list of paragraphs.
        return "\n\n".join(str(part) for part in value if part)
    return str(value)


def _authors(value: object) -> list[str]:
    if isinstance(value, list):
        names: list[str] = []
        for item in value:
            if isinstance(item, Mapping):
                item = item.get("name", "")
            names.extend(split_authors(str(item)))
        return names
    return split_authors(_as_text(value))


def _source(value: object) -> str:
    if isinstance(value, Mapping):  # NewsAPI style: {"id": ..., "name": ...}
        value = value.get("name") or value.get("id")
    return _as_text(value).strip()


def host_of(url: str | None) -> str:
    if not url:
        return ""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def record_to_raw(
    record: object, *, item: str, fallback_origin: str, default_source: str
) -> RawArticle:
    """Map one export record; raise BadRecord when it is not an object or has no text field.

    Origin: the record's URL, else `export:<id>`, else `fallback_origin` (file and position).
    """
    if not isinstance(record, Mapping):
        raise BadRecord(f"not a JSON object but {type(record).__name__}")
    text = _field(record, "text")
    if text is None:
        keys = {str(key).strip().lower() for key in record}
        if keys & set(ALIASES["text"]):
            raise BadRecord(EMPTY)
        expected = ", ".join(ALIASES["text"])
        raise BadRecord(f"no text field (expected one of: {expected})")
    url = _as_text(_field(record, "url")).strip() or None
    record_id = _as_text(_field(record, "id")).strip()
    origin = url or (f"export:{record_id}" if record_id else fallback_origin)
    language = _field(record, "language")
    return RawArticle(
        item=item,
        origin=origin,
        text=_as_text(text),
        title=_as_text(_field(record, "title")) or None,
        date=parse_date(_field(record, "date")),
        source=_source(_field(record, "source")) or host_of(url) or default_source,
        url=url,
        authors=_authors(_field(record, "authors")),
        language=str(language) if isinstance(language, str) else None,
    )
