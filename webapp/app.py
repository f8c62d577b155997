"""The Gradio app: layout and event handlers. All the work is done by the library it calls."""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from importlib import resources
from types import SimpleNamespace

# Set before Gradio is imported: it reads this at import time.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant.backends import BACKENDS  # noqa: E402
from assistant.cancel import Cancel  # noqa: E402
from assistant.chat import (  # noqa: E402
    CitationResolved,
    Done,
    NewsAssistant,
    PassagesFound,
    QueryRewritten,
    Token,
)
from core.errors import NewsqaError
from core.settings import Settings  # noqa: E402
from indexing.pipeline import IngestReport, Progress, ingest_sources  # noqa: E402
from vectorstore.store import NewsStore  # noqa: E402
from webapp import panels, render  # noqa: E402
from webapp.auth import parse_auth  # noqa: E402
from webapp.backend_status import BACKEND_LABELS, backend_status  # noqa: E402
from webapp.feedback import append_feedback  # noqa: E402
from webapp.gate import TurnLine  # noqa: E402
from webapp.session import Conversation, build_filter, parse_day  # noqa: E402
from webapp.uploads import ALLOWED_EXTENSIONS, check_files, check_urls  # noqa: E402

log = logging.getLogger(__name__)

# A system font stack: nothing is fetched from a font service.
SANS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue",
        "Arial", "sans-serif"]  # fmt: skip
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
# How often a waiting user's place in the line for the local model is refreshed.
LINE_POLL_S = 0.5
# How long Stop waits for the answer to wind down (the local model's worker is killed at once;
# a remote model's stream ends at its next token).
STOP_WAIT_S = 10.0
# The least time between two redraws of an answer being written. Each redraw sends the whole
# chat to the page; tokens come faster than anyone reads them, and an extractive answer, done in
# about 40 ms, needs no intermediate redraw at all (under load they cost more than the answer).
REDRAW_EVERY_S = 0.1


def _static(name: str) -> str:
    return resources.files("webapp").joinpath("static", name).read_text(encoding="utf-8")


def example_questions() -> list[str]:
    text = _static("examples.txt")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def theme() -> gr.themes.Base:
    return gr.themes.Soft(primary_hue="teal", neutral_hue="slate", font=SANS, font_mono=MONO)


