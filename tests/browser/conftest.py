"""The app, started on a free loopback port over a tmp data dir holding samples/, and Chromium.

The app runs in this process (Gradio in a background thread), on the real store, the real
embedding model and the real assistant; Chromium is Debian's, driven by Playwright.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from servers import free_port

from core.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


@dataclass
class RunningApp:
    url: str
    settings: Settings
    store: object
    demo: object


def start_app(data_dir: Path, ingest: bool = True, **overrides) -> RunningApp:
    from indexing.pipeline import ingest_sources
    from vectorstore.store import NewsStore
    from webapp.app import launch

    fields = {"llm_backend": "extractive", **overrides}
    settings = Settings(_env_file=None, data_dir=data_dir, port=free_port(), **fields)
    store = NewsStore(settings)
    if ingest:
        report = ingest_sources([SAMPLES], store, settings)
        assert report.added >= 7, report
    demo = launch(settings, block=False, store=store)
    return RunningApp(f"http://127.0.0.1:{settings.port}/", settings, store, demo)


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/system-deps.sh (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[RunningApp]:
    running = start_app(tmp_path_factory.mktemp("app") / "data")
    yield running
    running.demo.close()


@pytest.fixture
def page(chromium, app):
    """A fresh browser tab (own session) on the app; fails the test if any dialog opens or any
    request leaves the machine."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    dialogs: list[str] = []
    outside: list[str] = []
    tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tab.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if r.url.startswith(("http:", "https:", "ws:", "wss:"))
            and not r.url.split("/")[2].startswith("127.0.0.1")
            else None
        ),
    )
    tab.goto(app.url)
    tab.wait_for_selector("#nq-chat")
    yield tab
    context.close()
    assert dialogs == [], f"a dialog opened: {dialogs}"
    assert outside == [], f"the page fetched from outside the machine: {outside}"


def screenshot(tab, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / name))


def ask_in_new_tab(chromium, app: RunningApp, question: str):
    """A fresh tab on `app` with `question` sent; returns (tab, the last finished answer)."""
    tab = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    tab.goto(app.url)
    tab.fill("#nq-question textarea", question)
    tab.click("#nq-send")
    return tab, tab.locator("#nq-chat .nq-answer:not(.nq-streaming)").last
