"""The app's handlers on the real store, embedding model and extractive assistant (no browser):
sessions stay apart, several users are answered at once, and bad input is reported in the chat."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import pytest

import webapp.handlers
from core.settings import Settings
from indexing.pipeline import ingest_sources
from vectorstore.store import NewsStore
from webapp.app import NewsApp
from webapp.session import Conversation

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def news_app(tmp_path_factory) -> NewsApp:
    settings = Settings(
        _env_file=None, data_dir=tmp_path_factory.mktemp("handlers"), llm_backend="extractive"
    )
    store = NewsStore(settings)
    ingest_sources([SAMPLES], store, settings)
    return NewsApp(settings, store=store)


def ask(app: NewsApp, conv: Conversation, question: str, as_of: str = "") -> str:
    app.take_question(question, conv)
    *_, (messages, _) = app.respond(conv, "extractive", [], [], "", "", as_of)
    return messages[-1]["content"]


def test_a_follow_up_leans_on_this_session_only(news_app):
    mine, theirs = Conversation(), Conversation()
    assert re.search(r"6\.?000", ask(news_app, mine, "How many soldiers are expected?"))
    ask(news_app, theirs, "Who won the cup final?")
    follow_up = ask(news_app, mine, "And how many are already there?")
    assert "11.000" in follow_up
    assert [t.content for t in theirs.turns][0] == "Who won the cup final?"
    assert len(mine.turns) == 4 and len(theirs.turns) == 2


def test_eight_users_at_once_all_get_their_own_answer(news_app):
    questions = [
        ("How many soldiers are expected?", r"6\.?000"),
        ("Who won the cup final?", r"Harbour City"),
        ("How hot did it get in Mannheim?", r"38,4"),
        ("How long does the rail strike last?", r"48"),
    ] * 2

    def one(item):
        question, expected = item
        return expected, ask(news_app, Conversation(), question)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, questions))
    for expected, html in results:
        assert re.search(expected, html), html[:300]
        assert "nq-error" not in html


def test_bad_date_is_reported_in_the_chat_and_not_kept_as_history(news_app):
    conv = Conversation()
    html = ask(news_app, conv, "Who won the cup final?", as_of="31.12.2025")
    assert "As of: &#x27;31.12.2025&#x27; is not a date (use YYYY-MM-DD)" in html
    assert conv.turns == [] and conv.pending is None


def test_a_question_over_the_length_limit_is_refused_with_the_limit(news_app):
    conv = Conversation()
    html = ask(news_app, conv, "How many soldiers are expected? " * 2000)
    assert "Could not answer: the question is 63,999 characters long; ask in at most 2,000" in html
    assert conv.turns == [] and conv.pending is None


def test_empty_question_is_ignored(news_app):
    conv = Conversation()
    news_app.take_question("   ", conv)
    assert conv.messages == [] and conv.pending is None


def test_upload_of_a_wrong_type_is_named_and_nothing_is_ingested(news_app, tmp_path):
    before = news_app.store.stats().articles
    bad = tmp_path / "slides.pptx"
    bad.write_bytes(b"PK\x03\x04")
    outputs = list(news_app.add_articles([str(bad)], "ftp://example.org/feed"))
    report = outputs[-1][0]
    assert "slides.pptx" in report and "file type .pptx is not accepted" in report
    assert "ftp://example.org/feed" in report and "not an http(s) URL" in report
    assert news_app.store.stats().articles == before


def test_source_filter_keeps_answers_to_the_chosen_sources(news_app):
    assert "Coastline Sports Desk" in news_app.store.stats().sources
    conv = Conversation()
    news_app.take_question("How many soldiers are expected?", conv)
    *_, (messages, _) = news_app.respond(
        conv, "extractive", ["Coastline Sports Desk"], [], "", "", ""
    )
    html = messages[-1]["content"]
    assert not re.search(r"6\.?000", html)
    assert "Nordkorea" not in html
    shown = re.findall(r'<span class="nq-meta">(.*?)</span>', html)
    assert shown and all("Coastline Sports Desk" in meta for meta in shown)


def test_a_question_asked_while_an_answer_is_written_waits_its_turn(news_app):
    conv = Conversation()
    news_app.take_question("Who won the cup final?", conv)
    box, *_ = news_app.take_question("How hot did it get in Mannheim?", conv)
    assert box != ""  # skipped: the second question stays in the box
    assert conv.pending == "Who won the cup final?" and len(conv.messages) == 2


def test_a_stopped_answer_writes_nothing_into_the_next_question(news_app, monkeypatch):
    monkeypatch.setattr(webapp.handlers, "REDRAW_EVERY_S", 0.0)  # show every step, to stop in one
    # This test drives the stream itself, so nobody resumes it while Stop waits for its end.
    monkeypatch.setattr(webapp.handlers, "STOP_WAIT_S", 0.0)
    conv = Conversation()
    news_app.take_question("How many soldiers are expected?", conv)
    stopped_stream = news_app.respond(conv, "extractive", [], [], "", "", "")
    next(stopped_stream)  # the answer is under way...
    news_app.stopped(conv)  # ...when the user presses Stop and asks something else
    assert "Stopped before the answer was finished." in conv.messages[-1]["content"]
    news_app.take_question("Who won the cup final?", conv)
    assert list(stopped_stream) == []  # the old stream ends without another word
    assert conv.pending == "Who won the cup final?"
    *_, (messages, _) = news_app.respond(conv, "extractive", [], [], "", "", "")
    assert "Harbour City" in messages[-1]["content"]
    assert [t.content for t in conv.turns][0] == "Who won the cup final?"
    assert len(conv.messages) == 4 and len(conv.turns) == 2


def test_a_new_conversation_silences_the_answer_still_running_in_the_old_one(news_app, monkeypatch):
    monkeypatch.setattr(webapp.handlers, "REDRAW_EVERY_S", 0.0)
    monkeypatch.setattr(webapp.handlers, "STOP_WAIT_S", 0.0)
    conv = Conversation()
    news_app.take_question("How many soldiers are expected?", conv)
    stream = news_app.respond(conv, "extractive", [], [], "", "", "")
    next(stream)
    _, fresh = news_app.new_conversation(conv)
    assert list(stream) == [] and conv.turns == []
    assert fresh.messages == [] and fresh.pending is None


def test_stop_returns_only_after_the_answer_has_sent_its_last_frame(news_app, monkeypatch):
    """Gradio sends a frame before it resumes the stream; Stop's own output must come later,
    or a frame produced just before Stop paints the chat back to "writing the answer…"."""
    monkeypatch.setattr(webapp.handlers, "REDRAW_EVERY_S", 0.0)
    conv = Conversation()
    news_app.take_question("How many soldiers are expected?", conv)
    stream = news_app.respond(conv, "extractive", [], [], "", "", "")
    next(stream)  # a frame is out; the stream is suspended, as while Gradio sends the frame
    log: list[str] = []

    def gradio_resumes_later():
        time.sleep(0.5)
        log.append("resumed")
        log.extend("frame" for _ in stream)

    sender = threading.Thread(target=gradio_resumes_later)
    sender.start()
    messages, *_ = news_app.stopped(conv)
    log.append("stopped")
    sender.join()
    assert log == ["resumed", "stopped"]  # no frame after the stop, and Stop waited for the end
    assert "Stopped before the answer was finished." in messages[-1]["content"]


def test_a_quick_answer_is_drawn_once_not_step_by_step(news_app, monkeypatch):
    # Each redraw sends the whole chat to the page; steps closer together than this are skipped.
    monkeypatch.setattr(webapp.handlers, "REDRAW_EVERY_S", 60.0)
    conv = Conversation()
    news_app.take_question("Who won the cup final?", conv)
    drawn = list(news_app.respond(conv, "extractive", [], [], "", "", ""))
    assert len(drawn) == 1 and "Harbour City" in drawn[0][0][-1]["content"]


def _settings_of(news_app, **changed) -> list:
    """The side panel as remember() reads it: backend, then the filters in CHIP_KEYS order."""
    values = {"backend": "extractive", "sources": [], "languages": [], "date_from": "",
              "date_to": "", "as_of": "", "undated": True} | changed  # fmt: skip
    return list(values.values())


def test_what_the_browser_keeps_draws_the_same_conversation_again(news_app):
    conv = Conversation()
    ask(news_app, conv, "How many soldiers are expected?")
    ask(news_app, conv, "And how many are already there?")
    saved = news_app.remember(conv, *_settings_of(news_app, as_of="2025-12-31", undated=False))
    messages, again, backend, *filters = news_app.restore(saved)
    assert [m["role"] for m in messages] == ["user", "assistant"] * 2
    assert again.turns == conv.turns  # a follow-up after the reload leans on them
    assert again.answers[1].answer == conv.answers[1].answer
    # The HTML is drawn anew (a new id for its sources), the same apart from that id.
    strip = lambda html: re.sub(r"nq-[0-9a-f]{10}-", "nq-ID-", html)  # noqa: E731
    assert [strip(m["content"]) for m in messages] == [strip(m["content"]) for m in conv.messages]
    as_of, undated = filters[4], filters[5]
    assert as_of["value"] == "2025-12-31" and undated["value"] is False


def test_a_question_asked_before_the_page_restored_its_copy_is_not_wiped(news_app):
    # The page's load step and a quick first question race; CI once saw the load step win
    # after the question was taken, and the answer stream found nothing to answer.
    earlier = Conversation()
    ask(news_app, earlier, "How many soldiers are expected?")
    saved = news_app.remember(earlier, *_settings_of(news_app, as_of="2025-12-31"))
    now = Conversation()
    news_app.take_question("Who won the cup final?", now)
    late = news_app.restore(saved, now)
    assert all(value == gr.skip() for value in late)  # chat, state and settings untouched
    assert now.pending == "Who won the cup final?"
    messages, again, *_ = news_app.restore(saved, Conversation())  # an untouched tab: restored
    assert len(messages) == 2 and again.turns == earlier.turns


def test_a_damaged_or_foreign_saved_conversation_is_dropped_not_shown(news_app):
    conv = Conversation()
    ask(news_app, conv, "Who won the cup final?")
    saved = news_app.remember(conv, *_settings_of(news_app))
    hostile = {**saved, "turns": [*saved["turns"], {"answer": {"answer": "<script>x</script>"}}]}
    messages, again, *_ = news_app.restore(hostile)
    assert len(messages) == 2 and "<script>" not in "".join(m["content"] for m in messages)
    for junk in (None, "text", {"version": 99, "turns": saved["turns"]}, {"version": 1}):
        messages, again, *_ = news_app.restore(junk)
        assert messages == [] and again.turns == []


def test_a_decline_under_a_filter_names_it(news_app):
    news_app.take_question("How long does the rail strike last?", conv := Conversation())
    *_, (messages, _) = news_app.respond(conv, "extractive", [], ["de"], "", "", "2025-02-10")
    shown = messages[-1]["content"]
    assert "do not answer this question" in shown
    assert "Searched only articles in de; published by 2025-02-10 (as of)." in shown


def test_chips_name_each_active_filter_and_hide_the_rest(news_app):
    chips = news_app.chips(["tagesschau"], [], "2025-01-01", "", " 2025-06-01 ", False)
    shown = [(c.get("value"), c["visible"]) for c in chips]
    assert shown == [("Source: tagesschau ×", True), (None, False), ("From 2025-01-01 ×", True),
                     (None, False), ("As of 2025-06-01 ×", True),
                     ("Dated articles only ×", True)]  # fmt: skip


def test_stop_gives_up_the_local_model_turn_at_once(news_app):
    # The line for the local model: the stopped answer's ticket must not hold the next
    # question back while its stream winds down (users were told "1 person ahead").
    conv = Conversation()
    news_app.take_question("Who won the cup final?", conv)
    conv.ticket = news_app.line.join()  # as respond() holds it for the local backend
    news_app.new_conversation(conv)
    assert len(news_app.line) == 0


def test_a_card_s_passage_is_translated_by_the_model_that_answered(tmp_path):
    import json

    from scripted_openai import scripted_openai

    english = "6,000 more soldiers are expected in the coming weeks."
    with scripted_openai(english) as base_url:
        settings = Settings(_env_file=None, data_dir=tmp_path, llm_backend="openai",
                            openai_base_url=base_url, openai_model="scripted")  # fmt: skip
        app = NewsApp(settings, store=NewsStore(settings))

        def translate(**request) -> dict:
            return json.loads(app.translate(json.dumps(request)))

        text = "Weitere 6000 Soldaten werden demnach in den kommenden Wochen erwartet."
        done = translate(card="nq-a-1", language="en", backend="openai", text=text)
        assert done == {"card": "nq-a-1", "text": english}
        refused = translate(card="nq-a-1", language="en", backend="extractive", text=text)
        assert "cannot translate" in refused["error"]
        assert "longer than" in translate(card="c", language="en", backend="openai",
                                          text="x" * 5000)["error"]  # fmt: skip
        assert translate(card="c", language="xx", backend="openai", text=text)["error"]
        assert json.loads(app.translate("not json"))["error"]


def test_the_key_of_the_browser_s_copy_is_made_once_per_data_folder_owner_only(tmp_path):
    import stat

    from webapp.app import browser_secret

    settings = Settings(_env_file=None, data_dir=tmp_path / "data")
    first = browser_secret(settings)
    assert browser_secret(settings) == first and len(first) >= 24  # the same after a restart
    key_file = tmp_path / "data" / "browser-state.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in key_file.parent.iterdir()) == ["browser-state.key"]
