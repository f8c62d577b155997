"""Readers for the file formats: plain text and Markdown, HTML, JSON, JSON Lines and CSV.

Each reader yields Articles and Failures and never raises for bad content. Single-document
files are size-checked before they are read. JSON Lines and CSV are streamed record by record,
so an export may be any size, but each record is bounded by the same size limit as a file (a
longer line is skipped unread), and a gzipped one may not decompress to more than
`MAX_GZIP_RATIO` times its size.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from core.records import Article, Failure
from core.settings import Settings
from ingest.assemble import RawArticle, build_article
from ingest.dates import parse_date
from ingest.decoding import Decoded, LineDecoder, NotText, decode_bytes, looks_binary
from ingest.pages import extract_page, split_authors
from ingest.records import BadRecord, record_to_raw

MIN_PAGE_WORDS = 15

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.DOTALL)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
# Emphasis marks only at word edges, so snake_case names and 2*3 keep their characters.
_MD_EMPHASIS = re.compile(r"(?<!\w)(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_MD_HEADING_MARKS = re.compile(r"(?m)^\s{0,3}#{1,6}\s+")
_MD_QUOTE = re.compile(r"(?m)^\s{0,3}>\s?")


# A first line longer than this is the article's opening paragraph, not its title.
_TITLE_MAX = 200


class TooLarge(ValueError):
    pass


def megabytes(size: int) -> float:
    return size / 1024 / 1024


def read_limited(path: Path, max_mb: float) -> bytes:
    """The file's bytes, or TooLarge without reading it when it is over `max_mb`."""
    size = path.stat().st_size
    if megabytes(size) > max_mb:
        raise TooLarge(f"file is {megabytes(size):.1f} MB, over the {max_mb:g} MB limit")
    return path.read_bytes()


def read_text(path: Path, settings: Settings) -> Decoded:
    return decode_bytes(read_limited(path, settings.max_file_mb))


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """`---` delimited `key: value` lines at the top of a text or Markdown file."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields, text[match.end() :]


def _split_title(body: str, markdown: bool) -> tuple[str, str]:
    """Title = the first non-empty line (heading marks stripped); the rest is the text."""
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        title = line.strip()
        rest = lines[index + 1 :]
        if len(title) > _TITLE_MAX:
            # A file that starts straight with its text: no title line to take.
            return "", "\n".join(lines[index:])
        if markdown:
            heading = _HEADING.match(line)
            if heading:
                title = heading.group(1)
            elif rest and _SETEXT.match(rest[0]):
                rest = rest[1:]
        return title, "\n".join(rest)
    return "", ""


def _strip_markdown(text: str) -> str:
    text = _MD_IMAGE.sub(r"\1", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_HEADING_MARKS.sub("", text)
    text = _MD_QUOTE.sub("", text)
    return _MD_EMPHASIS.sub(r"\2", text)


def load_text_file(
    path: Path, settings: Settings, *, markdown: bool
) -> Iterator[Article | Failure]:
    decoded = read_text(path, settings)
    meta, body = _front_matter(decoded.text.replace("\r\n", "\n"))
    title, rest = _split_title(body, markdown)
    if meta.get("title"):
        title, rest = meta["title"], body
    if markdown:
        title, rest = _strip_markdown(title), _strip_markdown(rest)
    url = meta.get("url") or None
    yield build_article(
        RawArticle(
            item=str(path),
            origin=url or str(path.resolve()),
            text=rest,
            title=title,
            date=parse_date(meta.get("date") or meta.get("published")),
            source=meta.get("source") or path.resolve().parent.name,
            url=url,
            authors=split_authors(meta.get("authors") or meta.get("author")),
            language=meta.get("language") or meta.get("lang"),
            replaced=decoded.replaced,
        )
    )


def load_html_file(path: Path, settings: Settings) -> Iterator[Article | Failure]:
    data = read_limited(path, settings.max_file_mb)
    if b"\x00" in data[:8192]:
        raise NotText("binary file, not text")
    page = extract_page(data)
    if page is None or len(page.text.split()) < MIN_PAGE_WORDS:
        yield Failure(item=str(path), reason="no article text found in the page")
        return
    yield build_article(
        RawArticle(
            item=str(path),
            origin=page.url or str(path.resolve()),
            text=page.text,
            title=page.title,
            date=parse_date(page.date),
            source=page.sitename or path.resolve().parent.name,
            url=page.url,
            authors=page.authors,
        )
    )


def _records_to_articles(
    records: Iterable[tuple[str, str, object]], default_source: str, replaced: int = 0
) -> Iterator[Article | Failure]:
    for item, fallback_origin, record in records:
        try:
            raw = record_to_raw(
                record, item=item, fallback_origin=fallback_origin, default_source=default_source
            )
            raw.replaced = replaced
            article = build_article(raw)
        except BadRecord as exc:
            yield Failure(item=item, reason=str(exc))
            continue
        except (ValueError, TypeError, RecursionError) as exc:  # one odd record, not the run
            yield Failure(item=item, reason=f"unreadable record: {unreadable(exc)}")
            continue
        yield article


def unreadable(exc: BaseException) -> str:
    """Why Python's JSON reader gave up on valid-looking input, in words."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    text = str(exc)
    if "digits" in text:  # int() refuses numbers of more than 4,300 digits
        return "a number too long to read"
    return text[:200]


