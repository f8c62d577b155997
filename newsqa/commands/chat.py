"""`newsqa chat`: a conversation in the terminal; follow-up questions lean on earlier turns.

Reads one question per line from standard input, so it works typed at a terminal and piped
(`printf 'Who is X?\\nWhat did he say?\\n' | newsqa chat`). An empty line or "exit" ends it.
"""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.markup import escape

from assistant.models import Turn
from core.settings import Settings
from newsqa.commands.ask import add_filter_arguments, print_answer, search_filter

HELP = "a conversation about the stored articles (reads questions from standard input)"

_EXIT = {"exit", "quit", "bye", ":q"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_filter_arguments(parser)
    parser.add_argument("--no-stream", action="store_true", help="print whole answers only")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.chat import AnswerReplaced, Done, NewsAssistant, QueryRewritten, Token

    console = Console()
    interactive = sys.stdin.isatty()
    flt = search_filter(args)
    assistant = NewsAssistant(settings)
    history: list[Turn] = []
    if interactive:
        console.print("[dim]Ask about the news; an empty line or 'exit' ends the chat.[/dim]")
    while True:
        if interactive:
            console.print("[bold]you>[/bold] ", end="")
        line = sys.stdin.readline()
        if not line:
            break
        question = line.strip()
        if not question and interactive:
            break
        if not question:
            continue
        if question.lower() in _EXIT:
            break
        if not interactive:
            console.print(f"[bold]you>[/bold] {escape(question)}")
        answer = None
        streamed = False
        for event in assistant.stream(
            question, history, filters=flt, as_of=args.as_of, backend=args.backend
        ):
            if isinstance(event, QueryRewritten) and event.query and event.query != question:
                console.print(f"[dim](searching: {escape(event.query)})[/dim]")
            elif isinstance(event, Token) and not args.no_stream and interactive:
                if not streamed:
                    console.print("[bold]newsqa>[/bold] ", end="")
                console.print(escape(event.text), end="", soft_wrap=True)
                streamed = True
            elif isinstance(event, AnswerReplaced) and streamed:
                console.print(f"\n[dim](not shown: {escape(event.reason)})[/dim]", end="")
            elif isinstance(event, Done):
                answer = event.answer
        if answer is None:  # pragma: no cover - stream always ends with Done
            continue
        if streamed:
            console.print("\n[dim]checked:[/dim]")
        else:
            console.print("[bold]newsqa>[/bold]")
        print_answer(answer, console)
        console.print()
        history += [
            Turn(role="user", content=question),
            Turn(role="assistant", content=answer.answer),
        ]
    return 0
