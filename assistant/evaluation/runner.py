"""Asking a question set and keeping every result as it comes.

Each finished case is appended to results.jsonl and flushed at once, so an interrupted run keeps
what it did and `resume` carries on from there. A follow-up case is asked as one conversation;
its turns are written together, so a case is either wholly in the file or not at all.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from assistant.evaluation.formats import EvalCase
from assistant.evaluation.scoring import SCORE_NAMES, Judge, score_turn
from assistant.models import Answer, Turn
from core.errors import NewsqaError
from core.language import detect_language
from vectorstore.store import SearchFilter

RESULTS = "results.jsonl"
RUN_INFO = "run.json"


class Asker(Protocol):
    """What the runner needs of `assistant.chat.NewsAssistant`."""

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        filters: SearchFilter | None = None,
        as_of: date | None = None,
        backend: str | None = None,
    ) -> Answer: ...


class RunFolderError(NewsqaError, RuntimeError):
    """The output folder holds another run, or a run with other settings to resume."""


@dataclass(frozen=True)
class RunConfig:
    questions: tuple[str, ...]
    backend: str
    k: int
    corpus: str | None = None
    collection: str = ""
    limit: int | None = None
    judge: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "questions": list(self.questions),
            "backend": self.backend,
            "k": self.k,
            "corpus": self.corpus,
            "collection": self.collection,
            "limit": self.limit,
            "judge": self.judge,
        }


def _filters(case: EvalCase) -> SearchFilter | None:
    f = case.filters
    if f is None:
        return None
    return SearchFilter(
        sources=tuple(f.sources) if f.sources else None,
        languages=tuple(f.languages) if f.languages else None,
        date_from=f.date_from,
        date_to=f.date_to,
    )


def turn_record(
    case: EvalCase,
    n: int,
    answer: Answer | None,
    error: str | None,
    scores: dict[str, float | None],
    doc_of: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """The line results.jsonl keeps for turn `n` (1-based) of a case."""
    turn = case.turns[n - 1]
    record: dict[str, Any] = {
        "id": case.id if not case.is_followup else f"{case.id}#{n}",
        "case_id": case.id,
        "turn": n,
        "turns": len(case.turns),
        "kind": case.kind,
        # Sets without a language field (follow-ups, ragas) are grouped by the question's own.
        "lang": case.lang or detect_language(turn.question),
        "as_of": case.as_of.isoformat() if case.as_of else None,
        "question": turn.question,
        "gold": turn.answers,
        "unanswerable": turn.unanswerable,
        "doc_ids": turn.doc_ids,
        "error": error,
        "scores": scores,
    }
    if answer is None:
        return record
    record.update(
        answer=answer.answer,
        declined=answer.declined,
        replaced=answer.replaced,
        # The model's sentences the verification did not show, with why.
        left_out=[[c.sentence, c.reason] for c in answer.checks if not c.shown],
        query=answer.query,
        backend=answer.backend,
        citations=[
            {
                "marker": c.marker,
                "chunk_id": c.chunk_id,
                "article_id": c.article_id,
                "supported": c.supported,
                "sentence": c.sentence,
            }
            for c in answer.citations
        ],
        retrieved=[
            {
                "number": p.number,
                "chunk_id": p.chunk_id,
                "article_id": p.article_id,
                "doc_ids": list(doc_of.get(p.article_id, ())),
                "title": p.title,
                "score": p.score,
                "text": p.text,
            }
            for p in answer.passages
        ],
        timings=answer.timings,
        tokens=answer.tokens,
    )
    return record


def ask_case(
    case: EvalCase,
    assistant: Asker,
    *,
    k: int,
    backend: str | None = None,
    doc_of: Mapping[str, Sequence[str]] | None = None,
    judge: Judge | None = None,
) -> list[dict[str, Any]]:
    """Ask every turn of a case in one conversation and score each answer."""
    doc_of = doc_of or {}
    history: list[Turn] = []
    records = []
    for n, turn in enumerate(case.turns, 1):
        try:
            answer = assistant.ask(
                turn.question,
                history,
                filters=_filters(case),
                as_of=case.as_of,
                backend=backend,
            )
        except Exception as exc:  # one failing question must not end the run; it is recorded
            scores = dict.fromkeys(SCORE_NAMES)
            scores["correct"] = 0.0
            records.append(
                turn_record(case, n, None, f"{type(exc).__name__}: {exc}", scores, doc_of)
            )
            history += [Turn(role="user", content=turn.question)]
            continue
        scores = score_turn(turn, answer, k, doc_of, judge)
        records.append(turn_record(case, n, answer, None, scores, doc_of))
        history += [
            Turn(role="user", content=turn.question),
            Turn(role="assistant", content=answer.answer),
        ]
    return records


def read_results(folder: Path) -> list[dict[str, Any]]:
    path = folder / RESULTS
    if not path.is_file():
        return []
    records = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a line cut short by a hard kill; its case is asked again
    return records


def _complete(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Only cases with all their turns: a case cut off in the middle is asked again whole."""
    by_case: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_case.setdefault(r["case_id"], []).append(r)
    return [r for recs in by_case.values() if len(recs) == recs[0]["turns"] for r in recs]


