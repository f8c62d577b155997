"""The app on the real local model (Qwen2.5 1.5B through llama.cpp): streamed, cited answers,
and a second user waiting in line sees their place while the model is busy; Stop frees the model
for the next question."""

from __future__ import annotations

import importlib.util
import re

import pytest
from playwright.sync_api import expect

import webapp.handlers
from assistant.local_model import default_model_path
from core.settings import Settings
from tests.browser.conftest import screenshot, start_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The joined Qwen model of the user's own data dir (`newsqa models pull` puts it there).
QWEN = default_model_path(Settings(_env_file=None))


@pytest.fixture(scope="module")
def local_app(tmp_path_factory):
    if not QWEN.is_file():
        pytest.skip(f"the local model {QWEN} is missing: run `newsqa models pull`")
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed")
    running = start_app(tmp_path_factory.mktemp("local") / "data", llm_backend="local",
                        llm_model_path=QWEN)  # fmt: skip
    yield running
    running.demo.close()


def test_local_model_answers_with_a_citation_and_queues_a_second_user(chromium, local_app):
    first = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    second = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    for tab in (first, second):
        tab.goto(local_app.url)
        expect(tab.locator("#nq-backend-status")).to_contain_text("ready")
    first.fill("#nq-question textarea", "Who won the cup final?")
    first.click("#nq-send")
    # While the first answer is being written, the second user asks and waits their turn.
    expect(first.locator("#nq-chat .nq-streaming")).to_be_visible(timeout=30_000)
    second.fill("#nq-question textarea", "How long does the rail strike last?")
    second.click("#nq-send")
    expect(second.locator("#nq-chat .nq-status")).to_contain_text(
        "1 person ahead of you", timeout=30_000
    )
    answer = first.locator("#nq-chat .nq-answer:not(.nq-streaming)")
    expect(answer).to_contain_text("Harbour City", timeout=300_000)
    expect(answer.locator("a.nq-cite").first).to_be_visible()
    expect(first.locator("#nq-backend-status")).to_contain_text("loaded")
    screenshot(first, "local-model-answer.png")
    later = second.locator("#nq-chat .nq-answer:not(.nq-streaming)")
    expect(later).to_contain_text(re.compile(r"48[ -]hour"), timeout=300_000)
    expect(later.locator("a.nq-cite").first).to_be_visible()


def test_stop_ends_a_local_answer_and_the_chat_goes_on(chromium, local_app):
    tab = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    tab.goto(local_app.url)
    tab.fill("#nq-question textarea", "What did the Riverton council decide about the budget?")
    tab.click("#nq-send")
    expect(tab.locator("#nq-stop")).to_be_visible()
    expect(tab.locator("#nq-chat .nq-streaming")).to_be_visible(timeout=60_000)
    tab.click("#nq-stop")
    # Seen once in a full run to take over 5 s (cause not found yet; see the closing note).
    expect(tab.locator("#nq-chat")).to_contain_text(
        "Stopped before the answer was finished.", timeout=30_000
    )
    expect(tab.locator("#nq-send")).to_be_visible()
    # The stopped question is not history: a new question is answered normally.
    tab.fill("#nq-question textarea", "Who won the cup final?")
    tab.click("#nq-send")
    answer = tab.locator("#nq-chat .nq-answer:not(.nq-streaming):not(.nq-error)").last
    expect(answer).to_contain_text("Harbour City", timeout=300_000)


def test_a_lone_user_is_never_told_to_wait_after_a_new_conversation(
    chromium, tmp_path, monkeypatch
):
    # A fresh app: the first question starts the model, and New conversation comes while it
    # loads. New conversation does not wait for the abandoned answer to wind down here (as when
    # loading takes longer than that wait): the next question is asked at once.
    monkeypatch.setattr(webapp.handlers, "STOP_WAIT_S", 0.0)
    app = start_app(tmp_path / "data", llm_backend="local", llm_model_path=QWEN)
    try:
        tab = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        tab.goto(app.url)
        # Every status line the chat ever shows, seen by the page itself, however brief.
        tab.evaluate("""() => {
          window.nqStatuses = [];
          new MutationObserver(() => document.querySelectorAll("#nq-chat .nq-status")
            .forEach((s) => window.nqStatuses.push(s.textContent))).observe(
              document.body, {subtree: true, childList: true, characterData: true});
        }""")
        tab.fill("#nq-question textarea", "What did the Riverton council decide about the budget?")
        tab.click("#nq-send")
        expect(tab.locator("#nq-stop")).to_be_visible()  # asked; the model is starting
        tab.click("#nq-new")
        tab.fill("#nq-question textarea", "Who won the cup final?")
        tab.click("#nq-send")
        answer = tab.locator("#nq-chat .nq-answer:not(.nq-streaming):not(.nq-error)").last
        expect(answer).to_contain_text("Harbour City", timeout=300_000)
        statuses = tab.evaluate("window.nqStatuses")
        assert statuses and not [s for s in statuses if "ahead of you" in s], statuses
    finally:
        app.demo.close()


def _ask_the_readme_question(chromium, local_app):
    tab = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    tab.goto(local_app.url)
    tab.fill("#nq-question textarea", "How many soldiers are expected?")
    tab.click("#nq-send")
    answer = tab.locator("#nq-chat .nq-answer:not(.nq-streaming)")
    expect(answer.locator("a.nq-cite").first).to_be_visible(timeout=300_000)
    return answer


def test_the_readme_question_is_answered_with_the_expected_figure(chromium, local_app):
    # The answer's own text: the source card under it holds both figures of the passage.
    answer = _ask_the_readme_question(chromium, local_app)
    expect(answer.locator("p").first).to_contain_text(re.compile(r"6[,.\u202f ]?000"))


def test_the_seed_question_is_answered_from_the_german_report_with_a_citation(chromium, local_app):
    """The README's first question, over samples/ (whose North Korea report is German)."""
    answer = _ask_the_readme_question(chromium, local_app)
    expect(answer.locator("li.nq-source").first).to_contain_text("Nordkorea schickt")
    # The German passage, translated for the English reader by the same model.
    card = answer.locator("li.nq-source").first
    card.locator("summary").click()
    card.locator("a.nq-translate").click()
    translation = card.locator("p.nq-translation")
    expect(translation).not_to_have_text("Translating…", timeout=120_000)
    expect(translation).to_contain_text(re.compile(r"soldiers", re.I))
    expect(translation).to_contain_text(re.compile(r"6[,.\u202f ]?000"))
