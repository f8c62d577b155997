"""Bad input: every case gives a Failure naming the item and the reason, and loses nothing else.

All cases go through `load_source`, the path the ingest command takes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from local_http import Route, closed_port_url, serve, silent_server

from core.records import Article, Failure
from core.settings import Settings
from ingest.loaders import load_source

BODY = (
    "The harbour board voted on Monday to dredge the northern channel before the autumn "
    "storms. The work will cost 4.2 million dollars and take about nine weeks, the board said."
)
MB = 1024 * 1024
REPO = Path(__file__).resolve().parents[1]


def load(source: str | Path, settings: Settings) -> list[Article | Failure]:
    return list(load_source(source, settings))


def test_path_that_does_not_exist(tmp_path: Path, settings: Settings) -> None:
    missing = tmp_path / "nowhere" / "article.txt"
    assert load(missing, settings) == [Failure(item=str(missing), reason="no such file or folder")]


def test_empty_file(tmp_path: Path, settings: Settings) -> None:
    for name, content in [("empty.txt", ""), ("blank.md", "\n\n   \n"), ("title-only.txt", "T\n")]:
        (tmp_path / name).write_text(content)
        assert load(tmp_path / name, settings) == [
            Failure(item=str(tmp_path / name), reason="empty: no article text")
        ]


def test_binary_file_renamed_txt(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert load(path, settings) == [Failure(item=str(path), reason="binary file, not text")]


def test_binary_without_nul_bytes(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "noise.md"
    path.write_bytes(bytes(range(1, 32)) * 40)
    assert load(path, settings) == [Failure(item=str(path), reason="binary file, not text")]


def test_latin1_text_comes_out_right(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "alt.txt"
    text = (
        "Größe der Straßenbahn\n\n"
        "Die Größe der neuen Straßenbahn überrascht die Fahrgäste in Köln: Sie ist 45 Meter lang."
    )
    path.write_bytes(text.encode("latin-1"))
    [article] = load(path, settings)
    assert article.title == "Größe der Straßenbahn"
    assert "Größe der neuen Straßenbahn überrascht" in article.text
    assert "Ã" not in article.text


def test_cp1252_punctuation_comes_out_right(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "windows.txt"
    text = "Quotes\n\n„Wir sind bereit“, sagte sie – und ging. The board’s vote was “final”."
    path.write_bytes(text.encode("cp1252"))
    [article] = load(path, settings)
    assert "„Wir sind bereit“, sagte sie – und ging." in article.text
    assert "board’s vote was “final”" in article.text


def test_truncated_jsonl_line_is_named_and_other_lines_load(
    tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / "export.jsonl"
    good = [
        json.dumps({"id": f"a{i}", "title": f"Story {i}", "text": f"{BODY} {i}"}) for i in range(3)
    ]
    path.write_text(f'{good[0]}\n{good[1][:40]}\n\n{good[2]}\n[1, 2]\n{{"title": "x"}}\n')
    items = load(path, settings)
    assert [a.title for a in items if isinstance(a, Article)] == ["Story 0", "Story 2"]
    broken = [f for f in items if isinstance(f, Failure)]
    assert [f.item for f in broken] == [f"{path}:2", f"{path}:5", f"{path}:6"]
    assert broken[0].reason == "invalid JSON: the line ends early (cut off?)"
    assert broken[1].reason == "not a JSON object but list"
    assert broken[2].reason.startswith("no text field (expected one of: text, content, body")


def test_invalid_json_file(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"articles": [{"title": "x", "text": ')
    [failure] = load(path, settings)
    assert failure.item == str(path) and failure.reason.startswith("invalid JSON:")


def test_csv_rows_without_text_are_named(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "export.csv"
    path.write_text(f'title,text\nGood,"{BODY}"\nEmpty,\nToo,many,fields\n')
    items = load(path, settings)
    assert [a.title for a in items if isinstance(a, Article)] == ["Good"]
    assert [(f.item, f.reason) for f in items if isinstance(f, Failure)] == [
        (f"{path}:3", "empty: no article text"),
        (f"{path}:4", "row has 3 fields but the header names 2"),
    ]


def test_html_page_with_no_article(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "menu.html"
    path.write_text(
        "<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a>"
        "<a href='/news'>News</a><a href='/about'>About us</a></nav></body></html>"
    )
    assert load(path, settings) == [
        Failure(item=str(path), reason="no article text found in the page")
    ]


def test_xml_that_is_not_a_feed(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "config.xml"
    path.write_text("<config><option name='a'>1</option></config>")
    [failure] = load(path, settings)
    assert failure.item == str(path)
    assert failure.reason.startswith("not a readable RSS/Atom feed")


def test_feed_with_broken_entries_loads_the_others(settings: Settings) -> None:
    page = (
        "<html><head><title>Dredging starts</title></head><body><article><h1>Dredging starts</h1>"
        f"<p>{BODY}</p><p>{BODY}</p></article></body></html>"
    ).encode()
    with serve({"/ok": Route(page)}) as site:
        dead = closed_port_url()
        feed = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour</title>'
            f"<item><title>Works</title><link>{site.url('/ok')}</link></item>"
            f"<item><title>Unreachable</title><link>{dead}</link>"
            "<description>Only a teaser.</description></item>"
            "<item><title>Nothing at all</title></item>"
            f"<item><title>Missing page</title><link>{site.url('/404')}</link></item>"
            f"<item><title>Also works</title><link>{site.url('/ok')}</link></item>"
            "</channel></rss>"
        ).encode()
        site.handler.routes["/feed.xml"] = Route(feed, "application/xml")
        feed_url = site.url("/feed.xml")
        items = load(feed_url, settings)
    assert [a.title for a in items if isinstance(a, Article)] == ["Works", "Also works"]
    assert [(f.item, f.reason) for f in items if isinstance(f, Failure)] == [
        (
            f"{feed_url} entry 2 (Unreachable)",
            "could not fetch: connection refused, and its own text has only 3 words",
        ),
        (
            f"{feed_url} entry 3 (Nothing at all)",
            "the entry has no link, and it carries no text of its own",
        ),
        (
            f"{feed_url} entry 4 (Missing page)",
            "could not fetch: HTTP 404 Not Found, and it carries no text of its own",
        ),
    ]


def test_unreachable_url(settings: Settings) -> None:
    url = closed_port_url()
    assert load(url, settings) == [Failure(item=url, reason="could not fetch: connection refused")]


def test_url_that_times_out(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", fetch_timeout_s=0.5, fetch_allow_private=True
    )
    with silent_server() as silent:
        assert load(silent.url, settings) == [
            Failure(item=silent.url, reason="timed out after 0.5 s")
        ]


def test_feed_of_a_dead_host_costs_one_timeout(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", fetch_timeout_s=0.5, fetch_allow_private=True
    )
    with silent_server() as silent:
        entries = "".join(
            f"<item><title>Story {i}</title><link>{silent.url}/{i}</link></item>" for i in range(5)
        )
        path = tmp_path / "feed.rss"
        path.write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel>{entries}</channel></rss>'
        )
        items = load(path, settings)
        assert len(silent.connections) == 1
    assert [f.item for f in items if isinstance(f, Failure)] == [
        f"{path} entry {i} (Story {i - 1})" for i in range(1, 6)
    ]
    assert {f.reason for f in items if isinstance(f, Failure)} == {
        "timed out after 0.5 s, and it carries no text of its own"
    }


def test_url_with_an_error_status(settings: Settings) -> None:
    with serve({}) as site:
        url = site.url("/gone")
        assert load(url, settings) == [
            Failure(item=url, reason="could not fetch: HTTP 404 Not Found")
        ]


def test_url_response_over_the_size_limit(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, data_dir=tmp_path / "data", max_file_mb=1, fetch_allow_private=True
    )
    with serve({"/big": Route(b"<p>" + b"word " * (MB // 4) + b"</p>")}) as site:
        [failure] = load(site.url("/big"), settings)
    assert failure.reason == "response is 1.3 MB, over the 1 MB limit"


def test_50_mb_file_is_refused_without_reading_it(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as out:
        line = b"All work and no play makes a very long article. " * 20 + b"\n"
        for _ in range(50 * MB // len(line) + 1):
            out.write(line)
    tracemalloc.start()
    try:
        items = load(path, settings)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert items == [Failure(item=str(path), reason="file is 50.0 MB, over the 25 MB limit")]
    assert peak < 5 * MB


_STREAM_SCRIPT = """
import json, resource, sys
from ingest.loaders import load_source
from core.records import Article
from core.settings import Settings

