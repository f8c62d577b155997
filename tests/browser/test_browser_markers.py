"""A marker naming two passages ("[1, 2]") is two clickable sources in the page."""

from __future__ import annotations

from playwright.sync_api import expect
from scripted_openai import scripted_openai

from tests.browser.conftest import ask_in_new_tab, start_app

# Written by a scripted OpenAI-compatible server (tests/scripted_openai.py says why).
REPLY = "Harbour City won the cup final [1, 2]."


def test_a_marker_with_two_numbers_links_to_both_sources(chromium, tmp_path):
    with scripted_openai(REPLY) as base_url:
        app = start_app(
            tmp_path / "data",
            llm_backend="openai",
            openai_base_url=base_url,
            openai_model="scripted",
        )
        try:
            tab, answer = ask_in_new_tab(chromium, app, "Who won the cup final?")
            expect(answer).to_contain_text("Harbour City won the cup final", timeout=60_000)
            links = answer.locator("a.nq-cite")
            expect(links).to_have_count(2)
            expect(links.nth(0)).to_have_text("[1]")
            expect(links.nth(1)).to_have_text("[2]")
            links.nth(1).click()  # the second number opens its own source
            second = tab.locator(links.nth(1).get_attribute("href"))
            expect(second).to_be_visible()
            expect(second.locator(".nq-num")).to_have_text("2")
            expect(second.locator("details")).to_have_attribute("open", "")
        finally:
            app.demo.close()
