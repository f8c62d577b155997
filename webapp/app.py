"""The Gradio app: the page's layout, wired to the handlers of webapp/handlers.py."""

from __future__ import annotations

import logging
import os
import secrets
from importlib import resources
from types import SimpleNamespace

# Set before Gradio is imported: it reads this at import time.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from assistant.chat import NewsAssistant  # noqa: E402
from core import language  # noqa: E402
from core.settings import Settings  # noqa: E402
from vectorstore.store import NewsStore  # noqa: E402
from webapp import panels  # noqa: E402
from webapp.auth import parse_auth  # noqa: E402
from webapp.backend_status import BACKEND_LABELS  # noqa: E402
from webapp.handlers import NewsApp  # noqa: E402
from webapp.session import CHIP_KEYS, FILTER_DEFAULTS, Conversation  # noqa: E402
from webapp.throttle import LoginThrottle  # noqa: E402
from webapp.uploads import ALLOWED_EXTENSIONS  # noqa: E402

__all__ = ["NewsApp", "build_app", "launch", "layout"]

log = logging.getLogger(__name__)

# A system font stack: nothing is fetched from a font service.
SANS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue",
        "Arial", "sans-serif"]  # fmt: skip
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]


def _static(name: str) -> str:
    return resources.files("webapp").joinpath("static", name).read_text(encoding="utf-8")


def example_questions() -> list[str]:
    text = _static("examples.txt")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def theme() -> gr.themes.Base:
    return gr.themes.Soft(primary_hue="teal", neutral_hue="slate", font=SANS, font_mono=MONO)


def layout(app: NewsApp) -> gr.Blocks:
    """The page: side panel, chat and add-articles tabs, wired to `app`'s handlers."""
    with gr.Blocks(title="newsqa", analytics_enabled=False, fill_height=True) as demo:
        conv = gr.State(Conversation())
        # The conversation and the settings, kept in the browser (encrypted with a key of this
        # data folder) so that a reload or a restart of the app finds them again.
        saved = gr.BrowserState(
            None, storage_key="newsqa-conversation", secret=browser_secret(app.settings)
        )
        side = _side_panel(app)
        with gr.Column(elem_id="nq-main"):
            gr.HTML(panels.HEADER_HTML)
            with gr.Tabs(elem_id="nq-tabs"):
                with gr.Tab("Chat", id="chat"):
                    chips = _chips()
                    chat = _chat_tab(app)
                with gr.Tab("Add articles", id="add", elem_id="nq-add-tab"):
                    add = _add_tab(app)
                with gr.Tab(
                    "Stored articles", id="articles", elem_id="nq-articles-tab"
                ) as listing_tab:
                    listing = _articles_tab()
        corpus_outputs = [side.corpus, side.sources, side.languages]
        _wire_chat(app, conv, chat, side, saved)
        _wire_chips(app, chips, side)
        add.button.click(
            app.add_articles,
            [add.files, add.urls],
            [add.report, *corpus_outputs],
            concurrency_limit=1,
            concurrency_id="ingest",
            show_progress="hidden",  # the report shows the ingest's own progress
        )
        listing_tab.select(app.articles_view, None, [listing.table, listing.choice])
        listing.delete.click(
            app.delete_articles,
            [listing.choice],
            [listing.note, listing.table, listing.choice, *corpus_outputs],
            concurrency_limit=1,
            concurrency_id="ingest",
            show_progress="hidden",
        )
        # The side panel fills in without Gradio's timer ("processing | 2.0s") over it.
        side.backend.change(
            app.backend_view, [side.backend], [side.backend_info], show_progress="hidden"
        )
        _wire_translation(app)
        demo.load(app.corpus_view, None, corpus_outputs, show_progress="hidden")
        demo.load(
            app.restore,
            [saved, conv],
            [chat.chatbot, conv, side.backend, *side.filters],
            show_progress="hidden",
        ).then(app.backend_view, [side.backend], [side.backend_info], show_progress="hidden")
        for control in (side.backend, *side.filters):
            # "always_last": typing a date writes the browser's copy once, not once per key.
            control.change(
                app.remember, [conv, side.backend, *side.filters], [saved],
                show_progress="hidden", trigger_mode="always_last",
            )  # fmt: skip
    return demo


