"""Loading sources into cleaned Articles: every supported format, through `load_source`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from local_http import Route, serve

from core.ids import article_id, chunk_id
from core.records import Article, Failure
from core.settings import Settings
from ingest.dates import parse_date
from ingest.fetch import USER_AGENT
from ingest.loaders import load_source, load_sources

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]

BODY_EN = (
    "The harbour board voted on Monday to dredge the northern channel before the autumn "
    "storms. The work will cost 4.2 million dollars and take about nine weeks, the board said. "
    "Fishing boats will use the southern channel while the dredgers are at work."
)
BODY_DE = (
    "Der Gemeinderat hat am Montag beschlossen, die Turnhalle der Grundschule zu sanieren. "
    "Die Arbeiten kosten 2,4 Millionen Euro und sollen bis zum Ende der Sommerferien dauern. "
    "Der Sportunterricht findet so lange in der Halle des Gymnasiums statt."
)


def articles(items: list[Article | Failure]) -> list[Article]:
    return [item for item in items if isinstance(item, Article)]


def failures(items: list[Article | Failure]) -> list[Failure]:
    return [item for item in items if isinstance(item, Failure)]


def load(source: str | Path, settings: Settings) -> list[Article | Failure]:
    return list(load_source(source, settings))


# --- tokens and ids -------------------------------------------------------------------------


def test_tiktoken_loads_offline_and_round_trips_german(tmp_path: Path) -> None:
    # A fresh interpreter with every network connection refused: the encoding must come from
    # the bundled ranks, not a download.
    script = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise OSError('network disabled in this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from pathlib import Path\n"
        "from core.tokens import get_encoding\n"
        "for name in ('cl100k_base', 'o200k_base'):\n"
        "    enc = get_encoding(name, Path(sys.argv[1]))\n"
        "    text = 'Größere Straßen: 11.000 Soldaten, weitere 6000 erwartet – „Übermäßig“.'\n"
        "    tokens = enc.encode(text)\n"
        "    assert enc.decode(tokens) == text and 5 < len(tokens) < len(text)\n"
        "    assert get_encoding(name, Path(sys.argv[1])) is enc\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR"}
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "cache")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert (tmp_path / "cache" / "9b5ad71b2ce5302211f9c61530b329a4922fc6a4").is_file()


def test_article_ids_derive_from_content_and_ignore_spacing() -> None:
    first = article_id("Budget passed", "The council  approved\nthe budget.")
    assert first == article_id(" Budget passed ", "The council approved the budget.")
    assert len(first) == 16 and int(first, 16) >= 0
    assert first != article_id("Budget passed", "The council rejected the budget.")
    # Composed and decomposed umlauts are the same text.
    assert article_id("Größe", "Text") == article_id("Gro\u0308ße", "Text")
    assert chunk_id(first, 3) == f"{first}:3"


# --- the sample corpus ----------------------------------------------------------------------


def test_sample_corpus_loads_completely_with_sane_metadata(settings: Settings) -> None:
    items = load(REPO / "samples", settings)
    assert failures(items) == []
    loaded = articles(items)
    assert len(loaded) == 7
    for article in loaded:
        assert 20 <= len(article.text.split()) <= 450, article.title
        assert 10 <= len(article.title) <= 120
        assert article.date is not None and article.date.year == 2025
        assert article.language in {"de", "en"}
        assert article.source and article.origin
        assert article.title not in article.text.split("\n")[0]
    assert {a.language for a in loaded} == {"de", "en"}
    korea = next(a for a in loaded if "Nordkorea" in a.title)
    assert korea.date == date(2025, 8, 13) and korea.language == "de"
    for fact in ("11.000", "6000", "Alaska", "Kim Yo Jong", "Yang Moo Jin", "Defense Express"):
        assert fact in korea.text
    # The folder's README describes the folder and is no article.
    assert not any("README" in a.origin for a in loaded)


# --- single files ---------------------------------------------------------------------------


def test_text_file_title_is_first_line(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "harbour" / "dredging.txt"
    path.parent.mkdir()
    path.write_text(f"\n\nHarbour channel to be dredged\n\n{BODY_EN}\n", encoding="utf-8")
    [article] = load(path, settings)
    assert isinstance(article, Article)
    assert article.title == "Harbour channel to be dredged"
    assert article.text == BODY_EN
    assert article.language == "en"
    assert article.source == "harbour"  # the parent folder, when nothing better is known
    assert article.origin == str(path.resolve())
    assert article.id == article_id(article.title, article.text)


def test_markdown_heading_marks_and_front_matter(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "turnhalle.md"
    path.write_text(
        "---\ndate: 13.08.2025\nsource: Lokalblatt\nauthor: Eva Roth und Max Bauer\n---\n"
        f"## Turnhalle wird *saniert*\n\n{BODY_DE}\n\nMehr unter [der Gemeinde](https://x.example).",
        encoding="utf-8",
    )
    [article] = load(path, settings)
    assert article.title == "Turnhalle wird saniert"
    assert article.date == date(2025, 8, 13)
    assert article.source == "Lokalblatt"
    assert article.authors == ["Eva Roth", "Max Bauer"]
    assert article.language == "de"
    assert article.text.endswith("Mehr unter der Gemeinde.")
    assert "#" not in article.text and "](" not in article.text


def test_html_page_main_text_and_metadata(settings: Settings) -> None:
    [article] = load(DATA / "page-en.html", settings)
    assert isinstance(article, Article), article
    assert article.title == "Ferry service to Gull Island resumes after storm repairs"
    assert article.date == date(2025, 4, 17)
    assert article.source == "Bayside Courier"
    assert article.authors == ["Ruth Albers", "Kenji Mori"]
    assert article.language == "en"
    assert article.text.startswith("The ferry between Bayside harbour")
    assert "island council chair Marta Levin" in article.text
    for furniture in ("Skip to content", "cookies", "Share this article", "All rights reserved"):
        assert furniture not in article.text
    assert "\n\n" in article.text  # paragraphs survive extraction


def test_json_object_list_and_articles_wrapper(tmp_path: Path, settings: Settings) -> None:
    record = {"title": "Channel dredging", "text": BODY_EN, "published": "2025-06-02"}
    (tmp_path / "one.json").write_text(json.dumps(record), encoding="utf-8")
    (tmp_path / "list.json").write_text(json.dumps([record, {**record, "id": "x7"}]))
    (tmp_path / "wrapped.json").write_text(json.dumps({"status": "ok", "articles": [record]}))
    assert len(articles(load(tmp_path / "one.json", settings))) == 1
    listed = load(tmp_path / "list.json", settings)
    assert [a.origin for a in articles(listed)] == [
        f"{(tmp_path / 'list.json').resolve()}[0]",
        "export:x7",
    ]
    [wrapped] = load(tmp_path / "wrapped.json", settings)
    assert wrapped.date == date(2025, 6, 2) and wrapped.source == "wrapped"


def test_jsonl_benchmark_fields(bench_dir: Path, settings: Settings) -> None:
    [article] = load(bench_dir / "seed" / "corpus.jsonl", settings)
    assert article.title.startswith("Trotz Alaska-Treffen")
    assert article.date == date(2025, 8, 13)
    assert article.language == "de"
    assert article.origin == "export:000_aeb1d45ba569944f"
    # The scraped text repeats the headline and carries page furniture; both are gone.
    assert not article.text.startswith("Trotz Alaska-Treffen")
    assert "Startseite" not in article.text
    assert "11.000 nordkoreanische Soldaten in der Ukraine befinden – weitere 6000" in article.text


def test_jsonl_field_aliases(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "scrape.jsonl"
    rows = [
        {
            "headline": "Channel dredging",
            "maintext": BODY_EN,
            "date_publish": "2025-06-02 10:11:12",
            "link": "https://harbour.example/dredging",
            "byline": "By Ann Lee",
            "publisher": "Harbour Times",
            "language": "en",
        },
        {"Title": "Turnhalle", "Body": BODY_DE, "pubDate": "Fri, 13 Jun 2025 09:00:00 +0200"},
        {"headline": "Ohne Quelle", "content": BODY_DE, "url": "https://www.lokal.example/a"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    first, second, third = load(path, settings)
    assert (first.title, first.date, first.url) == (
        "Channel dredging",
        date(2025, 6, 2),
        "https://harbour.example/dredging",
    )
    assert first.authors == ["Ann Lee"] and first.source == "Harbour Times"
    assert first.origin == "https://harbour.example/dredging"
    assert second.date == date(2025, 6, 13) and second.language == "de"
    assert second.origin == f"{path.resolve()}:2" and second.source == "scrape"
    assert third.source == "lokal.example"  # the URL's host when no site name is given


def test_csv_with_aliases_and_semicolons(settings: Settings) -> None:
    first, second = load(DATA / "export.csv", settings)
    assert first.title == "Dam inspection finds no cracks"
    assert first.date == date(2025, 6, 2)
    assert first.source == "Valley Water News" and first.authors == ["Lee Park"]
    assert first.text.endswith("normal level over the summer.")
    assert "\n\n" in first.text  # a quoted multi-line field keeps its paragraphs
    assert second.date == date(2025, 6, 21) and second.language == "de"
    assert second.origin == f"{(DATA / 'export.csv').resolve()}:5"  # the row's first line


def test_folder_is_recursive_sorted_and_reports_unknown_types(
    tmp_path: Path, settings: Settings
) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text(f"Zed\n\n{BODY_EN}")
    (tmp_path / "a.txt").write_text(f"Alpha\n\n{BODY_EN} Alpha.")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "secret.txt").write_text(f"Hidden\n\n{BODY_EN}")
    (tmp_path / ".notes.txt").write_text(f"Notes\n\n{BODY_EN}")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4")
    items = load(tmp_path, settings)
    assert [a.title for a in articles(items)] == ["Alpha", "Zed"]
    assert failures(items) == [
        Failure(item=str(tmp_path / "scan.pdf"), reason="unsupported file type .pdf")
    ]


def test_load_sources_chains_sources(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "one.txt").write_text(f"One\n\n{BODY_EN}")
    items = list(load_sources([tmp_path / "one.txt", DATA / "page-en.html"], settings))
    assert [a.title[:3] for a in articles(items)] == ["One", "Fer"]


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2025-08-13",
        "2025-08-13T22:10:00Z",
        "2025-08-13 09:00",
        "Wed, 13 Aug 2025 10:00:00 +0200",
        "13.08.2025",
        "13. August 2025",
        "August 13, 2025",
        "13 Aug 2025",
    ],
)
def test_dates_in_news_shapes(text: str) -> None:
    assert parse_date(text) == date(2025, 8, 13)


@pytest.mark.parametrize("text", ["", "soon", "31.02.2025", "2025-13-01"])
def test_unparseable_dates_are_none(text: str) -> None:
    assert parse_date(text) is None


# --- URLs and feeds, served from a real local HTTP server -----------------------------------

PAGE = (DATA / "page-en.html").read_bytes()


def _feed(entries: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Bayside Courier</title>" + "".join(entries) + "</channel></rss>"
    ).encode()


def _item(title: str, link: str = "", description: str = "", pub: str = "") -> str:
    parts = [f"<title>{title}</title>"]
    if link:
        parts.append(f"<link>{link}</link>")
    if description:
        parts.append(f"<description><![CDATA[{description}]]></description>")
    if pub:
        parts.append(f"<pubDate>{pub}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"


def test_url_of_a_page(settings: Settings) -> None:
    with serve({"/ferry": Route(PAGE)}) as site:
        [article] = load(site.url("/ferry"), settings)
        assert site.requests[0][1] == USER_AGENT
    assert isinstance(article, Article), article
    assert article.title.startswith("Ferry service to Gull Island")
    assert article.url == site.url("/ferry") and article.origin == site.url("/ferry")


def test_url_of_a_feed_fetches_each_entry_page(settings: Settings) -> None:
    with serve({"/feed": Route(b"", "application/rss+xml"), "/ferry": Route(PAGE)}) as site:
        feed = _feed(
            [
                _item("Ferry resumes", "/ferry", "Short teaser.", "Thu, 17 Apr 2025"),  # relative
                _item("Gone", site.url("/missing"), "Teaser " + BODY_EN, "Fri, 18 Apr 2025"),
            ]
        )
        site.handler.routes["/feed"] = Route(feed, "application/rss+xml")
        items = load(site.url("/feed"), settings)
    ferry, gone = items
    assert isinstance(ferry, Article) and ferry.title == "Ferry resumes"
    assert ferry.text.startswith("The ferry between Bayside harbour")  # from the page
    assert ferry.date == date(2025, 4, 17) and ferry.origin == site.url("/ferry")
    # The second page is a 404: the entry's own text is long enough to stand in.
    assert isinstance(gone, Article) and gone.text == "Teaser " + BODY_EN
    assert gone.date == date(2025, 4, 18)


def test_feed_file_with_entries_that_carry_their_text(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "news.rss"
    path.write_bytes(_feed([_item("Dredging", description=f"<p>{BODY_EN}</p><p>{BODY_EN}</p>")]))
    [article] = load(path, settings)
    assert article.title == "Dredging" and article.source == "Bayside Courier"
    assert article.text == f"{BODY_EN}\n\n{BODY_EN}"


def test_text_file_that_starts_with_its_text(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "untitled.txt"
    path.write_text(f"{BODY_EN} {BODY_EN}\n\nA second paragraph follows here.")
    [article] = load(path, settings)
    assert article.text.startswith(BODY_EN)  # the long first line is text, not a title
    assert article.title == (
        "The harbour board voted on Monday to dredge the northern channel before the autumn storms."
    )


def test_markdown_keeps_snake_case_and_arithmetic(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "code.md"
    path.write_text(f"# Release\n\n{BODY_EN} The flag is max_file_mb and 2*3*4 is 24, *really*.")
    [article] = load(path, settings)
    assert article.text.endswith("The flag is max_file_mb and 2*3*4 is 24, really.")


def test_corrupt_gzip_export_keeps_what_loaded(tmp_path: Path, settings: Settings) -> None:
    import gzip

    path = tmp_path / "export.jsonl.gz"
    lines = [
        json.dumps({"id": f"g{i}", "title": f"T{i}", "text": f"{BODY_EN} {i}"}) for i in range(2000)
    ]
    data = gzip.compress("\n".join(lines).encode())
    path.write_bytes(data[: len(data) // 2])  # cut off half way
    items = load(path, settings)
    assert len(articles(items)) >= 1
    [failure] = failures(items)
    assert failure.item == str(path) and failure.reason.startswith("could not read: ")
