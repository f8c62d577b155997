"""A person using the app in Chromium: asking, checking citations, following up, adding articles."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

SIX_THOUSAND = re.compile(r"6[.,]?000")
ANSWER_TIMEOUT = 60_000


def ask(tab: Page, question: str):
    """Type a question, send it, and return the finished answer's locator."""
    answers = tab.locator("#nq-chat .nq-answer:not(.nq-streaming)")
    before = answers.count()
    tab.fill("#nq-question textarea", question)
    tab.click("#nq-send")
    expect(answers).to_have_count(before + 1, timeout=ANSWER_TIMEOUT)
    return answers.nth(before)


def test_empty_chat_offers_example_questions(page: Page):
    expect(page.get_by_text("How many soldiers are expected?")).to_be_visible()
    expect(page.locator("#nq-corpus")).to_contain_text("Articles")
    expect(page.locator("#nq-corpus")).to_contain_text("7")
    expect(page.locator("#nq-backend-status")).to_contain_text("ready")
    screenshot(page, "empty-chat.png")


def test_example_question_is_answered_with_a_citation_that_shows_its_passage(page: Page):
    page.get_by_text("How many soldiers are expected?").click()
    answer = page.locator("#nq-chat .nq-answer:not(.nq-streaming)").first
    expect(answer).to_contain_text(SIX_THOUSAND, timeout=ANSWER_TIMEOUT)
    marker = answer.locator("a.nq-cite").first
    expect(marker).to_be_visible()
    target = answer.locator(marker.get_attribute("href"))  # the source card
    expect(target).to_be_visible()  # cards are always in view; their passage opens on a click
    expect(target.locator("details")).not_to_have_attribute("open", "")
    marker.click()
    expect(target.locator("details")).to_have_attribute("open", "")
    expect(target.locator("mark").filter(has_text=SIX_THOUSAND)).to_be_visible()
    expect(target).to_contain_text("2025-08-13")
    page.wait_for_timeout(800)  # let the smooth scroll settle for the picture
    screenshot(page, "answer-with-sources.png")


def test_follow_up_question_uses_the_conversation(page: Page):
    first = ask(page, "How many soldiers are expected?")
    expect(first).to_contain_text(SIX_THOUSAND)
    second = ask(page, "And how many are already there?")
    expect(second).to_contain_text(re.compile(r"11[.,]?000"))
    expect(second.locator("a.nq-cite").first).to_be_visible()


def test_unanswerable_question_says_so_and_shows_closest_passages(page: Page):
    answer = ask(page, "What is the population of Pyongyang?")
    expect(answer).to_contain_text("The stored articles do not answer this question.")
    expect(answer.locator("details.nq-closest summary")).to_contain_text("Closest passages")
    expect(answer.locator("details.nq-closest")).not_to_have_attribute("open", "")


def test_new_conversation_clears_the_chat(page: Page):
    ask(page, "Who won the cup final?")
    page.click("#nq-new")
    expect(page.locator("#nq-chat .nq-answer")).to_have_count(0)
    expect(page.get_by_text("How many soldiers are expected?")).to_be_visible()


def test_retry_asks_the_last_question_again(page: Page):
    ask(page, "Who won the cup final?")
    page.click("#nq-retry")
    expect(page.locator("#nq-chat .nq-question")).to_have_count(1)
    answer = page.locator("#nq-chat .nq-answer:not(.nq-streaming)")
    expect(answer).to_have_count(1, timeout=ANSWER_TIMEOUT)
    expect(answer).to_contain_text("Harbour City")


def test_thumbs_up_is_saved_to_the_feedback_file(page: Page, app):
    ask(page, "Who won the cup final?")
    page.locator("#nq-chat button[aria-label='Like']").last.click()
    expect(page.get_by_text("your rating was saved")).to_be_visible()
    lines = app.settings.feedback_file.read_text().splitlines()
    record = json.loads(lines[-1])
    assert record["rating"] == "up"
    assert record["question"] == "Who won the cup final?"
    assert "Harbour City" in record["answer"] and record["citations"]


def test_bad_filter_date_is_reported_in_the_chat(page: Page):
    page.locator("#nq-as-of").get_by_role("textbox").fill("last week")
    answer = ask(page, "Who won the cup final?")
    expect(answer).to_contain_text("As of: 'last week' is not a date")


def test_phone_width_starts_with_the_chat_in_view(chromium, app):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    tab = context.new_page()
    tab.goto(app.url)
    expect(tab.locator("#nq-side")).not_to_have_class(re.compile(r"\bopen\b"))
    answer = ask(tab, "How many soldiers are expected?")
    expect(answer).to_contain_text(SIX_THOUSAND)
    expect(tab.locator("#nq-send")).to_be_in_viewport()
    screenshot(tab, "phone.png")
    context.close()
