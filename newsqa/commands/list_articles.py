"""`newsqa list`: the stored articles, newest first, optionally filtered."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from rich.console import Console
from rich.table import Table

from core.settings import Settings

HELP = "list the stored articles (id, date, source, language, title)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", action="append", help="only this source (repeatable)")
    parser.add_argument("--language", action="append", help="only this language, e.g. de")
    parser.add_argument("--since", type=date.fromisoformat, help="published on or after (ISO)")
    parser.add_argument("--until", type=date.fromisoformat, help="published on or before (ISO)")
    parser.add_argument("--json", action="store_true", help="one JSON list instead of a table")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from vectorstore.docstore import DocStore
    from vectorstore.store import NewsStore, SearchFilter, StoreUnavailable, data_paths

    flt = SearchFilter(
        sources=tuple(args.source) if args.source else None,
        languages=tuple(args.language) if args.language else None,
        date_from=args.since,
        date_to=args.until,
    )
    try:
        articles = NewsStore(settings).list_articles(flt)
    except StoreUnavailable as exc:
        # The articles themselves are local: a list needs no vectors.
        print(f"newsqa list: {exc}; listing from the article store alone", file=sys.stderr)
        docstore = DocStore(data_paths(settings)["articles"])
        articles = [a for a in docstore.articles() if flt.accepts_article(a)]
    if args.json:
        rows = [
            {
                "id": a.id,
                "date": a.date.isoformat() if a.date else None,
                "source": a.source,
                "language": a.language,
                "title": a.title,
                "url": a.url,
            }
            for a in articles
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    table = Table(title=f"{len(articles)} articles")
    # An id is copied into `newsqa delete`: it never wraps; the title folds instead.
    table.add_column("id", no_wrap=True, min_width=max((len(a.id) for a in articles), default=2))
    table.add_column("date", no_wrap=True)
    for column in ("source", "language", "title"):
        table.add_column(column, overflow="fold")
    for a in articles:
        # rich markup in titles must print as text, not be interpreted.
        table.add_row(
            a.id,
            a.date.isoformat() if a.date else "",
            a.source,
            a.language,
            a.title,
        )
    Console(markup=False).print(table)
    return 0
