"""Sources to cleaned Articles: folders, files of every supported format, pages and feeds by URL.

`load_source` yields an `Article` for every article it finds and a `Failure(item, reason)` for
every item it cannot use; bad input never raises, and one bad item never stops the others.

Origin rule (what lets a changed version of an article replace the old one):
  1. the article's URL when it has one (a page, a feed entry's link, a record's url field);
  2. else `export:<id>` when the record carries its own id (JSON/JSONL/CSV id, a feed guid);
  3. else where it sits: the absolute file path for a single-article file, `path:LINE` for a
     JSONL or CSV record, `path[INDEX]` for an item of a JSON list.

Source rule: the site name the page or record gives, else the URL's host, else the name of the
export file (without extension) for records, or the file's parent folder for single files.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import httpx

from core.records import Article, Failure
from core.settings import Settings
from ingest.assemble import RawArticle, build_article
from ingest.dates import parse_date
from ingest.decoding import NotText
from ingest.feeds import MIN_PAGE_WORDS, load_feed, looks_like_feed
from ingest.fetch import FetchError, fetch, is_url, make_client
from ingest.formats import (
    TooLarge,
    load_csv_file,
    load_html_file,
    load_json_file,
    load_jsonl_file,
    load_text_file,
    read_limited,
)
from ingest.pages import extract_page
from ingest.records import host_of

Loaded = Article | Failure

# A folder's own description, not an article, when it sits in a folder being ingested.
_FOLDER_NOTES = {"readme", "readme.md", "readme.txt", "license", "license.md", "license.txt"}


def _feed_file(path: Path, settings: Settings) -> Iterator[Loaded]:
    with _lazy_client(settings) as get_client:
        yield from load_feed(
            read_limited(path, settings.max_file_mb),
            item=str(path),
            settings=settings,
            get_client=get_client,
        )


_READERS: dict[str, Callable[[Path, Settings], Iterator[Loaded]]] = {
    ".txt": lambda p, s: load_text_file(p, s, markdown=False),
    ".text": lambda p, s: load_text_file(p, s, markdown=False),
    ".md": lambda p, s: load_text_file(p, s, markdown=True),
    ".markdown": lambda p, s: load_text_file(p, s, markdown=True),
    ".html": load_html_file,
    ".htm": load_html_file,
    ".xhtml": load_html_file,
    ".json": load_json_file,
    ".jsonl": load_jsonl_file,
    ".ndjson": load_jsonl_file,
    ".jsonl.gz": load_jsonl_file,
    ".ndjson.gz": load_jsonl_file,
    ".csv": load_csv_file,
    ".tsv": load_csv_file,
    ".xml": _feed_file,
    ".rss": _feed_file,
    ".atom": _feed_file,
}


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if len(suffixes) >= 2 and "".join(suffixes[-2:]) in _READERS:
        return "".join(suffixes[-2:])
    return suffixes[-1] if suffixes else ""


@contextlib.contextmanager
def _lazy_client(settings: Settings) -> Iterator[Callable[[], httpx.Client]]:
    """An HTTP client made on first use (a feed file whose entries carry their text needs
    none) and closed when the source is done."""
    clients: list[httpx.Client] = []

    def get() -> httpx.Client:
        if not clients:
            clients.append(make_client(settings.fetch_timeout_s, settings.fetch_allow_private))
        return clients[0]

    try:
        yield get
    finally:
        for client in clients:
            client.close()


def load_file(path: Path, settings: Settings) -> Iterator[Loaded]:
    suffix = _suffix(path)
    reader = _READERS.get(suffix)
    if reader is None:
        reason = f"unsupported file type {suffix}" if suffix else "unsupported file type (none)"
        if suffix == ".gz":  # streamed formats only: a whole-file format would sit in memory
            inner = "".join(s.lower() for s in path.suffixes[-2:])
            reason = f"unsupported file type {inner}: only .jsonl and .ndjson are read gzipped"
        yield Failure(item=str(path), reason=reason)
        return
    try:
        yield from reader(path, settings)
    except (TooLarge, NotText) as exc:
        yield Failure(item=str(path), reason=str(exc))
    except PermissionError:
        yield Failure(item=str(path), reason="permission denied")
    except (OSError, EOFError, zlib.error) as exc:
        # OSError covers unreadable files and "not a gzipped file"; a cut-off or corrupt
        # .gz raises EOFError or zlib.error part-way, after the records before it loaded.
        reason = getattr(exc, "strerror", None) or str(exc)
        yield Failure(item=str(path), reason=f"could not read: {reason}")


def _kind_of(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _folder_items(folder: Path) -> Iterator[Path | Failure]:
    """The files under `folder`, recursively and in sorted order, and a Failure for everything
    else it holds that is not read, with why: nothing is dropped without a word.

    Hidden files and folders (".git", ".DS_Store") and a folder's README or LICENSE are passed
    over as not news. A link to a file is read; a link to a folder is not followed (it can
    loop, or lead out of the folder that was named)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except PermissionError:
        yield Failure(item=str(folder), reason="folder cannot be read: permission denied")
        return
    except OSError as exc:
        yield Failure(item=str(folder), reason=f"folder cannot be read: {exc.strerror}")
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            continue
        try:
            is_link = entry.is_symlink()
            info = path.stat()  # follows a link
        except FileNotFoundError:
            target = os.readlink(path) if is_link else "?"
            yield Failure(item=str(path), reason=f"broken symbolic link (to {target})")
            continue
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                yield Failure(item=str(path), reason="symbolic link loop")
            else:
                yield Failure(item=str(path), reason=f"cannot be read: {exc.strerror}")
            continue
        if stat.S_ISDIR(info.st_mode):
            if is_link:
                yield Failure(
                    item=str(path),
                    reason="link to a folder, not followed (name that folder to ingest it)",
                )
            else:
                yield from _folder_items(path)
        elif stat.S_ISREG(info.st_mode):
            if entry.name.lower() not in _FOLDER_NOTES:
                yield path
        else:
            yield Failure(item=str(path), reason=f"{_kind_of(info.st_mode)}, not a file")


