"""`newsqa eval QUESTIONS... [options]` and `newsqa eval compare RUN_A RUN_B`."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.settings import Settings

HELP = "score the assistant on a question set (or: eval compare RUN_A RUN_B)"
CORPUS_MARKERS = "eval-corpora"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "questions",
        nargs="+",
        metavar="QUESTIONS",
        help="question sets (JSONL, JSON or CSV); or `compare RUN_A RUN_B`",
    )
    parser.add_argument("--corpus", type=Path, help="ingest this corpus into its own collection")
    parser.add_argument("--backend", choices=["local", "openai", "extractive"])
    parser.add_argument("--k", type=int, help="passages retrieved per question (retrieval_k)")
    parser.add_argument("--out", type=Path, help="run folder (default eval-runs/<set>-<time>)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--limit", type=int, help="ask only the first N cases of each set")
    parser.add_argument("--workers", type=int, default=1, help="questions at once (not local)")
    parser.add_argument(
        "--judge",
        choices=["local", "openai"],
        help="LLM that checks citations (NEWSQA_JUDGE_BACKEND)",
    )


def _ensure_corpus(
    corpus: Path, content: str, store: Any, settings: Settings, console: Console
) -> None:
    """Ingest the corpus unless this collection already holds exactly this content."""
    from indexing.pipeline import ingest_sources

    marker = settings.data_dir / CORPUS_MARKERS / f"{settings.collection}.json"
    if marker.is_file() and store.stats().articles > 0:
        seen = json.loads(marker.read_text(encoding="utf-8"))
        if seen.get("content") == content:
            console.print(f"corpus unchanged: reusing collection {settings.collection}")
            return
    console.print(f"ingesting {corpus} into collection {settings.collection} …")
    report = ingest_sources([corpus], store, settings)
    console.print(
        f"  {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.duplicates} duplicates, {len(report.failed)} failed ({report.seconds:.0f} s)"
    )
    for failure in report.failed[:20]:
        console.print(f"  [yellow]{escape(failure.item)}: {escape(failure.reason)}[/yellow]")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(
        json.dumps({"corpus": str(corpus), "content": content, "failed": len(report.failed)}),
        encoding="utf-8",
    )


def _compare(runs: list[str], console: Console) -> int:
    from assistant.evaluation.compare import compare_runs, comparison_markdown

    if len(runs) != 2:
        console.print("[red]newsqa eval compare: give two run folders: RUN_A RUN_B[/red]")
        return 2
    a, b = Path(runs[0]), Path(runs[1])
    try:
        result = compare_runs(a, b)
    except FileNotFoundError as exc:
        console.print(f"[red]newsqa eval compare: {escape(str(exc))}[/red]")
        return 2
    sys.stdout.write(comparison_markdown(result, a, b))
    return 0


def _code_version() -> str | None:
    """The git commit the run was made with (and "+dirty" when files were changed), if known."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def write_outputs(out: Path, records: list[dict], run: dict[str, Any]) -> dict[str, Any]:
    from assistant.evaluation.export import write_ragas
    from assistant.evaluation.report import html, markdown
    from assistant.evaluation.summary import build_summary

    summary = build_summary(records, run)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(summary, records), encoding="utf-8")
    (out / "report.html").write_text(html(summary, records), encoding="utf-8")
    write_ragas(records, out / "ragas.jsonl")
    return summary


