"""The app's event handlers: what happens when someone asks, stops, rates or adds articles.

They hold no layout (webapp/app.py) and write no HTML themselves (webapp/panels.py,
webapp/render.py); the work is done by the library they call.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import gradio as gr
from gradio import utils as gradio_utils

from assistant.backends import BACKENDS
from assistant.cancel import Cancel
from assistant.chat import (
    AnswerReplaced,
    CitationResolved,
    Done,
    NewsAssistant,
    PassagesFound,
    QueryRewritten,
    Token,
)
from assistant.models import Answer
from core.errors import NewsqaError
from core.language import LANGUAGE_NAMES
from core.settings import Settings
from indexing.pipeline import IngestReport, Progress, ingest_sources
from vectorstore.store import NewsStore
from webapp import panels, render
from webapp.backend_status import backend_status
from webapp.feedback import append_feedback
from webapp.gate import TurnLine
from webapp.session import (
    CHIP_KEYS,
    FILTER_DEFAULTS,
    Conversation,
    build_filter,
    chip_labels,
    parse_day,
    scope_text,
)
from webapp.uploads import check_files, check_urls, discard_uploads

log = logging.getLogger(__name__)

# How often a waiting user's place in the line for the local model is refreshed.
LINE_POLL_S = 0.5
# How long Stop waits for the answer to wind down (the local model's worker is killed at once;
# a remote model's stream ends at its next token).
STOP_WAIT_S = 10.0
# The least time between two redraws of an answer being written. Each redraw sends the whole
# chat to the page; tokens come faster than anyone reads them, and an extractive answer, done in
# about 40 ms, needs no intermediate redraw at all (under load they cost more than the answer).
REDRAW_EVERY_S = 0.1
# What the browser keeps of a conversation: its latest answers, and the layout of the record.
SAVED_ANSWERS = 20
SAVED_VERSION = 1
# The longest passage a card asks to have translated (an excerpt is about 600 characters).
TRANSLATE_CHARS = 3000
# The articles tab lists this many, newest first (the CLI's `newsqa list` shows them all).
ARTICLES_SHOWN = 500


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
        # Where Gradio puts uploads; an upload is removed from there once it is ingested.
        self.upload_folder = Path(gradio_utils.get_upload_folder())

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
        undated: bool = True,
    ) -> Iterator[tuple[list[dict], Conversation]]:
        serial = conv.serial  # this stream's turn; Stop or a new conversation ends it
        question = conv.pending
        if not question:
            yield conv.messages, conv
            return
        try:
            flt = build_filter(sources, languages, date_from, date_to, undated)
            day = parse_day("As of", as_of)
        except ValueError as exc:
            conv.fail(render.error_html(f"Check the filters: {exc}"))
            yield conv.messages, conv
            return
        control = conv.cancel = Cancel()
        kind = BACKENDS.get(backend)
        ticket = self.line.join() if kind is not None and kind.one_at_a_time else None
        conv.ticket = ticket
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
                if conv.ticket == ticket:
                    conv.ticket = None
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
                    conv.draft = text
                elif isinstance(event, AnswerReplaced):
                    text = conv.draft = event.text
                    status = "Checked against the passages: showing the quoted answer instead"
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
        scope = scope_text(flt, day)
        conv.finish(answer, render.answer_html(answer, self.store.get_article, scope=scope), scope)
        yield conv.messages, conv

    def stopped(self, conv: Conversation):
        running = conv.cancel
        self._hand_back_turn(conv)
        if conv.pending is not None:
            conv.fail(panels.stopped_html(conv.draft))
        _wait_for_end(running)
        return conv.messages, conv, gr.update(visible=True), gr.update(visible=False)

    def new_conversation(self, old: Conversation | None = None):
        if old is not None:
            running = old.cancel
            self._hand_back_turn(old)
            old.abandon()
            _wait_for_end(running)
        conv = Conversation()
        return conv.messages, conv

    def _hand_back_turn(self, conv: Conversation) -> None:
        """The abandoned answer's place in the local model's line is given up now, not when its
        stream has wound down: the next question is not told that someone is ahead of it."""
        if conv.ticket is not None:
            self.line.leave(conv.ticket)
            conv.ticket = None

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

    # ---- a passage translated for its reader ---------------------------------------------

    def translate(self, request: str) -> str:
        """A source card's passage in the reader's language, asked for by the page: `request`
        is {"card", "language", "backend", "text"} as JSON (the backend that answered), the
        reply {"card", "text"} or {"card", "error"}, which the page puts into the card as text
        (never as HTML)."""
        try:
            asked = json.loads(request or "{}")
            card, language, text = str(asked["card"]), str(asked["language"]), str(asked["text"])
            backend = str(asked["backend"])
        except (ValueError, KeyError, TypeError):
            return json.dumps({"card": "", "error": "The translation request could not be read."})
        reply: dict[str, str] = {"card": card}
        if backend not in BACKENDS:
            reply["error"] = f"There is no backend {backend!r}."
        elif language not in LANGUAGE_NAMES or not text.strip():
            reply["error"] = "Nothing to translate."
        elif len(text) > TRANSLATE_CHARS:
            reply["error"] = f"The passage is longer than {TRANSLATE_CHARS} characters."
        else:
            try:
                reply["text"] = self.assistant.backend(backend).translate(text.strip(), language)
            except NewsqaError as exc:
                reply["error"] = f"Could not translate: {exc}"
        return json.dumps(reply, ensure_ascii=False)

    # ---- filters shown as chips ---------------------------------------------------------

    def chips(self, sources, languages, date_from, date_to, as_of, undated):
        """One button per active filter above the chat; clicking it removes that filter."""
        labels = chip_labels(sources, languages, date_from, date_to, as_of, undated)
        return [
            gr.update(value=label, visible=True) if label else gr.update(visible=False)
            for label in labels
        ]

    # ---- what survives a reload (the browser's storage) ---------------------------------

    def remember(self, conv: Conversation, backend, sources, languages, date_from, date_to,
                 as_of, undated) -> dict:  # fmt: skip
        """The conversation's finished answers and the settings, as the browser keeps them."""
        turns = [
            {"answer": conv.answers[i].model_dump(mode="json"), "scope": conv.scopes.get(i, "")}
            for i in sorted(conv.answers)
        ][-SAVED_ANSWERS:]
        settings = {"backend": backend, "sources": sources or [], "languages": languages or [],
                    "date_from": date_from or "", "date_to": date_to or "", "as_of": as_of or "",
                    "undated": bool(undated)}  # fmt: skip
        return {"version": SAVED_VERSION, "turns": turns, "settings": settings}

    def restore(self, saved: dict | None, current: Conversation | None = None):
        """The conversation and settings the browser kept, drawn again from the answers (the
        HTML is made here anew, never taken from storage). Anything unreadable is dropped."""
        if current is not None and (current.messages or current.pending is not None):
            # A question asked (or an example clicked) before the page's load step ran: the
            # tab has moved on, and the older copy must not wipe the question under way.
            return (gr.skip(),) * (3 + len(CHIP_KEYS))
        conv = Conversation()
        settings: dict = {}
        if isinstance(saved, dict) and saved.get("version") == SAVED_VERSION:
            settings = saved.get("settings") or {}
            for turn in saved.get("turns") or []:
                try:
                    answer = Answer.model_validate(turn["answer"])
                    scope = str(turn.get("scope") or "")
                except (KeyError, TypeError, ValueError):
                    log.warning("a saved answer could not be read; it is left out")
                    continue
                conv.ask(answer.question, render.user_html(answer.question))
                shown = render.answer_html(answer, self.store.get_article, scope=scope)
                conv.finish(answer, shown, scope)
        backend = settings.get("backend")

        def kept(key: str, default):
            value = settings.get(key, default)
            return gr.update(value=value) if value != default else gr.skip()

        return (
            conv.messages,
            conv,
            gr.update(value=backend) if backend in BACKENDS else gr.skip(),
            *(kept(key, FILTER_DEFAULTS[key]) for key in CHIP_KEYS),
        )

    # ---- the stored articles --------------------------------------------------------------

    def articles_view(self):
        articles = sorted(
            self.store.list_articles(), key=lambda a: (a.date is not None, a.date), reverse=True
        )
        shown = articles[:ARTICLES_SHOWN]
        choices = [(f"{a.title or 'Untitled article'} ({a.id})", a.id) for a in shown]
        return panels.articles_html(shown, len(articles)), gr.update(choices=choices, value=[])

    def delete_articles(self, ids: list[str] | None):
        ids = list(ids or [])
        if not ids:
            return ('<p class="nq-report nq-bad">Choose the articles to delete first.</p>',
                    *self.articles_view(), *self.corpus_view())  # fmt: skip
        with self.store.writing():
            deleted = self.store.delete_articles(ids)
        self.store.refresh_lexical()
        note = f'<p class="nq-report nq-ok">Deleted {deleted} article(s).</p>'
        return note, *self.articles_view(), *self.corpus_view()

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
        files = list(files or [])
        files_ok = check_files(files, self.settings.max_upload_mb)
        urls_ok = check_urls(urls)
        sources = files_ok.sources + urls_ok.sources
        rejected = files_ok.rejected + urls_ok.rejected
        nothing = (gr.skip(), gr.skip(), gr.skip())
        if not sources:
            discard_uploads(files, self.upload_folder)
            yield panels.report_html(None, rejected), *nothing
            return
        latest = _Latest()
        outcome: dict[str, IngestReport | BaseException] = {}

        def work() -> None:
            try:
                outcome["report"] = ingest_sources(
                    sources, self.store, self.settings, latest.progress, latest.waiting
                )
            except BaseException as exc:  # reported in the page below
                outcome["error"] = exc
            finally:
                # Rejected or ingested, an upload has no further use (and could hold anything);
                # removed here, not by the page's handler, which ends if the page is closed.
                discard_uploads(files, self.upload_folder)

        worker = threading.Thread(target=work, name="ingest", daemon=True)
        worker.start()
        yield panels.progress_html(None, f"Reading {len(sources)} item(s)…"), *nothing
        shown = None
        while worker.is_alive():
            worker.join(timeout=0.3)
            now = latest.get()
            if now != shown and (now[0] is not None or now[1]):
                shown = now
                yield panels.progress_html(now[0], now[1]), *nothing
        worker.join()
        if "error" in outcome:
            log.error("ingest failed", exc_info=outcome["error"])
            error = outcome["error"]
            yield panels.add_failed_html(error), *nothing
            return
        report = outcome["report"]
        assert isinstance(report, IngestReport)
        yield panels.report_html(report, rejected), *self.corpus_view()


class _Latest:
    """The newest progress of an ingest and whether it waits for another writer: the page only
    ever shows the latest, so nothing older is kept (one event per item of a big export was
    queued up, 2.5 GB of them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self._note = ""

    def progress(self, progress: Progress) -> None:
        with self._lock:
            self._progress, self._note = progress, ""

    def waiting(self, message: str) -> None:
        with self._lock:
            self._note = message[:1].upper() + message[1:]

    def get(self) -> tuple[Progress | None, str]:
        with self._lock:
            return self._progress, self._note


def _wait_for_end(running: Cancel | None) -> None:
    """Let the stopped answer write its last frame before the caller's output goes out.

    The answer checks for Stop before each frame, and Gradio sends a frame before it resumes the
    answer, so once the answer has ended no frame of it can arrive after ours."""
    if running is not None and not running.wait_ended(STOP_WAIT_S):
        log.warning("a stopped answer is still running after %.0f s", STOP_WAIT_S)
