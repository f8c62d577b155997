"""One evaluation run, from question sets to a run folder: `run_eval(request, settings)`.

The CLI (`newsqa eval`) parses arguments and draws progress; everything else is here: the
corpus's own collection (rebuilt when it is from an older newsqa, re-ingested only when the
corpus changed), the judge, the workers, the tally, the outputs.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.backends import backend_class
from assistant.chat import NewsAssistant
from assistant.evaluation import corpus as corpora
from assistant.evaluation.export import write_ragas
from assistant.evaluation.formats import load_question_sets
from assistant.evaluation.judge import make_judge
from assistant.evaluation.report import html, markdown
from assistant.evaluation.runner import RunConfig, prepare_folder, read_results, run_cases
from assistant.evaluation.summary import build_summary
from core.settings import Settings
from indexing.pipeline import ingest_sources
from vectorstore.store import NewsStore, StoreFormatMismatch, drop_collection

CORPUS_MARKERS = "eval-corpora"


@dataclass(frozen=True)
class EvalRequest:
    questions: tuple[Path, ...]
    corpus: Path | None = None
    backend: str | None = None
    k: int | None = None
    out: Path | None = None
    resume: bool = False
    limit: int | None = None
    workers: int = 1
    judge: str | None = None
    # The collection named by the user (`--collection`): the corpus is ingested into it instead
    # of a collection of its own.
    collection: str | None = None


@dataclass
class Tally:
    """Correct answers so far, over the questions that have a gold answer."""

    right: int = 0
    scored: int = 0

    def add(self, records: Iterable[dict[str, Any]]) -> None:
        for record in records:
            correct = record["scores"].get("correct")
            if correct is not None:
                self.scored += 1
                self.right += int(correct)

    def __str__(self) -> str:
        return f"correct {self.right / self.scored:.2f}" if self.scored else ""


@dataclass
class EvalOutcome:
    out: Path
    summary: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False


# Told what the run is doing (a line) and how far it is (questions done, total, the tally).
Notify = Callable[[str], None]
Advance = Callable[[int, int, Tally], None]


def run_eval(
    request: EvalRequest,
    settings: Settings,
    notify: Notify = lambda line: None,
    advance: Advance = lambda done, total, tally: None,
) -> EvalOutcome:
    """Ask every case of the question sets and write the run folder; Ctrl-C ends it early with
    the results so far (`interrupted`). Raises QuestionSetError, RunFolderError,
    EmbeddingModelMismatch or FileNotFoundError (a missing corpus) before asking anything."""
    cases = load_question_sets(request.questions, limit=request.limit)
    if request.corpus is not None and not request.corpus.exists():
        raise FileNotFoundError(f"corpus {request.corpus}: no such file or folder")
    updates: dict[str, Any] = {}
    if request.backend:
        updates["llm_backend"] = request.backend
    if request.k:
        updates["retrieval_k"] = request.k
    content = corpora.content_hash(request.corpus) if request.corpus is not None else ""
    own_collection = request.corpus is not None and request.collection is None
    if own_collection:
        updates["collection"] = corpora.collection_name(request.corpus, content)
    settings = settings.model_copy(update=updates)
    backend = settings.llm_backend
    workers = max(1, request.workers)
    if backend_class(backend).one_at_a_time and workers > 1:
        notify(f"the {backend} backend answers one question at a time: --workers ignored")
        workers = 1

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = request.out or Path("eval-runs") / f"{request.questions[0].stem}-{backend}-{stamp}"
    judge_backend = request.judge or settings.judge_backend
    config = RunConfig(
        questions=tuple(str(q) for q in request.questions),
        backend=backend,
        k=settings.retrieval_k,
        corpus=str(request.corpus) if request.corpus else None,
        collection=settings.collection,
        limit=request.limit,
        judge=judge_backend,
    )
    done = prepare_folder(out, config, request.resume)
    store = _open_store(settings, rebuild_old=own_collection, notify=notify)
    ids_by_origin: dict[str, list[str]] = {}
    if request.corpus is not None:
        _ensure_corpus(request.corpus, content, store, settings, notify)
        ids_by_origin = corpora.record_ids_by_origin(request.corpus)
    doc_of = corpora.doc_ids_by_article(corpora.store_origins(store), ids_by_origin)
    gold_ids = {d for case in cases for turn in case.turns for d in turn.doc_ids}
    known = {d for ids in doc_of.values() for d in ids} | set(doc_of)
    if gold_ids and not gold_ids & known:
        notify(
            "none of the set's doc_ids is in this collection: retrieval scores will be 0 "
            "(pass --corpus with the set's corpus)"
        )
    judge = make_judge(settings, judge_backend) if judge_backend else None

    total = sum(len(c.turns) for c in cases)
    tally = Tally()
    tally.add(done)
    finished = len(done)
    advance(finished, total, tally)

    def on_case(case_records: list[dict]) -> None:
        nonlocal finished
        tally.add(case_records)
        finished += len(case_records)
        advance(finished, total, tally)

    interrupted = False
    try:
        records = run_cases(
            cases,
            NewsAssistant(settings, store=store),
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
    return EvalOutcome(out=out, summary=summary, records=records, interrupted=interrupted)


def _open_store(settings: Settings, rebuild_old: bool, notify: Notify) -> NewsStore:
    try:
        return NewsStore(settings)
    except StoreFormatMismatch:
        if not rebuild_old:
            raise
        # The evaluator's own copy of the corpus, from an older newsqa: build it again.
        notify(f"collection {settings.collection} is in an older format: rebuilding")
        drop_collection(settings)
        return NewsStore(settings)


def _ensure_corpus(
    corpus: Path, content: str, store: NewsStore, settings: Settings, notify: Notify
) -> None:
    """Ingest the corpus unless this collection already holds exactly this content."""
    marker = settings.data_dir / CORPUS_MARKERS / f"{settings.collection}.json"
    if marker.is_file() and store.stats().articles > 0:
        seen = json.loads(marker.read_text(encoding="utf-8"))
        if seen.get("content") == content:
            notify(f"corpus unchanged: reusing collection {settings.collection}")
            return
    notify(f"ingesting {corpus} into collection {settings.collection} …")
    report = ingest_sources([corpus], store, settings)
    notify(
        f"  {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.duplicates} duplicates, {len(report.failed)} failed ({report.seconds:.0f} s)"
    )
    for failure in report.failed[:20]:
        notify(f"  {failure.item}: {failure.reason}")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(
        json.dumps({"corpus": str(corpus), "content": content, "failed": len(report.failed)}),
        encoding="utf-8",
    )


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
    summary = build_summary(records, run)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(summary, records), encoding="utf-8")
    (out / "report.html").write_text(html(summary, records), encoding="utf-8")
    write_ragas(records, out / "ragas.jsonl")
    return summary
