"""`newsqa eval QUESTIONS... [options]` and `newsqa eval compare RUN_A RUN_B`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import get_args

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.settings import JudgeBackend, LLMBackend, Settings

HELP = "score the assistant on a question set (or: eval compare RUN_A RUN_B)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "questions",
        nargs="+",
        metavar="QUESTIONS",
        help="question sets (JSONL, JSON or CSV); or `compare RUN_A RUN_B`",
    )
    parser.add_argument("--corpus", type=Path, help="ingest this corpus into its own collection")
    parser.add_argument("--backend", choices=get_args(LLMBackend))
    parser.add_argument("--k", type=int, help="passages retrieved per question (retrieval_k)")
    parser.add_argument("--out", type=Path, help="run folder (default eval-runs/<set>-<time>)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--limit", type=int, help="ask only the first N cases of each set")
    parser.add_argument("--workers", type=int, default=1, help="questions at once (not local)")
    parser.add_argument(
        "--judge",
        choices=get_args(JudgeBackend),
        help="LLM that checks citations (NEWSQA_JUDGE_BACKEND)",
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


def run(args: argparse.Namespace, settings: Settings) -> int:
    console = Console(stderr=True)
    if args.questions[0] == "compare":
        return _compare(args.questions[1:], console)

    from assistant.evaluation.formats import QuestionSetError
    from assistant.evaluation.run import EvalRequest, run_eval
    from assistant.evaluation.runner import RunFolderError
    from vectorstore.store import EmbeddingModelMismatch

    request = EvalRequest(
        questions=tuple(Path(q) for q in args.questions),
        corpus=args.corpus,
        backend=args.backend,
        k=args.k,
        out=args.out,
        resume=args.resume,
        limit=args.limit,
        workers=args.workers,
        judge=args.judge,
        collection=args.collection,
    )
    columns = (
        TextColumn("[bold]eval[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("", total=None)

        def advance(done: int, total: int, tally: object) -> None:
            progress.update(task, completed=done, total=total, description=str(tally))

        try:
            outcome = run_eval(
                request,
                settings,
                notify=lambda line: console.print(escape(line), highlight=False),
                advance=advance,
            )
        except (
            QuestionSetError,
            RunFolderError,
            EmbeddingModelMismatch,
            FileNotFoundError,
        ) as exc:
            progress.stop()
            console.print(f"[red]newsqa eval: {escape(str(exc))}[/red]", highlight=False)
            return 2

    scores = outcome.summary["scores"]
    line = ", ".join(
        f"{name} {scores[name]['mean']:.3f}"
        for name in ("correct", "hit", "ndcg", "citation_recall")
        if name in scores
    )
    console.print(f"{outcome.summary['questions']} questions: {line}")
    console.print(f"report: {outcome.out / 'report.md'} and {outcome.out / 'report.html'}")
    if outcome.interrupted:
        console.print(f"interrupted: {len(outcome.records)} results kept; continue with --resume")
        return 130
    return 0
