"""`newsqa serve`: the Gradio app on the stored articles (the same app as `python app.py`)."""

from __future__ import annotations

import argparse
import sys
from typing import get_args

from core.settings import LLMBackend, Settings

HELP = "open the chat app in a browser tab (127.0.0.1:7860 unless told otherwise)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default: 7860)")
    parser.add_argument(
        "--share", action="store_true", help="also open a public Gradio share link (off by default)"
    )
    parser.add_argument(
        "--backend",
        choices=get_args(LLMBackend),
        default=None,
        help="answer backend selected when the page opens (NEWSQA_LLM_BACKEND)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    overrides = {
        key: value
        for key, value in (("host", args.host), ("port", args.port), ("llm_backend", args.backend))
        if value is not None
    }
    if overrides:
        settings = settings.model_copy(update=overrides)
    # Imported here so that other commands never pay for loading Gradio.
    from webapp.app import launch
    from webapp.auth import AuthConfigError, parse_auth

    try:
        parse_auth(settings.auth)
    except AuthConfigError as exc:
        print(f"newsqa serve: bad NEWSQA_AUTH: {exc}", file=sys.stderr)
        return 2
    if args.share:
        print("newsqa serve: --share makes the app reachable from the internet.", file=sys.stderr)
    launch(settings, share=args.share)
    return 0