def browser_secret(settings: Settings) -> str:
    """The key the browser's copy of a conversation is encrypted with: one per data folder,
    made on first use (owner-only), so that it outlives a restart of the app."""
    path = settings.data_dir / "browser-state.key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(24)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(key)
    try:
        os.link(partial, path)  # the first app to get here sets the key; the others read it
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    finally:
        partial.unlink()
    return key


def _wire_translation(app: NewsApp) -> None:
    """A card's "Translate" link asks through these, which the page never shows: the request
    goes in as text, the reply comes back to the page's nqShowTranslation (static/page.js)."""
    request = gr.Textbox(elem_id="nq-translate-request", elem_classes=["nq-offstage"])
    reply = gr.Textbox(elem_id="nq-translate-reply", elem_classes=["nq-offstage"])
    go = gr.Button("translate", elem_id="nq-translate-go", elem_classes=["nq-offstage"])
    go.click(
        app.translate, [request], [reply], show_progress="hidden",
        concurrency_limit=1, concurrency_id="translate",
    ).then(None, [reply], None, js="(reply) => window.nqShowTranslation(reply)")  # fmt: skip


def _chips() -> SimpleNamespace:
    """The active filters above the chat, one removable chip each (hidden when none is set)."""
    with gr.Row(elem_id="nq-chips", equal_height=True):
        buttons = [
            gr.Button(visible=False, size="sm", elem_classes=["nq-chip"], elem_id=f"nq-chip-{k}")
            for k in CHIP_KEYS
        ]
    return SimpleNamespace(buttons=buttons)


def _wire_chips(app: NewsApp, chips: SimpleNamespace, side: SimpleNamespace) -> None:
    for control in side.filters:
        control.change(
            app.chips, side.filters, chips.buttons, show_progress="hidden",
            trigger_mode="always_last",
        )  # fmt: skip
    for key, button, control in zip(CHIP_KEYS, chips.buttons, side.filters, strict=True):
        button.click(
            lambda value=FILTER_DEFAULTS[key]: value, None, [control], show_progress="hidden"
        )


def _articles_tab() -> SimpleNamespace:
    table = gr.HTML(elem_id="nq-article-list")
    with gr.Row(elem_id="nq-delete-row", equal_height=True):
        choice = gr.Dropdown(
            label="Articles to delete", multiselect=True, choices=[], scale=4,
            elem_id="nq-delete-choice",
        )  # fmt: skip
        delete = gr.Button("Delete", variant="stop", scale=1, elem_id="nq-delete")
    note = gr.HTML(elem_id="nq-delete-note")
    return SimpleNamespace(table=table, choice=choice, delete=delete, note=note)


def _side_panel(app: NewsApp) -> SimpleNamespace:
    backends = [(label, key) for key, label in BACKEND_LABELS.items()]
    with gr.Sidebar(label="Articles", open=True, elem_id="nq-side", width=300):
        gr.HTML(panels.SIDE_TITLE_HTML)
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
            info="Answer as if asked on this day: articles dated later are left out.",
            elem_id="nq-as-of",
        )
        undated = gr.Checkbox(
            value=True,
            label="Include undated articles",
            info="An undated article may be older or newer than any day chosen above.",
            elem_id="nq-undated",
        )
        backend = gr.Radio(
            backends, value=app.settings.llm_backend, label="Answer with", elem_id="nq-backend"
        )
        backend_info = gr.HTML(elem_id="nq-backend-status")
    return SimpleNamespace(
        corpus=corpus,
        sources=sources,
        languages=languages,
        date_from=date_from,
        date_to=date_to,
        as_of=as_of,
        undated=undated,
        backend=backend,
        backend_info=backend_info,
        # In the order of session.CHIP_KEYS and of NewsApp.respond's filter arguments.
        filters=[sources, languages, date_from, date_to, as_of, undated],
    )


