"""RSS and Atom feeds: each entry's page is fetched and extracted; when that fails, the entry's
own text stands in if it is a real article and not a one-line teaser. A broken entry becomes a
Failure and never stops the others."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import feedparser
import httpx
import lxml.html

from core.records import Article, Failure
from core.settings import Settings
from ingest.assemble import RawArticle, build_article, drop_leading_title
from ingest.dates import parse_date
from ingest.fetch import FetchError, fetch, is_url
from ingest.pages import Page, extract_page, split_authors
from ingest.records import host_of

# An entry's summary stands in for its page only when it is article-length.
MIN_ENTRY_WORDS = 40
# A page that yields fewer words than this holds no article (a menu, a login wall).
MIN_PAGE_WORDS = 15

_BLOCK_END = re.compile(r"(?i)</(p|div|h[1-6]|li|blockquote|section|article)>|<br\s*/?>")


def looks_like_feed(content: bytes, content_type: str = "") -> bool:
    if any(kind in content_type for kind in ("rss", "atom")):
        return True
    head = content[:2048].lstrip().lower()
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (an entry's summary), paragraphs kept apart."""
    if "<" not in fragment:
        return fragment
    marked = _BLOCK_END.sub(lambda m: m.group(0) + "\n\n", fragment)
    try:
        return lxml.html.fragment_fromstring(marked, create_parent="div").text_content()
    except (ValueError, lxml.etree.ParserError):
        return re.sub(r"<[^>]+>", " ", fragment)


def _entry_text(entry: feedparser.FeedParserDict) -> str:
    candidates = [part.get("value", "") for part in entry.get("content", [])]
    candidates.append(entry.get("summary", ""))
    texts = [html_to_text(value).strip() for value in candidates if value]
    return max(texts, key=len, default="")


def _word_count(text: str) -> int:
    return len(text.split())


class _EntryPages:
    """Fetches entry pages for one feed, and stops trying a host once it did not answer: a feed
    of fifty links to a dead site costs one timeout, not fifty."""

    def __init__(self, settings: Settings, get_client: Callable[[], httpx.Client]) -> None:
        self._settings = settings
        self._get_client = get_client
        self._unreachable: dict[str, str] = {}

    def page(self, link: str) -> Page | str:
        """The entry's page, or why there is none."""
        host = urlsplit(link).netloc.lower()  # host and port: one server, not one machine
        if host in self._unreachable:
            return self._unreachable[host]
        try:
            fetched = fetch(
                link,
                self._get_client(),
                self._settings.max_file_mb,
                self._settings.fetch_timeout_s,
            )
        except FetchError as exc:
            if exc.unreachable:
                self._unreachable[host] = str(exc)
            return str(exc)
        page = extract_page(fetched.content, fetched.url)
        if page is None or _word_count(page.text) < MIN_PAGE_WORDS:
            return "its page holds no article text"
        return page


def load_feed(
    content: bytes,
    *,
    item: str,
    settings: Settings,
    get_client: Callable[[], httpx.Client],
    base_url: str | None = None,
) -> Iterator[Article | Failure]:
    """Every entry of an RSS/Atom feed as an Article or a Failure naming the entry.

    `base_url` (the feed's own URL) resolves relative entry links.
    """
    headers = {"content-location": base_url} if base_url else None
    parsed = feedparser.parse(content, response_headers=headers)
    if not parsed.entries:
        problem = parsed.get("bozo_exception")
        why = f": {problem}" if problem else ""
        reason = f"not a readable RSS/Atom feed, or a feed with no entries{why}"
        yield Failure(item=item, reason=reason)
        return
    feed_title = (parsed.feed.get("title") or "").strip()
    pages = _EntryPages(settings, get_client)
    for number, entry in enumerate(parsed.entries, start=1):
        link = (entry.get("link") or "").strip()
        label = entry.get("title") or link or entry.get("id") or "untitled"
        entry_item = f"{item} entry {number} ({label})"
        yield _load_entry(entry, link, entry_item, feed_title, pages)


def _load_entry(
    entry: feedparser.FeedParserDict,
    link: str,
    item: str,
    feed_title: str,
    pages: _EntryPages,
) -> Article | Failure:
    title = entry.get("title")
    date = parse_date(entry.get("published_parsed") or entry.get("updated_parsed"))
    authors = split_authors(entry.get("author"))
    entry_id = (entry.get("id") or "").strip()
    origin = link or (f"export:{entry_id}" if entry_id else item)
    source = feed_title or host_of(link)
    problem = "the entry has no link"
    if is_url(link):
        page = pages.page(link)
        if isinstance(page, Page):
            return build_article(
                RawArticle(
                    item=item,
                    origin=origin,
                    # The page's headline may differ from the entry's title.
                    text=drop_leading_title(page.text, page.title),
                    title=title or page.title,
                    date=date or parse_date(page.date),
                    source=page.sitename or source,
                    url=link,
                    authors=authors or page.authors,
                )
            )
        problem = page
    text = _entry_text(entry)
    words = _word_count(text)
    if words < MIN_ENTRY_WORDS:
        own = f"its own text has only {words} words" if words else "it carries no text of its own"
        return Failure(item=item, reason=f"{problem}, and {own}")
    return build_article(
        RawArticle(
            item=item,
            origin=origin,
            text=text,
            title=title,
            date=date,
            source=source,
            url=link or None,
            authors=authors,
        )
    )
