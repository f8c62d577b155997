"""Main text and metadata of an HTML page, through trafilatura."""

from __future__ import annotations

from dataclasses import dataclass, field

import trafilatura


@dataclass
class Page:
    title: str
    text: str
    date: str | None = None
    authors: list[str] = field(default_factory=list)
    sitename: str | None = None
    url: str | None = None


def split_authors(value: str | None) -> list[str]:
    """ "Jane Doe; John Roe" or "Jane Doe, John Roe and Ann Poe" → the names."""
    if not value:
        return []
    for separator in (";", " and ", " und ", " & "):
        value = value.replace(separator, ",")
    names = (name.strip() for name in value.split(","))
    return [name.removeprefix("By ").removeprefix("Von ").strip() for name in names if name]


def extract_page(html: bytes | str, url: str | None = None) -> Page | None:
    """The page's article, or None when the page holds no article text."""
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
    )
    if document is None or not (document.text or "").strip():
        return None
    return Page(
        title=(document.title or "").strip(),
        # trafilatura puts each paragraph on its own line; the project's text uses blank lines.
        text=document.text.replace("\n", "\n\n"),
        date=document.date,
        authors=split_authors(document.author),
        sitename=document.sitename or None,
        url=document.url or url,
    )
