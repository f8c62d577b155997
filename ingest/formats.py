"""Readers for the file formats: plain text and Markdown, HTML, JSON, JSON Lines and CSV.

Each reader yields Articles and Failures and never raises for bad content. Single-document
files are size-checked before they are read; JSON Lines and CSV are streamed record by record.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from core.records import Article, Failure
from core.settings import Settings
from ingest.assemble import RawArticle, build_article
from ingest.dates import parse_date
from ingest.decoding import NotText, decode_bytes, decode_line, looks_binary
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


def read_text(path: Path, settings: Settings) -> str:
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
    text = read_text(path, settings)
    meta, body = _front_matter(text.replace("\r\n", "\n"))
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
    records: Iterable[tuple[str, str, object]], default_source: str
) -> Iterator[Article | Failure]:
    for item, fallback_origin, record in records:
        try:
            raw = record_to_raw(
                record, item=item, fallback_origin=fallback_origin, default_source=default_source
            )
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
        data = json.loads(read_text(path, settings))
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
    numbered = ((f"{path}[{i}]", f"{resolved}[{i}]", record) for i, record in enumerate(records))
    yield from _records_to_articles(numbered, _export_name(path))


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


def _check_text(path: Path) -> None:
    """Refuse a binary file before streaming it, rather than report each of its 'lines'."""
    with _open_binary(path) as handle:
        if looks_binary(handle.read(8192)):
            raise NotText("binary file, not text")


def load_jsonl_file(path: Path, settings: Settings) -> Iterator[Article | Failure]:
    """One JSON object per line, streamed: memory stays flat for any file size."""
    _check_text(path)
    resolved = str(path.resolve())
    seen_any = False

    def records() -> Iterator[tuple[str, str, object]]:
        nonlocal seen_any
        with _open_binary(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                seen_any = True
                item = f"{path}:{number}"
                try:
                    text = decode_bytes(line).strip()
                    record: object = json.loads(text)
                except NotText as exc:
                    record = _Broken(str(exc))
                except json.JSONDecodeError as exc:
                    if exc.pos >= len(text):
                        record = _Broken("invalid JSON: the line ends early (cut off?)")
                    else:
                        record = _Broken(f"invalid JSON: {exc.msg} at column {exc.colno}")
                except (ValueError, RecursionError) as exc:
                    record = _Broken(f"unreadable JSON: {unreadable(exc)}")
                yield item, f"{resolved}:{number}", record

    for item, origin, record in records():
        if isinstance(record, _Broken):
            yield Failure(item=item, reason=record.reason)
        else:
            yield from _records_to_articles([(item, origin, record)], _export_name(path))
    if not seen_any:
        yield Failure(item=str(path), reason="empty: no articles in the file")


class _Broken:
    """A line that did not parse, carried through the record stream to become a Failure."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _decoded_lines(handle: IO[bytes]) -> Iterator[str]:
    for line in handle:
        yield decode_line(line)


def load_csv_file(path: Path, settings: Settings) -> Iterator[Article | Failure]:
    """A header row naming the fields, then one article per row; streamed."""
    _check_text(path)
    resolved = str(path.resolve())
    # Article bodies exceed csv's default 128 kB field limit; the file limit is the real bound.
    csv.field_size_limit(max(csv.field_size_limit(), int(settings.max_file_mb * 1024 * 1024)))
    with path.open("rb") as handle:
        first = handle.readline()
        handle.seek(0)
        try:
            dialect = csv.Sniffer().sniff(decode_line(first), delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel_tab if path.suffix == ".tsv" else csv.excel
        reader = csv.reader(_decoded_lines(handle), dialect)
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
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                yield Failure(item=f"{path}:{line}", reason=f"unreadable row: {exc}")
                continue
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
                [(f"{path}:{line}", f"{resolved}:{line}", record)], _export_name(path)
            )
        if rows == 0:
            yield Failure(item=str(path), reason="empty: no articles in the file")
