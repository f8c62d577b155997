"""`newsqa stats`: what the collection holds."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from core.settings import Settings

HELP = "show counts of articles, chunks, sources, languages, the date range and embedding model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from vectorstore.store import NewsStore, data_paths

    store = NewsStore(settings)
    stats = store.stats()
    facts = {
        "collection": settings.collection,
        "articles": stats.articles,
        "chunks": stats.chunks,
        "sentence_vectors": stats.sentences,
        "sources": stats.sources,
        "languages": stats.languages,
        "date_min": stats.date_min.isoformat() if stats.date_min else None,
        "date_max": stats.date_max.isoformat() if stats.date_max else None,
        "embedding_model": stats.embedding_model,
        "chroma": settings.chroma_url or str(data_paths(settings)["chroma"]),
        "article_store": str(data_paths(settings)["articles"]),
    }
    if args.json:
        print(json.dumps(facts, ensure_ascii=False, indent=1))
        return 0
    console = Console(markup=False)
    summary = Table(show_header=False, title=f"collection {settings.collection}")
    summary.add_column("what")
    summary.add_column("value")
    for key in (
        "articles",
        "chunks",
        "sentence_vectors",
        "date_min",
        "date_max",
        "embedding_model",
        "chroma",
        "article_store",
    ):
        summary.add_row(key.replace("_", " "), str(facts[key] if facts[key] is not None else "-"))
    console.print(summary)
    for name in ("sources", "languages"):
        table = Table(title=name)
        table.add_column(name[:-1])
        table.add_column("articles", justify="right")
        for key, count in stats.__dict__[name].items():
            table.add_row(key or "-", str(count))
        console.print(table)
    return 0
