"""The local model's worker is killed (SIGKILL) in the middle of a streamed answer: that answer
ends with an error naming what happened, the app answers the next question (local model and
extractive), and the app's own process lives on.

The app runs as a user starts it (`newsqa serve`, a process of its own, on samples/), with the
tiny SmolLM2 model as the local model so that the test is quick; the kill is a real signal sent
to the real llama.cpp worker process the app started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from servers import free_port

from core.settings import Settings
from indexing.pipeline import ingest_sources
from tests.browser.conftest import SAMPLES
from tests.test_llm import smollm_path
from vectorstore.store import NewsStore

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def workers_of(pid: int) -> list[int]:
    """Pids of the model workers the process `pid` started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat[1]) == pid and b"assistant.model_server" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def served_app(tmp_path_factory):
    data = tmp_path_factory.mktemp("crash") / "data"
    settings = Settings(_env_file=None, data_dir=data)
    store = NewsStore(settings)
    assert ingest_sources([SAMPLES], store, settings).added >= 7
    store.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")}
    env.update(
        NEWSQA_DATA_DIR=str(data),
        NEWSQA_LLM_MODEL_PATH=str(smollm_path()),
        NEWSQA_MAX_ANSWER_TOKENS="400",
    )
    command = [sys.executable, "-m", "newsqa", "serve", "--port", str(port), "--backend", "local"]
    app = subprocess.Popen(command, env=env, cwd=REPO, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        assert app.poll() is None, f"the app exited: {app.stderr.read()[-2000:]}"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the app did not come up in 120 s"
        time.sleep(0.3)
    yield app, url
    app.terminate()
    try:
        app.wait(timeout=30)
    except subprocess.TimeoutExpired:
        app.kill()


def ask(tab, question: str) -> None:
    tab.fill("#nq-question textarea", question)
    tab.click("#nq-send")


def test_a_killed_worker_ends_that_answer_with_an_error_and_the_app_goes_on(chromium, served_app):
    app, url = served_app
    tab = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    tab.goto(url)
    expect(tab.locator("#nq-backend-status")).to_contain_text("ready", timeout=30_000)
    ask(tab, "What did the Riverton council decide about the budget?")
    # Tokens are on the page: the answer is being streamed.
    expect(tab.locator("#nq-chat .nq-streaming p:not(.nq-status)")).to_be_visible(timeout=120_000)
    (worker,) = workers_of(app.pid)
    os.kill(worker, signal.SIGKILL)

    error = tab.locator("#nq-chat .nq-error")
    expect(error).to_contain_text("worker killed by SIGKILL", timeout=60_000)
    expect(error).to_contain_text("the next question starts a new one")
    expect(tab.locator("#nq-send")).to_be_visible()
    # An error is not an answer: no copy, retry or thumbs under it.
    failed_row = tab.locator("#nq-chat .message-row").filter(has=tab.locator(".nq-error"))
    buttons = failed_row.locator(
        "xpath=following-sibling::div[contains(@class,'message-buttons')][1]"
    )
    expect(buttons).to_be_hidden()
    assert app.poll() is None, "the app's process died with its worker"

    ask(tab, "Who won the cup final?")
    answers = tab.locator("#nq-chat .nq-answer:not(.nq-streaming):not(.nq-error)")
    expect(answers).to_have_count(1, timeout=120_000)
    assert workers_of(app.pid) not in ([], [worker])  # a fresh worker answered

    tab.locator("#nq-backend").get_by_text("Extractive (no model)").click()
    ask(tab, "How long does the rail strike last?")
    expect(answers).to_have_count(2, timeout=60_000)
    expect(answers.last).to_contain_text("48")
    assert app.poll() is None
