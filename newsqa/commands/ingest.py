"""`newsqa ingest PATH_OR_URL...`: store the articles of files, folders, pages and feeds."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress as Bar
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.errors import NewsqaError, storage_error
from core.settings import Settings
from indexing.pipeline import IngestReport, Progress, ingest_sources

HELP = "ingest articles from files, folders, web pages, RSS/Atom feeds and JSON/CSV exports"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", nargs="+", metavar="PATH_OR_URL", help="what to ingest")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _summary(report: IngestReport) -> dict[str, object]:
    return {
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "duplicates": report.duplicates,
        "chunks_added": report.chunks_added,
        "failed": [f.model_dump() for f in report.failed],
        "failed_total": report.failed_count,
        "failed_by_reason": report.failed_by_reason,
        "replaced_chars": report.replaced_chars,
        "replaced_in": report.replaced_in,
        "titles": report.titles,
        "seconds": round(report.seconds, 2),
    }


def _print_summary(console: Console, report: IngestReport) -> None:
    table = Table(title="ingest summary", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for name in ("added", "updated", "unchanged", "duplicates", "chunks_added"):
        table.add_row(name.replace("_", " "), str(getattr(report, name)))
    table.add_row("failed", str(report.failed_count))
    if report.replaced_chars:
        table.add_row("bad bytes replaced", str(report.replaced_chars))
    table.add_row("seconds", f"{report.seconds:.1f}")
    console.print(table)
    for failure in report.failed:
        # Item names and reasons come from the input: escape them so rich renders them verbatim.
        console.print(f"[red]failed[/red] {escape(failure.item)}: {escape(failure.reason)}")
    if report.failed_count > len(report.failed):
        console.print(f"… and {report.failed_count - len(report.failed)} more; by reason:")
        for reason, count in report.failed_by_reason.items():
            console.print(f"  {count:>9}  {escape(reason)}")
    if report.replaced_chars:
        items = ", ".join(report.replaced_in[:5]) + (" …" if len(report.replaced_in) > 5 else "")
        console.print(
            f"[yellow]replaced[/yellow] {report.replaced_chars} byte sequence(s) that were not "
            f"valid text with \ufffd, in {escape(items)}"
        )


def run(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: opening the store loads Chroma, which `--help` should not pay for.
    from vectorstore.store import NewsStore

    console = Console(stderr=True)
    try:
        store = NewsStore(settings)
        bar = Bar(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[articles]} articles ({task.fields[aps]:.1f}/s)"),
            TextColumn("{task.fields[chunks]} chunks ({task.fields[cps]:.1f}/s)"),
            TimeElapsedColumn(),
            console=console,
            disable=args.quiet,
            transient=False,
        )
        with bar:
            task = bar.add_task("ingesting", total=None, articles=0, chunks=0, aps=0.0, cps=0.0)

            def show(p: Progress) -> None:
                seconds = max(p.elapsed_s, 1e-6)
                bar.update(
                    task,
                    articles=p.articles_done,
                    chunks=p.chunks_done,
                    aps=p.articles_done / seconds,
                    cps=p.chunks_done / seconds,
                )

            def waiting(message: str) -> None:
                print(f"newsqa ingest: {message}", file=sys.stderr, flush=True)

            report = ingest_sources(
                args.sources, store, settings, on_progress=show, on_wait=waiting
            )
            bar.update(task, description="keyword index")
            store.refresh_lexical()
            bar.update(task, description="done")
    except KeyboardInterrupt:
        console.print("interrupted: run the same command again to finish (nothing is lost)")
        return 130
    except NewsqaError as exc:
        print(f"newsqa ingest: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # a store or model that cannot be used: say which and why
        # Plain print: a message a script may grep must not be re-wrapped to the terminal width.
        storage = storage_error(exc, settings.data_dir)
        print(f"newsqa ingest: {storage or exc}", file=sys.stderr)
        return 1 if storage else 2
    if args.json:
        print(json.dumps(_summary(report), ensure_ascii=False))
    else:
        _print_summary(Console(), report)
    return 0 if report.ok else 1
