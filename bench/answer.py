"""Answer benchmark on rtqa-small: accuracy and speed of the extractive and local backends,
and of the peer to beat (bench/peer.py) on the local backend's questions.

    .venv/bin/python bench/answer.py                     # extractive on all, local on 40
    .venv/bin/python bench/answer.py --local-n 0         # extractive only
    .venv/bin/python bench/answer.py --ingest            # first build the store if missing

The store is the one bench/retrieval.py builds under --data-dir/rtqa-small (shared: building it
takes long on two cores). Without --ingest a partial store is used as it is and said so.

Figures printed per backend: accuracy (the answer contains a gold answer, numbers normalised),
share declined, and medians of the answer time (after retrieval), the time to the first token
(from the question) and the whole answer. The local model answers an evenly spread subset of
the questions (--local-n), since one answer takes seconds on two cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.chat import NewsAssistant  # noqa: E402
from assistant.evaluation.corpus import (  # noqa: E402
    doc_ids_by_article,
    record_ids_by_origin,
    store_origins,
)
from assistant.evaluation.metrics import contains_answer  # noqa: E402
from assistant.local_model import default_model_path  # noqa: E402
from bench.peer import Peer  # noqa: E402
from core.settings import Settings  # noqa: E402
from indexing.pipeline import ingest_sources  # noqa: E402
from vectorstore.store import NewsStore  # noqa: E402

SET = "rtqa-small"


def load_questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def spread(items: list, n: int) -> list:
    """n items evenly spread over the list (every k-th), so a subset covers all quiz weeks."""
    if n >= len(items):
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def stored_doc_ids(store: NewsStore, corpus: Path) -> set[str]:
    """The benchmark's doc ids of the articles the store holds."""
    by_article = doc_ids_by_article(store_origins(store), record_ids_by_origin(corpus))
    return {doc for ids in by_article.values() for doc in ids}


def open_store(data_dir: Path, corpus: Path, ingest: bool) -> tuple[NewsStore, Settings]:
    settings = Settings(_env_file=None, data_dir=data_dir / SET)
    store = NewsStore(settings)
    wanted = set(record_ids_by_origin(corpus))
    missing = wanted - {origin for origin, _ in store_origins(store)}
    if missing and ingest:
        print(f"ingesting {len(missing)} of {len(wanted)} articles (long on two cores)")
        ingest_sources([corpus], store, settings)
    elif missing:
        print(
            f"PARTIAL STORE: {len(missing)} of {len(wanted)} articles not stored; fewer "
            "distractors make the accuracy below optimistic"
        )
    return store, settings


def run(assistant: NewsAssistant, questions: list[dict], backend: str) -> dict[str, float]:
    right = declined = 0
    answer_s: list[float] = []
    first_s: list[float] = []
    total_s: list[float] = []
    for i, q in enumerate(questions, 1):
        as_of = date.fromisoformat(q["as_of"]) if q.get("as_of") else None
        a = assistant.ask(q["question"], as_of=as_of, backend=backend)
        ok = contains_answer(a.answer, q["answers"])
        right += ok
        declined += a.declined
        t = a.timings
        answer_s.append(t.get("answer", 0.0))
        first_s.append(t.get("rewrite", 0) + t.get("retrieval", 0) + t.get("first_token", 0))
        total_s.append(t.get("total", 0.0))
        if backend != "extractive":
            print(f"  {i}/{len(questions)} {'ok ' if ok else 'NO '} {t['total']:.1f}s", flush=True)
    n = len(questions) or 1
    return {
        "n": len(questions),
        "accuracy": right / n,
        "declined": declined / n,
        "answer_ms": 1000 * statistics.median(answer_s),
        "first_token_s": statistics.median(first_s),
        "total_s": statistics.median(total_s),
    }


def run_peer(peer: Peer, questions: list[dict]) -> dict[str, float]:
    right = declined = 0
    seconds: list[float] = []
    for q in questions:
        as_of = date.fromisoformat(q["as_of"]) if q.get("as_of") else None
        answer, said_no, spent = peer.ask(q["question"], as_of)
        right += not said_no and contains_answer(answer, q["answers"])
        declined += said_no
        seconds.append(spent)
    n = len(questions) or 1
    median = statistics.median(seconds) if seconds else 0.0
    # The peer does not stream: its first token is not measured, its answer time is after
    # retrieval.
    return {
        "n": len(questions),
        "accuracy": right / n,
        "declined": declined / n,
        "answer_ms": 1000 * median,
        "first_token_s": float("nan"),
        "total_s": median,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/newsqa-bench"))
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--extractive-n", type=int, default=150)
    parser.add_argument("--local-n", type=int, default=40)
    parser.add_argument(
        "--model", type=Path, default=None, help="GGUF for the local backend (default: pulled)"
    )
    parser.add_argument("--ingest", action="store_true")
    args = parser.parse_args()

    corpus = args.bench / SET / "corpus.jsonl"
    questions = load_questions(args.bench / SET / "questions.jsonl")
    store, settings = open_store(args.data_dir, corpus, args.ingest)
    # Only questions whose gold article is stored can be answered; on a partial store the rest
    # would measure the store, not the answering.
    stored = stored_doc_ids(store, corpus)
    answerable = [q for q in questions if set(q.get("doc_ids", [])) & stored]
    if len(answerable) < len(questions):
        print(f"{len(answerable)} of {len(questions)} questions have their gold article stored")
    questions = answerable
    # One copy of the 1.1 GB model, the default data dir's (`newsqa models pull` puts it there),
    # serves the bench store too.
    model = args.model or default_model_path(Settings())
    settings = settings.model_copy(update={"llm_model_path": model})
    assistant = NewsAssistant(settings, store)
    assistant.ask("warm-up: load the embedding model", backend="extractive")

    rows = []
    if args.extractive_n:
        started = time.perf_counter()
        res = run(assistant, spread(questions, args.extractive_n), "extractive")
        rows.append(("extractive", res))
        print(f"extractive done in {time.perf_counter() - started:.0f} s", flush=True)
    if args.local_n:
        subset = spread(questions, args.local_n)
        rows.append(("local", run(assistant, subset, "local")))
        rows.append(("peer", run_peer(Peer(assistant), subset)))

    print(f"\n{SET}: {store.stats().articles} articles stored")
    print(f"{'backend':<11} {'n':>4} {'accuracy':>9} {'declined':>9} {'answer ms':>10} "
          f"{'first token s':>14} {'total s':>8}")  # fmt: skip
    for name, r in rows:
        print(
            f"{name:<11} {r['n']:>4} {r['accuracy']:>9.3f} {r['declined']:>9.3f} "
            f"{r['answer_ms']:>10.1f} {r['first_token_s']:>14.2f} {r['total_s']:>8.2f}"
        )
    print("medians; answer ms = after retrieval; first token and total from the question")


if __name__ == "__main__":
    main()
