"""`newsqa` command line: a thin dispatcher to one module per subcommand in newsqa/commands/.

Each command module defines HELP, add_arguments(parser) and run(args, settings) -> exit status.
Modules are imported only when their command runs, so `newsqa --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from core import language
from core.errors import NewsqaError, storage_error
from core.settings import Settings

COMMANDS: dict[str, str] = {
    "ingest": "newsqa.commands.ingest",
    "list": "newsqa.commands.list_articles",
    "stats": "newsqa.commands.stats",
    "delete": "newsqa.commands.delete",
    "ask": "newsqa.commands.ask",
    "chat": "newsqa.commands.chat",
    "models": "newsqa.commands.models",
    "serve": "newsqa.commands.serve",
    "eval": "newsqa.commands.eval",
    "doctor": "newsqa.commands.doctor",
}


def build_settings(args: argparse.Namespace) -> Settings:
    """Environment and .env first, then whichever global flags were given."""
    overrides = {}
    if args.data_dir is not None:
        overrides["data_dir"] = args.data_dir
    if args.collection is not None:
        overrides["collection"] = args.collection
    return Settings(**overrides)


def _parser(argv: Sequence[str]) -> tuple[argparse.ArgumentParser, object | None]:
    parser = argparse.ArgumentParser(
        prog="newsqa", description="Ask questions about news articles, with cited passages."
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="data folder (NEWSQA_DATA_DIR)")
    parser.add_argument("--collection", default=None, help="collection name (NEWSQA_COLLECTION)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Only the chosen command's module is imported; the others are listed by name.
    chosen = next((a for a in argv if a in COMMANDS), None)
    module = None
    for name, path in COMMANDS.items():
        if name == chosen:
            module = importlib.import_module(path)
            module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
        else:
            sub.add_parser(name, help=f"see `newsqa {name} --help`", add_help=False)
    return parser, module


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, module = _parser(argv)
    args = parser.parse_args(argv)
    if module is None:
        parser.print_help()
        return 2
    try:
        settings = build_settings(args)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        print(f"newsqa: bad settings: {exc}", file=sys.stderr)
        return 2
    language.use_cache_dir(settings.langid_cache_dir)
    try:
        return int(module.run(args, settings) or 0)
    except NewsqaError as exc:  # the one place the CLI reports what a user can act on
        print(f"newsqa {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:
        message = storage_error(exc, settings.data_dir)
        if message is None:
            raise
        print(f"newsqa {args.command}: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