def prepare_folder(out: Path, config: RunConfig, resume: bool) -> list[dict[str, Any]]:
    """Set up the run folder; returns the results already there when resuming."""
    out.mkdir(parents=True, exist_ok=True)
    info_path = out / RUN_INFO
    existing = read_results(out)
    if not resume:
        if existing:
            raise RunFolderError(
                f"{out} already holds {len(existing)} results: pass --resume to continue that "
                "run, or choose another --out"
            )
        info_path.write_text(json.dumps(config.as_dict(), indent=2) + "\n", encoding="utf-8")
        (out / RESULTS).write_text("", encoding="utf-8")
        return []
    if info_path.is_file():
        before = json.loads(info_path.read_text(encoding="utf-8"))
        mine = config.as_dict()
        differ = [
            key
            for key in ("questions", "backend", "k", "collection")
            if before.get(key) != mine[key]
        ]
        if differ:
            raise RunFolderError(
                f"cannot resume {out}: it was run with other {', '.join(differ)} "
                f"({', '.join(f'{key}={before.get(key)!r}' for key in differ)})"
            )
    info_path.write_text(json.dumps(config.as_dict(), indent=2) + "\n", encoding="utf-8")
    kept = _complete(existing)
    # Rewrite without partial cases or torn lines, so the file stays one record per turn.
    with (out / RESULTS).open("w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in kept)
    return kept


def run_cases(
    cases: Sequence[EvalCase],
    assistant: Asker,
    out: Path,
    *,
    k: int,
    backend: str | None = None,
    doc_of: Mapping[str, Sequence[str]] | None = None,
    judge: Judge | None = None,
    workers: int = 1,
    done: Sequence[dict[str, Any]] = (),
    on_case: Callable[[list[dict[str, Any]]], None] | None = None,
) -> list[dict[str, Any]]:
    """Ask the cases not already `done`, appending each case's records as soon as it finishes.

    Returns every record (the ones done before and the new ones). KeyboardInterrupt propagates
    after the finished cases are on disk.
    """
    finished = {r["case_id"] for r in done}
    todo = [c for c in cases if c.id not in finished]
    records = list(done)
    lock = threading.Lock()

    with (out / RESULTS).open("a", encoding="utf-8") as fh:

        def keep(case_records: list[dict[str, Any]]) -> None:
            with lock:
                fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in case_records)
                fh.flush()
                records.extend(case_records)
            if on_case is not None:
                on_case(case_records)

        def one(case: EvalCase) -> list[dict[str, Any]]:
            return ask_case(case, assistant, k=k, backend=backend, doc_of=doc_of, judge=judge)

        if workers <= 1:
            for case in todo:
                keep(one(case))
            return records
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eval")
        try:
            futures = [pool.submit(one, case) for case in todo]
            for future in as_completed(futures):
                keep(future.result())
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
    return records