def _export_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".jsonl", ".ndjson", ".json", ".csv", ".tsv"):
        name = name.removesuffix(suffix)
    return name


def load_json_file(path: Path, settings: Settings) -> Iterator[Article | Failure]:
    """An object, a list of objects, or {"articles": [...]} (also "items", "data", "results")."""
    try:
        decoded = read_text(path, settings)
        data = json.loads(decoded.text)
    except json.JSONDecodeError as exc:
        yield Failure(item=str(path), reason=f"invalid JSON: {exc.msg} at line {exc.lineno}")
        return
    except (ValueError, RecursionError) as exc:
        yield Failure(item=str(path), reason=f"unreadable JSON: {unreadable(exc)}")
        return
    if isinstance(data, dict):
        for key in ("articles", "items", "data", "results", "documents"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    records = data if isinstance(data, list) else [data]
    if not records:
        yield Failure(item=str(path), reason="empty: no articles in the file")
        return
    resolved = str(path.resolve())
    numbered = [(f"{path}[{i}]", f"{resolved}[{i}]", record) for i, record in enumerate(records)]
    # The stray bytes of a whole-file format are the file's: counted once, with its first record.
    yield from _records_to_articles(numbered[:1], _export_name(path), decoded.replaced)
    yield from _records_to_articles(numbered[1:], _export_name(path))


# A gzipped export that inflates further than this is not text news (which compresses 3 to 10
# times) but a bomb: 2 GB of blank lines fit in 2 MB.
MAX_GZIP_RATIO = 50
# Small enough that a cut-off .gz gives up the records before the cut (gzip raises on the
# read that meets it), large enough that blank-line runs cost a few steps per block.
_BLOCK = 1 << 16
_BLANK = re.compile(rb"[ \t\r\n]*")


class _Capped:
    """A decompressing reader that stops at `limit` bytes out."""

    def __init__(self, handle: IO[bytes], limit: int) -> None:
        self.handle, self.limit, self.total = handle, limit, 0

    def read(self, size: int) -> bytes:
        data = self.handle.read(size)
        self.total += len(data)
        if self.total > self.limit:
            raise TooLarge(
                f"decompresses to over {megabytes(self.limit):.0f} MB, more than "
                f"{MAX_GZIP_RATIO} times its size: not a news export"
            )
        return data


@contextlib.contextmanager
def _open_binary(path: Path, settings: Settings) -> Iterator[IO[bytes] | _Capped]:
    if not path.name.endswith(".gz"):
        with path.open("rb") as handle:
            yield handle
        return
    limit = max(int(settings.max_file_mb * 1024 * 1024), MAX_GZIP_RATIO * path.stat().st_size)
    with gzip.open(path, "rb") as handle:
        yield _Capped(handle, limit)


def _check_text(path: Path, settings: Settings) -> None:
    """Refuse a binary file before streaming it, rather than report each of its 'lines'."""
    with _open_binary(path, settings) as handle:
        if looks_binary(handle.read(8192)):
            raise NotText("binary file, not text")


def record_limit(settings: Settings) -> int:
    """The most bytes one record of an export may have: what a whole file may have."""
    return int(settings.max_file_mb * 1024 * 1024)


def bounded_lines(
    handle: IO[bytes] | _Capped, limit: int, keep_blank: bool = False
) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) for every line (not blank, unless `keep_blank`), read in blocks: a
    line over `limit` bytes comes as None and is skipped without being held, and runs of
    blank lines are passed over without a Python step per line."""
    number = 1  # the line that `pending` belongs to
    pending = bytearray()
    skipping = False  # inside a line over the limit: drop bytes up to its end
    while block := handle.read(_BLOCK):
        start = 0
        while start < len(block):
            if skipping:
                end = block.find(b"\n", start)
                if end < 0:
                    break
                skipping, number, start = False, number + 1, end + 1
                continue
            if not pending and not keep_blank:
                blank_end = _BLANK.match(block, start).end()  # type: ignore[union-attr]
                number += block.count(b"\n", start, blank_end)
                start = blank_end
                if start >= len(block):
                    break
            end = block.find(b"\n", start)
            pending += block[start : len(block) if end < 0 else end]
            if len(pending) > limit:
                yield number, None
                pending.clear()
                if end < 0:
                    skipping = True
                    break
                number, start = number + 1, end + 1
                continue
            if end < 0:
                break
            if keep_blank or pending.strip():
                yield number, bytes(pending)
            pending.clear()
            number, start = number + 1, end + 1
    if pending.strip() and not skipping:
        yield number, bytes(pending)


def load_jsonl_file(path: Path, settings: Settings) -> Iterator[Article | Failure]:
    """One JSON object per line, streamed: memory stays flat for any file size."""
    _check_text(path, settings)
    resolved = str(path.resolve())
    limit = record_limit(settings)
    decoder = LineDecoder()
    name = _export_name(path)
    seen_any = False
    with _open_binary(path, settings) as handle:
        for number, line in bounded_lines(handle, limit):
            seen_any = True
            item = f"{path}:{number}"
            if line is None:
                yield Failure(
                    item=item,
                    reason=f"record is over the {settings.max_file_mb:g} MB limit; skipped",
                )
                continue
            decoded = decoder.decoded(line)
            text = decoded.text.strip()
            try:
                record: object = json.loads(text)
            except json.JSONDecodeError as exc:
                if exc.pos >= len(text):
                    reason = "invalid JSON: the line ends early (cut off?)"
                else:
                    reason = f"invalid JSON: {exc.msg} at column {exc.colno}"
                yield Failure(item=item, reason=reason)
                continue
            except (ValueError, RecursionError) as exc:
                yield Failure(item=item, reason=f"unreadable JSON: {unreadable(exc)}")
                continue
            yield from _records_to_articles(
                [(item, f"{resolved}:{number}", record)], name, decoded.replaced
            )
    if not seen_any:
        yield Failure(item=str(path), reason="empty: no articles in the file")


class _CsvLines:
    """Decoded lines for the csv module, with the file line each row starts on (`row_start`,
    reset by `next_row`). A line over the record limit ends the file: a quoted field may span
    lines, so there is no telling where the next row starts."""

    def __init__(self, handle: IO[bytes] | _Capped, settings: Settings) -> None:
        self.decoder = LineDecoder()
        self.row_start: int | None = None
        self._lines = bounded_lines(handle, record_limit(settings), keep_blank=True)
        self._max_mb = settings.max_file_mb

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        number, line = next(self._lines)
        if line is None:
            raise TooLarge(
                f"line {number} is over the {self._max_mb:g} MB limit; "
                "the rows after it are not read"
            )
        if self.row_start is None:
            self.row_start = number
        return self.decoder.decode(line) + "\n"

    def next_row(self) -> None:
        self.row_start = None


def load_csv_file(path: Path, settings: Settings) -> Iterator[Article | Failure]:
    """A header row naming the fields, then one article per row; streamed."""
    _check_text(path, settings)
    resolved = str(path.resolve())
    # Article bodies exceed csv's default 128 kB field limit; the record limit is the real bound.
    csv.field_size_limit(max(csv.field_size_limit(), record_limit(settings)))
    with _open_binary(path, settings) as handle:
        lines = _CsvLines(handle, settings)
        first = next(lines, "")
        try:
            dialect = csv.Sniffer().sniff(first, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel_tab if path.suffix == ".tsv" else csv.excel
        reader = csv.reader(itertools.chain([first], lines), dialect)
        try:
            header = next(reader)
        except StopIteration:
            yield Failure(item=str(path), reason="empty: no articles in the file")
            return
        except csv.Error as exc:
            yield Failure(item=str(path), reason=f"unreadable header: {exc}")
            return
        header = [name.strip().lstrip("\ufeff") for name in header]
        rows = 0
        while True:
            lines.next_row()
            replaced_before = lines.decoder.replaced
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield Failure(item=f"{path}:{lines.row_start}", reason=f"unreadable row: {exc}")
                continue
            line = lines.row_start
            if not any(cell.strip() for cell in row):
                continue
            rows += 1
            if len(row) > len(header):
                yield Failure(
                    item=f"{path}:{line}",
                    reason=f"row has {len(row)} fields but the header names {len(header)}",
                )
                continue
            record = dict(zip(header, row, strict=False))
            yield from _records_to_articles(
                [(f"{path}:{line}", f"{resolved}:{line}", record)],
                _export_name(path),
                lines.decoder.replaced - replaced_before,
            )
        if rows == 0:
            yield Failure(item=str(path), reason="empty: no articles in the file")
