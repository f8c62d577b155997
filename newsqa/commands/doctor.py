"""`newsqa doctor`: every part a user needs, one line each, and what to run when one fails."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.markup import escape

from core.settings import Settings

HELP = (
    "check the set-up (packages, llama.cpp build, model, embeddings, data folder, Chroma, servers)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-local",
        action="store_true",
        help="skip the local model and the llama.cpp build (for extractive or openai set-ups)",
    )
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.health import run_all

    checks = run_all(settings, local=not args.no_local)
    if args.json:
        print(json.dumps([c.__dict__ for c in checks], indent=2))
    else:
        console = Console(highlight=False, soft_wrap=True)
        for check in checks:
            mark = "[green]ok  [/green]" if check.ok else "[red]FAIL[/red]"
            line = f"{mark} {escape(check.part)}: {escape(check.detail)}"
            if not check.ok and check.fix:
                line += f"\n       → run: {escape(check.fix)}"
            console.print(line)
        broken = sum(not c.ok for c in checks)
        console.print(
            f"{len(checks) - broken} of {len(checks)} parts ok"
            + (f"; {broken} broken" if broken else "")
        )
    return 1 if any(not c.ok for c in checks) else 0