def run(args: argparse.Namespace, settings: Settings) -> int:
    console = Console(stderr=True)
    if args.questions[0] == "compare":
        return _compare(args.questions[1:], console)

    from assistant.evaluation import corpus as corpora
    from assistant.evaluation.formats import QuestionSetError, load_question_sets
    from assistant.evaluation.runner import RunConfig, RunFolderError, prepare_folder, run_cases

    try:
        cases = load_question_sets(args.questions, limit=args.limit)
    except QuestionSetError as exc:
        console.print(f"[red]newsqa eval: {escape(str(exc))}[/red]", highlight=False)
        return 2
    if args.corpus is not None and not args.corpus.exists():
        console.print(
            f"[red]newsqa eval: corpus {escape(str(args.corpus))}: no such file or folder[/red]"
        )
        return 2

    updates: dict[str, Any] = {}
    if args.backend:
        updates["llm_backend"] = args.backend
    if args.k:
        updates["retrieval_k"] = args.k
    content = corpora.content_hash(args.corpus) if args.corpus is not None else ""
    if args.corpus is not None and args.collection is None:
        updates["collection"] = corpora.collection_name(args.corpus, content)
    settings = settings.model_copy(update=updates)
    backend = settings.llm_backend
    workers = max(1, args.workers)
    if backend == "local" and workers > 1:
        console.print("the local model answers one question at a time: --workers ignored")
        workers = 1

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("eval-runs") / f"{Path(args.questions[0]).stem}-{backend}-{stamp}"
    config = RunConfig(
        questions=tuple(str(q) for q in args.questions),
        backend=backend,
        k=settings.retrieval_k,
        corpus=str(args.corpus) if args.corpus else None,
        collection=settings.collection,
        limit=args.limit,
        judge=args.judge or settings.judge_backend,
    )
    try:
        done = prepare_folder(out, config, args.resume)
    except RunFolderError as exc:
        console.print(f"[red]newsqa eval: {escape(str(exc))}[/red]")
        return 2

    from assistant.chat import NewsAssistant
    from vectorstore.store import (
        EmbeddingModelMismatch,
        NewsStore,
        StoreFormatMismatch,
        drop_collection,
    )

    try:
        try:
            store = NewsStore(settings)
        except StoreFormatMismatch:
            if "collection" not in updates:
                raise
            # The evaluator's own copy of the corpus, from an older newsqa: build it again.
            console.print(f"collection {settings.collection} is in an older format: rebuilding")
            drop_collection(settings)
            store = NewsStore(settings)
    except EmbeddingModelMismatch as exc:
        console.print(f"[red]newsqa eval: {escape(str(exc))}[/red]")
        return 2
    ids_by_origin: dict[str, list[str]] = {}
    if args.corpus is not None:
        _ensure_corpus(args.corpus, content, store, settings, console)
        ids_by_origin = corpora.record_ids_by_origin(args.corpus)
    doc_of = corpora.doc_ids_by_article(corpora.store_origins(store), ids_by_origin)
    gold_ids = {d for case in cases for turn in case.turns for d in turn.doc_ids}
    known = {d for ids in doc_of.values() for d in ids} | set(doc_of)
    if gold_ids and not gold_ids & known:
        console.print(
            "[yellow]none of the set's doc_ids is in this collection: retrieval scores will be "
            "0 (pass --corpus with the set's corpus)[/yellow]"
        )
    assistant = NewsAssistant(settings, store=store)
    judge = None
    judge_backend = args.judge or settings.judge_backend
    if judge_backend:
        from assistant.evaluation.judge import make_judge

        judge = make_judge(settings, judge_backend)

    total = sum(len(c.turns) for c in cases)
    tally = {"right": 0, "scored": 0}
    for r in done:
        if r["scores"].get("correct") is not None:
            tally["scored"] += 1
            tally["right"] += int(r["scores"]["correct"])

    def accuracy() -> str:
        return f"correct {tally['right'] / tally['scored']:.2f}" if tally["scored"] else ""

    columns = (
        TextColumn("[bold]eval[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    interrupted = False
    records: list[dict] = list(done)
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(accuracy(), total=total, completed=len(done))

        def on_case(case_records: list[dict]) -> None:
            for r in case_records:
                if r["scores"].get("correct") is not None:
                    tally["scored"] += 1
                    tally["right"] += int(r["scores"]["correct"])
            progress.update(task, advance=len(case_records), description=accuracy())

        try:
            records = run_cases(
                cases,
                assistant,
                out,
                k=settings.retrieval_k,
                backend=backend,
                doc_of=doc_of,
                judge=judge,
                workers=workers,
                done=done,
                on_case=on_case,
            )
        except KeyboardInterrupt:
            interrupted = True
            from assistant.evaluation.runner import read_results

            records = read_results(out)

    run_info = config.as_dict() | {
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "complete": not interrupted,
        "workers": workers,
        "embedding_model": settings.embedding_model,
        "llm_threads": settings.llm_threads,
        "code": _code_version(),
    }
    summary = write_outputs(out, records, run_info)
    scores = summary["scores"]
    line = ", ".join(
        f"{name} {scores[name]['mean']:.3f}"
        for name in ("correct", "hit", "ndcg", "citation_recall")
        if name in scores
    )
    console.print(f"{summary['questions']} questions: {line}")
    console.print(f"report: {out / 'report.md'} and {out / 'report.html'}")
    if interrupted:
        console.print(f"interrupted: {len(records)} results kept; continue with --resume")
        return 130
    return 0
