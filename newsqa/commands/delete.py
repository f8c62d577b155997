"""`newsqa delete ID... [--source S]`: remove articles from every part of the store."""

from __future__ import annotations

import argparse
import sys

from core.settings import Settings

HELP = "delete articles by id, or every article of a source (Chroma, article store, BM25)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", nargs="*", metavar="ID", help="article ids (see `newsqa list`)")
    parser.add_argument("--source", action="append", default=[], help="every article of S")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from vectorstore.store import NewsStore

    if not args.ids and not args.source:
        print("newsqa delete: name article ids or --source", file=sys.stderr)
        return 2
    store = NewsStore(settings)

    def waiting(message: str) -> None:
        print(f"newsqa delete: {message}", file=sys.stderr, flush=True)

    with store.writing(on_wait=waiting):
        targets = list(dict.fromkeys(args.ids))
        if args.source:
            targets.extend(store.docstore.ids_by_source(args.source))
        missing = [i for i in args.ids if store.get_article(i) is None]
        deleted = store.delete_articles(list(dict.fromkeys(targets)))
    store.refresh_lexical()
    print(f"deleted {deleted} article(s)")
    for article_id in missing:
        print(f"newsqa delete: no article {article_id}", file=sys.stderr)
    return 1 if missing else 0
