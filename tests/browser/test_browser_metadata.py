"""An article's metadata is text, wherever the page shows it: a title, source, URL, author or
date holding a blank line and Markdown or HTML renders as those characters, and nothing of it
takes effect (no bold, no link, no image fetched)."""

from __future__ import annotations

import json

from local_http import Route, serve
from playwright.sync_api import expect

from indexing.pipeline import ingest_sources
from tests.browser.conftest import ask_in_new_tab, start_app

TEXT = (
    "The Riverton council approved the new harbour budget on Monday. The budget adds two "
    "ferries and a night bus line, the council said."
)


def hostile(pixel: str) -> dict[str, str]:
    markdown = f"\n\n**bold** [a link]({pixel}) ![pixel]({pixel}) <b>tag</b>\n\n"
    return {
        "title": f"Harbour budget{markdown}",
        "source": f"Riverton Desk{markdown}",
        "url": f"https://example.org/budget{markdown}",
        "author": f"Kim{markdown}",
        "date": f"2026-01-05{markdown}",
        "text": TEXT,
    }


def test_markdown_and_html_in_every_metadata_field_stay_text(chromium, tmp_path):
    with serve({"/pixel.png": Route(b"GIF89a", "image/gif")}) as site:
        pixel = site.url("/pixel.png")
        export = tmp_path / "hostile.jsonl"
        export.write_text(json.dumps(hostile(pixel)) + "\n", encoding="utf-8")
        app = start_app(tmp_path / "data", ingest=False)
        try:
            report = ingest_sources([export], app.store, app.settings)
            assert report.added == 1, report
            tab, answer = ask_in_new_tab(chromium, app, "What did the Riverton council approve?")
            expect(answer).to_contain_text("harbour budget", timeout=60_000)
            answer.locator("details.nq-sources summary").first.click()
            chat = tab.locator("#nq-chat")
            expect(chat).to_contain_text("**bold**")  # shown as the characters it is
            for element in ("strong", "img", "b", "a[href$='pixel.png']"):
                assert chat.locator(element).count() == 0, element
            assert site.requests == []  # the page never loaded the pixel
        finally:
            app.demo.close()