def load_url(url: str, settings: Settings) -> Iterator[Loaded]:
    """A page or a feed, told apart by content type and content."""
    with _lazy_client(settings) as get_client:
        try:
            fetched = fetch(url, get_client(), settings.max_file_mb, settings.fetch_timeout_s)
        except FetchError as exc:
            yield Failure(item=url, reason=str(exc))
            return
        if looks_like_feed(fetched.content, fetched.content_type):
            yield from load_feed(
                fetched.content,
                item=url,
                settings=settings,
                get_client=get_client,
                base_url=fetched.url,
            )
            return
        page = extract_page(fetched.content, fetched.url)
        if page is None or len(page.text.split()) < MIN_PAGE_WORDS:
            yield Failure(item=url, reason="no article text found in the page")
            return
        yield build_article(
            RawArticle(
                item=url,
                origin=url,
                text=page.text,
                title=page.title,
                date=parse_date(page.date),
                source=page.sitename or host_of(fetched.url),
                url=url,
                authors=page.authors,
            )
        )


def load_source(source: str | Path, settings: Settings) -> Iterator[Loaded]:
    """Every article in `source` (a folder, a file or an http(s) URL), and every failure."""
    if is_url(source):
        yield from load_url(str(source), settings)
        return
    path = Path(source).expanduser()
    if path.is_dir():
        for item in _folder_items(path):
            if isinstance(item, Failure):
                yield item
            else:
                yield from load_file(item, settings)
    elif path.is_file():
        yield from load_file(path, settings)
    elif path.exists():
        yield Failure(item=str(source), reason="not a regular file or folder")
    else:
        yield Failure(item=str(source), reason="no such file or folder")


def load_sources(sources: Iterable[str | Path], settings: Settings) -> Iterator[Loaded]:
    for source in sources:
        yield from load_source(source, settings)
