"""`newsqa ask "question"`: one answer with its sources, as text or as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import get_args

from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.markup import escape

from assistant.models import Answer, Turn
from core.errors import NewsqaError
from core.markers import renumber, renumbering
from core.settings import LLMBackend, Settings
from vectorstore.store import SearchFilter

HELP = "answer a question from the stored articles, with cited sources"

_TURNS = TypeAdapter(list[Turn])


class InputError(NewsqaError, ValueError):
    """A command-line value that cannot be used; the message names it and why."""


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """Backend and search filters, shared with `newsqa chat`."""
    parser.add_argument(
        "--backend", choices=get_args(LLMBackend), default=None, help="answering backend"
    )
    parser.add_argument("--source", action="append", help="only this source (repeatable)")
    parser.add_argument("--language", action="append", help="only this language, e.g. de")
    parser.add_argument("--since", type=_day, help="articles from this date (YYYY-MM-DD)")
    parser.add_argument("--until", type=_day, help="articles up to this date (YYYY-MM-DD)")
    parser.add_argument(
        "--as-of",
        type=_day,
        help="the day the question is asked: articles dated later are left out",
    )
    parser.add_argument(
        "--dated-only", action="store_true", help="leave out articles that have no date"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("question", help="the question")
    parser.add_argument("--json", action="store_true", help="print the Answer object as JSON")
    parser.add_argument(
        "--history",
        help='earlier turns: a JSON file or JSON text, [{"role": "user", "content": "..."}, ...]',
    )
    add_filter_arguments(parser)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def search_filter(args: argparse.Namespace) -> SearchFilter | None:
    if not (args.source or args.language or args.since or args.until or args.dated_only):
        return None
    if args.since and args.until and args.since > args.until:
        raise InputError(f"--since {args.since} is after --until {args.until}")
    return SearchFilter(
        sources=tuple(args.source) if args.source else None,
        languages=tuple(args.language) if args.language else None,
        date_from=args.since,
        date_to=args.until,
        undated=not args.dated_only,
    )


def load_history(value: str | None) -> list[Turn]:
    """Turns from a JSON file path or JSON text; InputError naming what is wrong."""
    if not value:
        return []
    text = value
    if not value.lstrip().startswith("["):
        path = Path(value)
        if not path.is_file():
            raise InputError(f"--history {value!r}: no such file, and not a JSON list")
        text = path.read_text(encoding="utf-8")
    try:
        return _TURNS.validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(
            f"--history: item {where or '(top level)'}: {first['msg']} "
            '(expected a list of {"role": "user"|"assistant", "content": "..."})'
        ) from exc


def print_answer(answer: Answer, console: Console) -> None:
    """The answer, its check verdicts and the sources, as rich text (article text escaped).
    Markers are numbered 1..n in the order they first appear, as in the app."""
    shown = renumbering(answer.answer, {c.marker for c in answer.citations})
    console.print(escape(renumber(answer.answer, shown)))
    if answer.replaced:
        why = escape(answer.replaced)
        console.print(f"[dim]The model's answer was replaced by a quote: {why}[/]")
    for check in answer.checks:
        if not check.shown:
            console.print(f"[dim]left out: {escape(check.sentence)} ({check.reason})[/]")
        elif not check.supported:
            console.print(f"[yellow]⚠ unsupported: {escape(check.sentence)} ({check.reason})[/]")
    if answer.is_chitchat:
        return
    if answer.declined and answer.passages:
        console.print("\n[dim]Closest passages, one per article:[/dim]")
        articles: set[str] = set()
        for p in answer.passages:
            if p.article_id in articles or len(articles) == 3:
                continue
            articles.add(p.article_id)
            when = p.date.isoformat() if p.date else "undated"
            console.print(f"  {escape(p.title)} — {escape(p.source)}, {when}")
            console.print(f"    [dim]{escape(p.nearest_sentence())}[/dim]")
        return
    if answer.citations:
        console.print("\n[bold]Sources[/bold]")
    seen: set[tuple[int, int]] = set()
    for c in sorted(answer.citations, key=lambda c: shown.get(c.marker, len(shown) + c.marker)):
        if (c.marker, c.span_start) in seen:
            continue
        seen.add((c.marker, c.span_start))
        when = c.date.isoformat() if c.date else "undated"
        added = " (added by the check)" if c.added else ""
        number = shown.get(c.marker, c.marker)
        console.print(f"[{number}] {escape(c.title)} — {escape(c.source)}, {when}{added}")
        if c.url:
            console.print(f"    {escape(c.url)}")
        console.print(f'    [dim]"{escape(c.span_text.strip())}"[/dim]')


def answer_json(answer: Answer) -> str:
    return json.dumps(answer.model_dump(mode="json"), ensure_ascii=False, indent=2)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.chat import NewsAssistant

    console = Console()
    history = load_history(args.history)
    flt = search_filter(args)
    assistant = NewsAssistant(settings)
    answer = assistant.ask(
        args.question, history, filters=flt, as_of=args.as_of, backend=args.backend
    )
    if answer.declined and not answer.passages and assistant.store.stats().articles == 0:
        print(
            f"newsqa ask: the collection {settings.collection!r} holds no articles: add some "
            "first (`newsqa ingest PATH`, e.g. `newsqa ingest samples/`)",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(answer_json(answer))
    else:
        print_answer(answer, console)
    return 0