settings = Settings(_env_file=None, data_dir=sys.argv[2])
next(load_source("samples/council-budget.md", settings))  # warm up every lazy import
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kinds = [type(item).__name__ for item in load_source(sys.argv[1], settings)]
grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"loaded": len(kinds), "kinds": sorted(set(kinds)), "grown_kb": grown_kb}))
"""


@pytest.mark.slow
def test_50_mb_jsonl_streams(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    paragraph = "The harbour board met again and voted on the channel works. " * 40
    text = "\n\n".join([paragraph] * 80)  # about 200 kB an article
    count = 50 * MB // len(text) + 1
    with path.open("w") as out:
        for i in range(count):
            record = {"id": f"r{i}", "title": f"Meeting {i}", "lang": "en", "text": text}
            out.write(json.dumps(record) + "\n")
    assert path.stat().st_size > 50 * MB
    # A fresh interpreter, so its peak resident memory belongs to this load alone.
    result = subprocess.run(
        [sys.executable, "-c", _STREAM_SCRIPT, str(path), str(tmp_path / "data")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["loaded"] == count and report["kinds"] == ["Article"]
    # One record at a time: memory grows by a few copies of one article, not by the file.
    assert report["grown_kb"] < 30 * 1024


def test_latin1_html_and_csv(tmp_path: Path, settings: Settings) -> None:
    sentence = "Die Größe der Straßenbahn überrascht viele Fahrgäste in Köln. "
    page = f"<html><head><title>Größe</title></head><body><article><p>{sentence * 4}</p>"
    (tmp_path / "alt.html").write_bytes((page + "</article></body></html>").encode("latin-1"))
    (tmp_path / "alt.csv").write_bytes(f'title,text\nGröße,"{sentence}"\n'.encode("cp1252"))
    csv_row, html = load(tmp_path / "alt.csv", settings) + load(tmp_path / "alt.html", settings)
    assert (csv_row.title, html.title) == ("Größe", "Größe")
    assert csv_row.text == sentence.strip()
    assert html.text == (sentence * 4).strip()


def test_binary_exports_are_one_failure_each(tmp_path: Path, settings: Settings) -> None:
    for name in ("dump.jsonl", "dump.csv"):
        (tmp_path / name).write_bytes(b"\x00\x01\x02garbage\n" * 1000)
        assert load(tmp_path / name, settings) == [
            Failure(item=str(tmp_path / name), reason="binary file, not text")
        ]


def test_csv_row_with_a_stray_byte_does_not_stop_the_rest(
    tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / "mixed.csv"
    rows = [b"title,text", f'Eins,"{BODY}"'.encode(), b'Zwei,"Stra\x81e ' + BODY.encode() + b'"']
    rows.append(f'Drei,"{BODY}"'.encode())
    path.write_bytes(b"\n".join(rows) + b"\n")
    assert [a.title for a in load(path, settings) if isinstance(a, Article)] == [
        "Eins",
        "Zwei",
        "Drei",
    ]
