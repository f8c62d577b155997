"""Stop with the local model (SmolLM2 in its llama.cpp worker, the real path): Stop ends the
generation at once (the worker is stopped, not left writing), and the next question is answered
by a fresh worker."""

from __future__ import annotations

from pathlib import Path

import pytest

import webapp.handlers
from assistant.llm import local_worker
from core.settings import Settings
from indexing.pipeline import ingest_sources
from tests.test_llm import smollm_path
from vectorstore.store import NewsStore
from webapp.app import NewsApp
from webapp.session import Conversation

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture(scope="module")
def local_app(tmp_path_factory) -> NewsApp:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("stop-local"),
        llm_backend="local",
        llm_model_path=smollm_path(),
        max_answer_tokens=200,
    )
    store = NewsStore(settings)
    ingest_sources([SAMPLES], store, settings)
    return NewsApp(settings, store=store)


def worker(app: NewsApp):
    return local_worker(app.settings)


def test_stop_mid_answer_frees_the_local_model_and_the_chat_goes_on(local_app, monkeypatch):
    # This test drives the stream itself, so nobody resumes it while Stop waits for its end.
    monkeypatch.setattr(webapp.handlers, "STOP_WAIT_S", 0.0)
    conv = Conversation()
    local_app.take_question("How many soldiers are expected?", conv)
    stream = local_app.respond(conv, "local", [], [], "", "", "")
    for _messages, _ in stream:
        if worker(local_app).busy:
            break  # the model is writing this answer
    else:
        pytest.fail("the answer finished before the model was seen at work")
    local_app.stopped(conv)
    # Stop itself ended the generation: the worker is gone before the stream is touched again.
    assert worker(local_app).pid is None
    assert list(stream) == []  # not one more token is written or shown
    assert not worker(local_app).busy
    assert len(local_app.line) == 0
    local_app.take_question("Who won the cup final?", conv)
    *_, (messages, _) = local_app.respond(conv, "local", [], [], "", "", "")
    assert "nq-error" not in messages[-1]["content"]
    assert conv.pending is None and [t.content for t in conv.turns][0] == "Who won the cup final?"