class NewsApp:
    """Holds what all sessions share (settings, store, assistant, the local model's line).

    Conversations are not here: each session's lives in its own gr.State.
    """

    def __init__(
        self,
        settings: Settings,
        store: NewsStore | None = None,
        assistant: NewsAssistant | None = None,
    ) -> None:
        self.settings = settings
        self.store = store or NewsStore(settings)
        self.assistant = assistant or NewsAssistant(settings, store=self.store)
        self.line = TurnLine()

    # ---- chat -----------------------------------------------------------------------------

    def take_question(self, text: str, conv: Conversation):
        question = (text or "").strip()
        if not question:
            return gr.skip(), gr.skip(), gr.skip()
        if conv.pending is not None:
            # Enter still submits while an answer streams; the question stays in the box.
            gr.Info("An answer is still being written: wait for it, or press Stop.")
            return gr.skip(), gr.skip(), gr.skip()
        conv.ask(question, render.user_html(question))
        conv.show(render.streaming_html("Searching the articles…", ""))
        return "", conv.messages, conv

    def take_example(self, conv: Conversation, picked: gr.SelectData):
        value = picked.value
        question = value.get("text", "") if isinstance(value, dict) else str(value)
        _, messages, conv = self.take_question(question, conv)
        return messages, conv

    def prepare_retry(self, conv: Conversation):
        if conv.pending is not None:
            return gr.skip(), gr.skip()
        question = conv.undo_last()
        if question:
            conv.ask(question, render.user_html(question))
            conv.show(render.streaming_html("Searching the articles…", ""))
        return conv.messages, conv

    def respond(
        self,
        conv: Conversation,
        backend: str,
        sources: list[str] | None,
        languages: list[str] | None,
        date_from: str,
        date_to: str,
        as_of: str,
    ) -> Iterator[tuple[list[dict], Conversation]]:
        serial = conv.serial  # this stream's turn; Stop or a new conversation ends it
        question = conv.pending
        if not question:
            yield conv.messages, conv
            return
        try:
            flt = build_filter(sources, languages, date_from, date_to)
            day = parse_day("As of", as_of)
        except ValueError as exc:
            conv.fail(render.error_html(f"Check the filters: {exc}"))
            yield conv.messages, conv
            return
        control = conv.cancel = Cancel()
        kind = BACKENDS.get(backend)
        ticket = self.line.join() if kind is not None and kind.one_at_a_time else None
        try:
            while ticket is not None and (ahead := self.line.wait(ticket, LINE_POLL_S)) > 0:
                if not conv.is_current(serial):
                    return
                who = "person" if ahead == 1 else "people"
                status = f"The local model is busy: {ahead} {who} ahead of you in line…"
                conv.show(render.streaming_html(status, ""))
                yield conv.messages, conv
            yield from self._stream_answer(conv, serial, question, backend, flt, day, control)
        except Exception as exc:  # shown to the user; the app keeps serving
            if not conv.is_current(serial):  # stopped: the killed model's stream broke off
                log.info("a stopped answer to %r ended with %s", question, type(exc).__name__)
                return
            if not isinstance(exc, NewsqaError):  # one the user can act on needs no traceback
                log.exception("answering %r failed", question)
            conv.fail(render.error_html(f"Could not answer: {exc}"))
            yield conv.messages, conv
        finally:
            if ticket is not None:
                self.line.leave(ticket)
            control.ended()

    def _stream_answer(self, conv, serial, question, backend, flt, day, control):
        status, text, answer = "Searching the articles…", "", None
        kind = BACKENDS.get(backend)
        instant = kind is not None and kind.instant  # no steps worth drawing one by one
        last_redraw = time.monotonic()  # take_question has just drawn "Searching the articles…"
        events = self.assistant.stream(
            question, list(conv.turns), filters=flt, as_of=day, backend=backend, cancel=control
        )
        try:
            for event in events:
                if not conv.is_current(serial):
                    return  # stopped: the finally below ends the generation
                if isinstance(event, QueryRewritten):
                    status = f"Searching for: {event.query}"
                elif isinstance(event, PassagesFound):
                    count = len(event.passages)
                    status = (
                        f"Found {count} passage{'s' if count != 1 else ''}; writing the answer…"
                    )
                elif isinstance(event, Token):
                    text += event.text
                elif isinstance(event, CitationResolved):
                    continue
                elif isinstance(event, Done):
                    answer = event.answer
                    break
                news = not isinstance(event, Token) and not instant
                if not news and time.monotonic() - last_redraw < REDRAW_EVERY_S:
                    continue
                conv.show(render.streaming_html(status, text))
                yield conv.messages, conv
                last_redraw = time.monotonic()
        finally:
            # Closing the stream releases the local model at once, whether the answer finished,
            # failed or was stopped, instead of whenever the abandoned generator is collected.
            events.close()
        if not conv.is_current(serial):
            return
        if answer is None:
            raise RuntimeError("the assistant stopped without an answer")
        conv.finish(answer, render.answer_html(answer, self.store.get_article))
        yield conv.messages, conv

    def stopped(self, conv: Conversation):
        running = conv.cancel
        if conv.pending is not None:
            last = conv.messages[-1]["content"] if conv.messages else ""
            note = '<p class="nq-notice">Stopped.</p>'
            conv.fail(last.removesuffix("</div>") + note + "</div>" if last else note)
        _wait_for_end(running)
        return conv.messages, conv, gr.update(visible=True), gr.update(visible=False)

    def new_conversation(self, old: Conversation | None = None):
        if old is not None:
            running = old.cancel
            old.abandon()
            _wait_for_end(running)
        conv = Conversation()
        return conv.messages, conv

    def rate(self, conv: Conversation, liked: gr.LikeData) -> None:
        index = liked.index[0] if isinstance(liked.index, (list, tuple)) else liked.index
        answer = conv.answers.get(int(index))
        if answer is None:
            gr.Warning("Only finished answers can be rated.")
            return
        if liked.liked is True or liked.liked == "Like":
            rating = "up"
        elif liked.liked is False or liked.liked == "Dislike":
            rating = "down"
        else:  # a rating withdrawn by clicking it again
            return
        append_feedback(self.settings.feedback_file, answer, rating)
        gr.Info("Thanks, your rating was saved.")

    # ---- side panel -----------------------------------------------------------------------

    def corpus_view(self):
        stats = self.store.stats()
        sources = sorted(stats.sources)
        languages = sorted(stats.languages)
        return (
            panels.corpus_html(stats),
            gr.update(choices=sources),
            gr.update(choices=languages),
        )

    def backend_view(self, backend: str) -> str:
        return panels.status_html(backend_status(self.settings, backend))

    # ---- adding articles ------------------------------------------------------------------

    def add_articles(self, files: list[str] | None, urls: str):
        files_ok = check_files(list(files or []), self.settings.max_upload_mb)
        urls_ok = check_urls(urls)
        sources = files_ok.sources + urls_ok.sources
        rejected = files_ok.rejected + urls_ok.rejected
        nothing = (gr.skip(), gr.skip(), gr.skip())
        if not sources:
            yield panels.report_html(None, rejected), *nothing
            return
        updates: queue.Queue[Progress] = queue.Queue()
        outcome: dict[str, IngestReport | BaseException] = {}

        def work() -> None:
            try:
                outcome["report"] = ingest_sources(sources, self.store, self.settings, updates.put)
            except BaseException as exc:  # reported in the page below
                outcome["error"] = exc

        worker = threading.Thread(target=work, name="ingest", daemon=True)
        worker.start()
        latest: Progress | None = None
        yield panels.progress_html(None, f"Reading {len(sources)} item(s)…"), *nothing
        while worker.is_alive() or not updates.empty():
            try:
                latest = updates.get(timeout=0.3)
            except queue.Empty:
                continue
            yield panels.progress_html(latest, ""), *nothing
        worker.join()
        if "error" in outcome:
            log.error("ingest failed", exc_info=outcome["error"])
            error = outcome["error"]
            yield (
                f'<div class="nq-report nq-bad"><p>Adding failed: {render.esc(error)}</p></div>',
                *nothing,
            )
            return
        report = outcome["report"]
        assert isinstance(report, IngestReport)
        yield panels.report_html(report, rejected), *self.corpus_view()

    # ---- layout ---------------------------------------------------------------------------

    def blocks(self) -> gr.Blocks:
        with gr.Blocks(title="newsqa", analytics_enabled=False, fill_height=True) as demo:
            conv = gr.State(Conversation())
            side = self._side_panel()
            with gr.Column(elem_id="nq-main"):
                gr.HTML(
                    '<header class="nq-header"><h1>newsqa</h1>'
                    "<p>Ask about the stored news. Every claim cites the passage it rests on.</p>"
                    "</header>"
                )
                with gr.Tabs(elem_id="nq-tabs"):
                    with gr.Tab("Chat", id="chat"):
                        chat = self._chat_tab()
                    with gr.Tab("Add articles", id="add", elem_id="nq-add-tab"):
                        add = self._add_tab()
            self._wire_chat(conv, chat, side)
            add.button.click(
                self.add_articles,
                [add.files, add.urls],
                [add.report, side.corpus, side.sources, side.languages],
                concurrency_limit=1,
                concurrency_id="ingest",
            )
            side.backend.change(self.backend_view, [side.backend], [side.backend_info])
            demo.load(self.corpus_view, None, [side.corpus, side.sources, side.languages])
            demo.load(self.backend_view, [side.backend], [side.backend_info])
        return demo

    def _side_panel(self) -> SimpleNamespace:
        backends = [(label, key) for key, label in BACKEND_LABELS.items()]
        with gr.Sidebar(label="Articles", open=True, elem_id="nq-side", width=300):
            gr.HTML('<h2 class="nq-side-title">Stored articles</h2>')
            corpus = gr.HTML(elem_id="nq-corpus")
            with gr.Accordion("Filters", open=False, elem_id="nq-filters"):
                sources = gr.Dropdown(label="Sources", multiselect=True, choices=[])
                languages = gr.Dropdown(label="Languages", multiselect=True, choices=[])
                with gr.Row():
                    date_from = gr.Textbox(label="From", placeholder="YYYY-MM-DD")
                    date_to = gr.Textbox(label="To", placeholder="YYYY-MM-DD")
            as_of = gr.Textbox(
                label="As of",
                placeholder="YYYY-MM-DD",
                info="Answer as if asked on this day: later articles are left out.",
                elem_id="nq-as-of",
            )
            backend = gr.Radio(
                backends, value=self.settings.llm_backend, label="Answer with", elem_id="nq-backend"
            )
            backend_info = gr.HTML(elem_id="nq-backend-status")
        return SimpleNamespace(
            corpus=corpus,
            sources=sources,
            languages=languages,
            date_from=date_from,
            date_to=date_to,
            as_of=as_of,
            backend=backend,
            backend_info=backend_info,
        )

    def _chat_tab(self) -> SimpleNamespace:
        chatbot = gr.Chatbot(
            elem_id="nq-chat",
            show_label=False,
            height="62vh",
            min_height=320,
            latex_delimiters=[],
            placeholder="<p class='nq-empty'>Ask a question about the stored articles, "
            "or start with one of these:</p>",
            examples=[{"text": q} for q in example_questions()],
            buttons=["copy"],
            layout="bubble",
        )
        with gr.Row(elem_id="nq-compose", equal_height=True):
            question = gr.Textbox(
                show_label=False,
                placeholder="Ask about the news…",
                scale=8,
                lines=1,
                max_lines=4,
                elem_id="nq-question",
                autofocus=True,
            )
            send = gr.Button("Ask", variant="primary", scale=1, elem_id="nq-send")
            stop = gr.Button("Stop", variant="stop", scale=1, visible=False, elem_id="nq-stop")
        with gr.Row(elem_id="nq-actions"):
            retry = gr.Button("Retry", size="sm", elem_id="nq-retry")
            new = gr.Button("New conversation", size="sm", elem_id="nq-new")
        return SimpleNamespace(
            chatbot=chatbot, question=question, send=send, stop=stop, retry=retry, new=new
        )

    def _add_tab(self) -> SimpleNamespace:
        gr.Markdown(
            f"Upload files ({' '.join(ALLOWED_EXTENSIONS)}; at most "
            f"{self.settings.max_upload_mb:g} MB each) or paste web page and feed URLs, "
            "one per line."
        )
        files = gr.File(
            label="Files",
            file_count="multiple",
            file_types=list(ALLOWED_EXTENSIONS),
            elem_id="nq-files",
        )
        urls = gr.Textbox(
            label="URLs",
            lines=3,
            placeholder="https://example.org/news/story.html\nhttps://example.org/feed.rss",
            elem_id="nq-urls",
        )
        button = gr.Button("Add to the articles", variant="primary", elem_id="nq-add")
        report = gr.HTML(elem_id="nq-report")
        return SimpleNamespace(files=files, urls=urls, button=button, report=report)

    def _wire_chat(self, conv: gr.State, chat: SimpleNamespace, side: SimpleNamespace) -> None:
        busy = [chat.send, chat.stop]
        answer_inputs = [
            conv, side.backend, side.sources, side.languages, side.date_from, side.date_to,
            side.as_of,
        ]  # fmt: skip

        def working():
            return gr.update(visible=False), gr.update(visible=True)

        def idle(conv: Conversation):
            if conv.pending is not None:  # a stopped answer ended; the next one is under way
                return gr.skip(), gr.skip()
            return gr.update(visible=True), gr.update(visible=False)

        starts = [
            (chat.question.submit, self.take_question, [chat.question, conv],
             [chat.question, chat.chatbot, conv]),
            (chat.send.click, self.take_question, [chat.question, conv],
             [chat.question, chat.chatbot, conv]),
            (chat.chatbot.example_select, self.take_example, [conv], [chat.chatbot, conv]),
            (chat.retry.click, self.prepare_retry, [conv], [chat.chatbot, conv]),
            (chat.chatbot.retry, self.prepare_retry, [conv], [chat.chatbot, conv]),
        ]  # fmt: skip
        answering = []
        for number, (trigger, fn, inputs, outputs) in enumerate(starts):
            # The first chain's steps are the documented API (bench/load.py drives them).
            names = ({"api_name": "ask"}, {"api_name": "answer"}) if number == 0 else ({}, {})
            # "multiple": a question asked right after Stop must not be dropped by the page
            # because the stopped answer's step has not yet reported its end.
            answering.append(
                trigger(fn, inputs, outputs, **names[0])
                .then(working, None, busy, trigger_mode="multiple")
                .then(
                    self.respond,
                    answer_inputs,
                    [chat.chatbot, conv],
                    trigger_mode="multiple",
                    **names[1],
                )
            )
        for event in answering:
            event.then(idle, [conv], busy, trigger_mode="multiple").then(
                self.backend_view, [side.backend], [side.backend_info], trigger_mode="multiple"
            )
        # Stop and New conversation end the answer through its Cancel, not Gradio's `cancels`:
        # a cancelled event may still deliver a frame it had produced, after the Stop's own
        # output, and paint the chat back to "writing the answer…" (seen in CI).
        chat.stop.click(self.stopped, [conv], [chat.chatbot, conv, *busy])
        chat.new.click(self.new_conversation, [conv], [chat.chatbot, conv], api_name="new")
        chat.chatbot.clear(self.new_conversation, [conv], [chat.chatbot, conv])
        chat.chatbot.like(self.rate, [conv], None)


