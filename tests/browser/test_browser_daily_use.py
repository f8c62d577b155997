"""The app as someone uses it every day: what the clipboard gets, how sources are numbered, which
filters are on, what "as of" leaves out, whether the highlight can be read in either theme, what a
stopped answer looks like, and that a reload keeps the conversation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from scripted_openai import scripted_openai

from tests.browser.conftest import screenshot, start_app
from tests.browser.test_browser_chat import ANSWER_TIMEOUT, SIX_THOUSAND, ask

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}


def open_tab(chromium, app, viewport=LAPTOP, theme: str = "light") -> Page:
    context = chromium.new_context(viewport=viewport, color_scheme=theme)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    tab.goto(f"{app.url}?__theme={theme}")
    tab.wait_for_selector("#nq-chat")
    return tab


@contextmanager
def scripted_app(tmp_path: Path, reply: str, delay: float = 0.0) -> Iterator:
    """The app over samples/ answering with the OpenAI backend from a scripted server
    (tests/scripted_openai.py says why: some answers no real model writes on cue)."""
    with scripted_openai(reply, delay=delay) as base_url:
        app = start_app(tmp_path / "data", llm_backend="openai", openai_base_url=base_url,
                        openai_model="scripted")  # fmt: skip
        try:
            yield app
        finally:
            app.demo.close()


def buttons_of(answer_row):
    """The copy / retry / rating buttons Gradio draws under a chat message."""
    return answer_row.locator("xpath=following-sibling::div[contains(@class,'message-buttons')][1]")


def test_copy_puts_the_answer_as_plain_text_with_its_sources_on_the_clipboard(chromium, app):
    tab = open_tab(chromium, app)
    ask(tab, "How many soldiers are expected?")
    row = tab.locator("#nq-chat .message-row.bot-row").last
    buttons_of(row).get_by_role("button", name="Copy message").click()
    copied = tab.evaluate("navigator.clipboard.readText()")
    assert SIX_THOUSAND.search(copied), copied
    assert "<" not in copied and "nq-" not in copied and "**" not in copied, copied
    body, sources = copied.split("\n\nSources:\n")
    assert "[1]" in body
    assert re.match(r"1\. Nordkorea schickt .+ \(newsqa Beispielkorpus, 2025-08-13\)", sources)
    tab.context.close()


def test_markers_are_numbered_in_the_order_they_first_appear_with_a_card_each(chromium, tmp_path):
    # Written by a scripted OpenAI-compatible server (tests/scripted_openai.py says why): it
    # cites passage 2 before passage 1, which no real model can be made to do on cue.
    reply = "The open-top bus parade is on Monday at 5 p.m. [2]. Harbour City won the cup [1]."
    with scripted_app(tmp_path, reply) as app:
        tab = open_tab(chromium, app)
        answer = ask(tab, "Who won the cup final and when is the parade?")
        expect(answer).to_contain_text("parade is on Monday")
        links = answer.locator("a.nq-cite")
        expect(links).to_have_text(["[1]", "[2]"])
        cards = answer.locator("li.nq-source")
        expect(cards).to_have_count(2)
        expect(cards.locator(".nq-num")).to_have_text(["1", "2"])
        links.nth(0).click()  # [1] is the passage the first sentence rests on
        expect(cards.nth(0).locator("mark")).to_contain_text("parade")


def test_an_as_of_day_shows_as_a_chip_leaves_later_articles_out_and_is_named_in_the_decline(
    chromium, app
):
    tab = open_tab(chromium, app)
    # The rail strike report, dated 2025-02-11, is the oldest sample: the day before, no
    # article exists yet.
    tab.fill("#nq-as-of input, #nq-as-of textarea", "2025-02-10")
    chip = tab.locator("#nq-chip-as_of")
    expect(chip).to_have_text("As of 2025-02-10 ×")
    before = ask(tab, "How long does the rail strike last?")
    expect(before).to_contain_text("do not answer this question")
    expect(before.locator(".nq-scope")).to_contain_text("published by 2025-02-10 (as of)")
    expect(before).not_to_contain_text("48")
    screenshot(tab, "decline-with-as-of-chip.png")
    # On its own day it counts: no grace either way.
    tab.fill("#nq-as-of input, #nq-as-of textarea", "2025-02-11")
    expect(chip).to_have_text("As of 2025-02-11 ×")
    on_the_day = ask(tab, "How long does the rail strike last?")
    expect(on_the_day).to_contain_text(re.compile(r"48[ -]hour"))
    chip.click()  # the chip removes its filter
    expect(chip).to_be_hidden()
    expect(tab.locator("#nq-as-of input, #nq-as-of textarea")).to_have_value("")
    tab.locator("#nq-undated input").uncheck()
    expect(tab.locator("#nq-chip-undated")).to_have_text("Dated articles only ×")
    tab.locator("#nq-chip-undated").click()
    expect(tab.locator("#nq-undated input")).to_be_checked()
    tab.context.close()


def _luminance(rgb: str) -> float:
    values = [int(v) / 255 for v in re.findall(r"\d+", rgb)[:3]]
    linear = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in values]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


# The highlight's colours as the browser computed them, and the opacity everything above it adds.
_COLOURS = """(mark) => {
  let opacity = 1;
  for (let e = mark; e; e = e.parentElement) opacity *= parseFloat(getComputedStyle(e).opacity);
  const style = getComputedStyle(mark);
  return [style.color, style.backgroundColor, opacity];
}"""


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_highlighted_span_reads_at_a_contrast_of_at_least_4_5(chromium, app, theme):
    tab = open_tab(chromium, app, theme=theme)
    answer = ask(tab, "How many soldiers are expected?")
    answer.locator("a.nq-cite").first.click()
    mark = answer.locator("li.nq-source mark").first
    expect(mark).to_be_visible()
    colour, ground, opacity = mark.evaluate(_COLOURS)
    lighter, darker = sorted((_luminance(colour), _luminance(ground)), reverse=True)
    ratio = (lighter + 0.05) / (darker + 0.05)
    assert ratio >= 4.5 and opacity == 1, (theme, colour, ground, opacity, ratio)
    tab.wait_for_timeout(600)  # the smooth scroll to the card settles for the picture
    screenshot(tab, f"answer-laptop-{theme}.png")
    tab.context.close()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_phone_shows_the_answer_and_its_cards(chromium, app, theme):
    tab = open_tab(chromium, app, viewport=PHONE, theme=theme)
    answer = ask(tab, "How many soldiers are expected?")
    card = answer.locator("li.nq-source").first
    expect(card).to_be_visible()
    box = card.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1
    answer.locator("a.nq-cite").first.click()
    tab.wait_for_timeout(600)
    screenshot(tab, f"answer-phone-{theme}.png")
    tab.context.close()


def test_a_stopped_answer_keeps_its_words_says_it_stopped_and_offers_no_buttons(chromium, tmp_path):
    words = " ".join(["Harbour City won the cup final [1]."] * 40)
    with scripted_app(tmp_path, words, delay=0.15) as app:
        tab = open_tab(chromium, app)
        retry = tab.locator("#nq-retry")
        expect(retry).to_be_hidden()  # nothing to retry on an empty chat
        tab.fill("#nq-question textarea", "Who won the cup final?")
        tab.click("#nq-send")
        streaming = tab.locator("#nq-chat .nq-streaming")
        expect(streaming).to_contain_text("Harbour City", timeout=ANSWER_TIMEOUT)
        # While it is written: the app's own status only, no Gradio timer, no buttons.
        expect(tab.locator("#nq-chat")).not_to_contain_text(re.compile(r"processing|\d\.\ds"))
        expect(buttons_of(tab.locator("#nq-chat .message-row").last)).to_be_hidden()
        tab.click("#nq-stop")
        stopped = tab.locator("#nq-chat .nq-stopped")
        expect(stopped).to_contain_text("Stopped before the answer was finished.")
        expect(stopped).to_contain_text("Harbour City")
        expect(stopped).not_to_contain_text("writing the answer")
        expect(buttons_of(tab.locator("#nq-chat .message-row").last)).to_be_hidden()
        expect(retry).to_be_visible()
        screenshot(tab, "stopped-answer.png")


def test_a_reload_keeps_the_conversation_and_the_settings(chromium, app):
    tab = open_tab(chromium, app)
    ask(tab, "How many soldiers are expected?")
    tab.fill("#nq-as-of input, #nq-as-of textarea", "2025-12-31")
    expect(tab.locator("#nq-chip-as_of")).to_be_visible()
    tab.get_by_label("Local model").check()
    tab.wait_for_timeout(500)  # the browser's copy is written after each change
    tab.reload()
    tab.wait_for_selector("#nq-chat")
    answer = tab.locator("#nq-chat .nq-answer")
    expect(answer).to_contain_text(SIX_THOUSAND)
    expect(tab.locator("#nq-chat .nq-question")).to_have_text("How many soldiers are expected?")
    expect(tab.get_by_label("Local model")).to_be_checked()
    expect(tab.locator("#nq-chip-as_of")).to_have_text("As of 2025-12-31 ×")
    answer.locator("a.nq-cite").first.click()  # redrawn, not a dead copy: the card opens
    expect(answer.locator("li.nq-source details").first).to_have_attribute("open", "")
    # Export: the conversation as Markdown, questions as headings, sources listed.
    with tab.expect_download() as download:
        tab.click("#nq-export")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "## How many soldiers are expected?" in exported and "Sources:\n1. " in exported
    assert "<" not in exported
    # A new conversation is what the next reload finds.
    tab.click("#nq-new")
    expect(tab.locator("#nq-chat .nq-answer")).to_have_count(0)
    tab.wait_for_timeout(500)
    tab.reload()
    tab.wait_for_selector("#nq-chat")
    tab.wait_for_timeout(1000)
    expect(tab.locator("#nq-chat .nq-answer")).to_have_count(0)
    tab.context.close()


def test_a_line_of_plain_words_in_the_url_box_is_one_refused_item(chromium, app):
    tab = open_tab(chromium, app)
    tab.get_by_role("tab", name="Add articles").click()
    tab.fill("#nq-urls textarea", "not a url")
    tab.click("#nq-add")
    report = tab.locator("#nq-report .nq-report")
    expect(report.locator("ul.nq-failed li")).to_have_count(1)
    expect(report).to_contain_text("not a url: not an http(s) URL")
    tab.context.close()


def test_the_articles_tab_lists_and_deletes_articles(chromium, tmp_path):
    app = start_app(tmp_path / "data")
    try:
        tab = open_tab(chromium, app)
        expect(tab.locator("#nq-corpus")).to_contain_text("7")
        tab.get_by_role("tab", name="Stored articles").click()
        table = tab.locator("#nq-article-list table.nq-articles")
        expect(table.locator("tbody tr")).to_have_count(7)
        expect(table).to_contain_text("Harbour City win the cup final")
        choice = tab.locator("#nq-delete-choice")
        choice.locator("input").fill("Harbour City")
        tab.get_by_role("option", name=re.compile("Harbour City win the cup final")).click()
        tab.click("#nq-delete")
        expect(tab.locator("#nq-delete-note")).to_contain_text("Deleted 1 article(s).")
        expect(table.locator("tbody tr")).to_have_count(6)
        expect(table).not_to_contain_text("Harbour City win the cup final")
        expect(tab.locator("#nq-corpus")).to_contain_text("6")  # the side panel follows
        tab.get_by_role("tab", name="Chat").click()
        expect(ask(tab, "Who won the cup final?")).not_to_contain_text("Harbour City won")
    finally:
        app.demo.close()


def test_a_german_passage_is_translated_for_an_english_reader_from_its_card(chromium, tmp_path):
    # The scripted server (tests/scripted_openai.py) writes every reply, the translation too:
    # this is the page's path to the model and back; tests/browser/test_browser_local_model.py
    # has the real model translate.
    reply = "6000 more soldiers are expected in the coming weeks [1]."
    with scripted_app(tmp_path, reply) as app:
        tab = open_tab(chromium, app)
        answer = ask(tab, "How many soldiers are expected?")
        card = answer.locator("li.nq-source").first
        card.locator("summary").click()
        link = card.locator("a.nq-translate")
        expect(link).to_have_text("Translate into English")
        link.click()
        expect(card.locator("p.nq-translation")).to_have_text(reply, timeout=ANSWER_TIMEOUT)
        expect(card.locator("blockquote mark")).to_contain_text("Weitere 6000 Soldaten")
