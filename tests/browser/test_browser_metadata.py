"""An article's metadata is text, wherever the page shows it: a title, source, URL, author or
date holding a blank line and Markdown or HTML renders as those characters, and nothing of it
takes effect (no bold, no link, no image fetched)."""

from __future__ import annotations

import json

import pytest
from local_http import Route, serve
from playwright.sync_api import expect

from indexing.pipeline import ingest_sources
from tests.browser.conftest import ask_in_new_tab, start_app

TEXT = (
    "The Riverton council approved the new harbour budget on Monday. The budget adds two "
    "ferries and a night bus line, the council said."
)


FIELDS = ("title", "source", "url", "author", "date")
PLAIN = {
    "title": "Harbour budget",
    "source": "Riverton Desk",
    "url": "https://example.org/budget",
    "author": "Kim",
    "date": "2026-01-05",
}


def hostile(pixel: str, field: str) -> dict[str, str]:
    """A record whose `field` holds a blank line, Markdown and HTML after its plain value."""
    markdown = f"\n\n**bold** [a link]({pixel}) ![pixel]({pixel}) <b>tag</b>\n\n"
    return {**PLAIN, field: PLAIN[field] + markdown, "text": TEXT}


@pytest.mark.parametrize("field", FIELDS)
def test_markdown_and_html_in_a_metadata_field_stay_text(chromium, tmp_path, field):
    with serve({"/pixel.png": Route(b"GIF89a", "image/gif")}) as site:
        pixel = site.url("/pixel.png")
        export = tmp_path / "hostile.jsonl"
        export.write_text(json.dumps(hostile(pixel, field)) + "\n", encoding="utf-8")
        app = start_app(tmp_path / "data", ingest=False)
        try:
            report = ingest_sources([export], app.store, app.settings)
            assert report.added == 1, report
            tab, answer = ask_in_new_tab(chromium, app, "What did the Riverton council approve?")
            expect(answer).to_contain_text("harbour budget", timeout=60_000)
            answer.locator("li.nq-source summary").first.click()  # the first card opens
            chat = tab.locator("#nq-chat")
            if field in ("title", "source"):  # the fields a passage shows: as the characters
                expect(chat).to_contain_text("**bold**")
            for element in ("strong", "img", "b", "a[href$='pixel.png']"):
                assert chat.locator(element).count() == 0, (field, element)
            assert site.requests == []  # the page never loaded the pixel
        finally:
            app.demo.close()