def _wait_for_end(running: Cancel | None) -> None:
    """Let the stopped answer write its last frame before the caller's output goes out.

    The answer checks for Stop before each frame, and Gradio sends a frame before it resumes the
    answer, so once the answer has ended no frame of it can arrive after ours."""
    if running is not None and not running.wait_ended(STOP_WAIT_S):
        log.warning("a stopped answer is still running after %.0f s", STOP_WAIT_S)


def build_app(
    settings: Settings,
    store: NewsStore | None = None,
    assistant: NewsAssistant | None = None,
) -> gr.Blocks:
    app = NewsApp(settings, store=store, assistant=assistant)
    demo = app.blocks()
    # Questions, retrieval and extractive answers run side by side; the local model takes one
    # question at a time through NewsApp.line, which tells the others their place.
    demo.queue(default_concurrency_limit=8, max_size=64)
    return demo


def launch(
    settings: Settings,
    *,
    share: bool = False,
    block: bool = True,
    store: NewsStore | None = None,
    assistant: NewsAssistant | None = None,
) -> gr.Blocks:
    """Start the app on settings.host:settings.port (login if settings.auth is set)."""
    demo = build_app(settings, store=store, assistant=assistant)
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        share=share,
        auth=parse_auth(settings.auth),
        auth_message="Log in to newsqa.",
        max_file_size=f"{settings.max_upload_mb:g}mb",
        prevent_thread_lock=not block,
        show_error=True,
        quiet=not block,
        footer_links=[],
        theme=theme(),
        css=_static("style.css"),
        head=f"<script>{_static('page.js')}</script>",
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
    )
    return demo