def _chat_tab(app: NewsApp) -> SimpleNamespace:
    chatbot = gr.Chatbot(
        elem_id="nq-chat",
        show_label=False,
        height="64vh",
        min_height=320,
        latex_delimiters=[],
        placeholder=panels.CHAT_PLACEHOLDER_HTML,
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
        export = gr.Button("Export (Markdown)", size="sm", elem_id="nq-export")
    # Written in the page from what it shows: nothing to ask the server for.
    export.click(None, None, None, js="() => window.nqExport && window.nqExport()")
    return SimpleNamespace(
        chatbot=chatbot, question=question, send=send, stop=stop, retry=retry, new=new
    )


def _add_tab(app: NewsApp) -> SimpleNamespace:
    gr.Markdown(
        f"Upload files ({' '.join(ALLOWED_EXTENSIONS)}; at most "
        f"{app.settings.max_upload_mb:g} MB each) or paste web page and feed URLs, "
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


def _wire_chat(
    app: NewsApp, conv: gr.State, chat: SimpleNamespace, side: SimpleNamespace, saved
) -> None:
    busy = [chat.send, chat.stop]
    answer_inputs = [conv, side.backend, *side.filters]
    keep = ([conv, side.backend, *side.filters], [saved])

    def working():
        return gr.update(visible=False), gr.update(visible=True)

    def idle(conv: Conversation):
        if conv.pending is not None:  # a stopped answer ended; the next one is under way
            return gr.skip(), gr.skip()
        return gr.update(visible=True), gr.update(visible=False)

    starts = [
        (chat.question.submit, app.take_question, [chat.question, conv],
         [chat.question, chat.chatbot, conv]),
        (chat.send.click, app.take_question, [chat.question, conv],
         [chat.question, chat.chatbot, conv]),
        (chat.chatbot.example_select, app.take_example, [conv], [chat.chatbot, conv]),
        (chat.retry.click, app.prepare_retry, [conv], [chat.chatbot, conv]),
        (chat.chatbot.retry, app.prepare_retry, [conv], [chat.chatbot, conv]),
    ]  # fmt: skip
    answering = []
    for number, (trigger, fn, inputs, outputs) in enumerate(starts):
        # The first chain's steps are the documented API (bench/load.py drives them).
        names = ({"api_name": "ask"}, {"api_name": "answer"}) if number == 0 else ({}, {})
        # "multiple": a question asked right after Stop must not be dropped by the page
        # because the stopped answer's step has not yet reported its end.
        # Progress is hidden: the answer's own status line says what is happening, and
        # Gradio's timer and its "•••" bubble beside it only confused.
        answering.append(
            trigger(fn, inputs, outputs, show_progress="hidden", **names[0])
            .then(working, None, busy, trigger_mode="multiple", show_progress="hidden")
            .then(
                app.respond,
                answer_inputs,
                [chat.chatbot, conv],
                trigger_mode="multiple",
                show_progress="hidden",
                **names[1],
            )
        )
    for event in answering:
        event.then(idle, [conv], busy, trigger_mode="multiple", show_progress="hidden").then(
            app.backend_view, [side.backend], [side.backend_info], trigger_mode="multiple",
            show_progress="hidden",
        ).then(app.remember, *keep, trigger_mode="multiple", show_progress="hidden")  # fmt: skip
    # Stop and New conversation end the answer through its Cancel, not Gradio's `cancels`:
    # a cancelled event may still deliver a frame it had produced, after the Stop's own
    # output, and paint the chat back to "writing the answer…" (seen in CI).
    chat.stop.click(app.stopped, [conv], [chat.chatbot, conv, *busy], show_progress="hidden")
    for ending in (
        chat.new.click(app.new_conversation, [conv], [chat.chatbot, conv], api_name="new",
                       show_progress="hidden"),
        chat.chatbot.clear(app.new_conversation, [conv], [chat.chatbot, conv],
                           show_progress="hidden"),
    ):  # fmt: skip
        ending.then(app.remember, *keep, show_progress="hidden")
    chat.chatbot.like(app.rate, [conv], None)


def build_app(
    settings: Settings,
    store: NewsStore | None = None,
    assistant: NewsAssistant | None = None,
) -> gr.Blocks:
    language.use_cache_dir(settings.langid_cache_dir)
    app = NewsApp(settings, store=store, assistant=assistant)
    demo = layout(app)
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
    auth = parse_auth(settings.auth)
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        share=share,
        auth=auth,
        auth_message="Log in to newsqa.",
        app_kwargs={"middleware": [Middleware(LoginThrottle)]} if auth else None,
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
