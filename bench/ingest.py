"""Ingest throughput: the whole pipeline against the bare embedding model, and re-ingest cost.

For each corpus (read in place from ../shared/bench, never copied into the repo) the first
`--limit` articles go into a fresh temporary data dir. Printed per corpus:

- articles/s, chunks/s and sentence units/s of the first ingest (wall clock); the units are
  what gets embedded (one vector per sentence, see ingest/units.py);
- the bare e5 model encoding the very same unit texts in the same batches, in the same run
  (`--bare-every N` encodes every Nth of them and takes the rate from that systematic sample,
  for the full rtqa-small corpus, whose embedding takes the better part of an hour);
- pipeline/bare throughput ratio, by wall clock and by this process's CPU time (the CPU ratio
  is the steadier figure on a machine shared with other work);
- the re-ingest speedup (first ingest time / unchanged re-ingest time);
- peak resident memory of the process so far (ru_maxrss).

Usage: .venv/bin/python bench/ingest.py [--limit 200] [--corpus gnad-de --corpus rtqa-small]
       .venv/bin/python bench/ingest.py --limit 0 --corpus gnad-de           # the whole corpus
       .venv/bin/python bench/ingest.py --limit 0 --corpus rtqa-small --bare-every 4 \
           --keep /tmp/newsqa-bench     # keeps the store for bench/retrieval.py and bench/answer.py
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.records import Chunk  # noqa: E402
from core.settings import Settings  # noqa: E402
from indexing.pipeline import ingest_sources  # noqa: E402
from vectorstore.embeddings import E5Embeddings  # noqa: E402
from vectorstore.store import NewsStore  # noqa: E402
from vectorstore.units import sentence_units  # noqa: E402

BENCH = REPO.parent / "shared" / "bench"


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _limited_copy(corpus: str, limit: int, folder: Path) -> Path:
    """The first `limit` records of the corpus as one JSONL file in a temporary folder."""
    source = BENCH / corpus / "corpus.jsonl"
    target = folder / f"{corpus}.jsonl"
    with source.open(encoding="utf-8") as lines, target.open("w", encoding="utf-8") as out:
        for n, line in enumerate(lines):
            if limit and n == limit:  # 0: no limit
                break
            out.write(line)
    return target


def unit_texts(store: NewsStore) -> list[str]:
    """The texts the pipeline embedded: the sentence units of every stored article's chunks."""
    by_article: dict[str, list[Chunk]] = {}
    for chunk in store.get_chunks(store.docstore.get_chunk_ids_complete()):
        by_article.setdefault(chunk.article_id, []).append(chunk)
    return [
        unit.text
        for chunks in by_article.values()
        for unit in sentence_units(sorted(chunks, key=lambda c: c.index))
    ]


def bench_corpus(
    corpus: str,
    limit: int,
    embeddings: E5Embeddings,
    batch_size: int,
    bare_every: int = 1,
    keep: Path | None = None,
) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-ingest-{corpus}-") as tmp:
        tmp_path = Path(tmp)
        data = _limited_copy(corpus, limit, tmp_path)
        # Kept stores serve the other benchmarks, which find articles by origin (URL or export
        # id), not by file: the temporary copy does not get in their way.
        data_dir = keep / corpus if keep else tmp_path / "data"
        settings = Settings(_env_file=None, data_dir=data_dir, embedding_batch_size=batch_size)
        store = NewsStore(settings, embeddings=embeddings)

        wall, cpu = _clock()
        first = ingest_sources([data], store, settings)
        wall_first, cpu_first = time.perf_counter() - wall, time.process_time() - cpu

        texts = unit_texts(store)
        sample = texts[::bare_every]
        wall, cpu = _clock()
        embeddings.embed_documents(sample)
        wall_bare, cpu_bare = time.perf_counter() - wall, time.process_time() - cpu
        # Per unit, so that a sample compares with the whole: pipeline time per unit stored
        # against bare time per unit encoded.
        wall_first_per, cpu_first_per = wall_first / len(texts), cpu_first / len(texts)
        wall_bare_per, cpu_bare_per = wall_bare / len(sample), cpu_bare / len(sample)

        wall, _ = _clock()
        again = ingest_sources([data], store, settings)
        wall_again = time.perf_counter() - wall
        store.close()

    articles = first.added + first.duplicates
    return {
        "corpus": corpus,
        "articles": articles,
        "added": first.added,
        "duplicates": first.duplicates,
        "failed": len(first.failed),
        "chunks": first.chunks_added,
        "seconds": round(wall_first, 1),
        "articles_per_s": round(articles / wall_first, 2),
        "chunks_per_s": round(first.chunks_added / wall_first, 2),
        "sentences": first.sentences_added,
        "sentences_per_s": round(first.sentences_added / wall_first, 2),
        "bare_sentences": len(sample),
        "bare_seconds": round(wall_bare, 1),
        "bare_sentences_per_s": round(len(sample) / wall_bare, 2),
        "ratio_wall": round(wall_bare_per / wall_first_per, 3),
        "ratio_cpu": round(cpu_bare_per / cpu_first_per, 3),
        "reingest_seconds": round(wall_again, 2),
        "reingest_unchanged": again.unchanged,
        "reingest_speedup": round(wall_first / wall_again, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=200, help="articles per corpus (0: all)")
    parser.add_argument(
        "--corpus", action="append", help="gnad-de and/or rtqa-small (default: both)"
    )
    parser.add_argument("--batch-size", type=int, default=16, help="embedding batch size")
    parser.add_argument(
        "--bare-every",
        type=int,
        default=1,
        help="bare encoder on every Nth sentence unit (default all)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per corpus")
    parser.add_argument(
        "--keep",
        type=Path,
        help="build each store in KEEP/<corpus> (must not exist yet) and keep it",
    )
    args = parser.parse_args()
    if not BENCH.is_dir():
        print(f"benchmark data not found at {BENCH}", file=sys.stderr)
        return 2
    corpora = args.corpus or ["gnad-de", "rtqa-small"]
    taken = [args.keep / c for c in corpora if args.keep and (args.keep / c).exists()]
    if taken:
        print(f"--keep: {taken[0]} exists; the benchmark needs a fresh store", file=sys.stderr)
        return 2
    embeddings = E5Embeddings(batch_size=args.batch_size)
    for corpus in corpora:
        result = bench_corpus(
            corpus, args.limit, embeddings, args.batch_size, args.bare_every, args.keep
        )
        if args.json:
            print(json.dumps(result), flush=True)
            continue
        print(
            f"{corpus}: {result['articles']} articles ({result['duplicates']} duplicates, "
            f"{result['failed']} failed), {result['chunks']} chunks, {result['sentences']} "
            f"sentence units in {result['seconds']} s\n"
            f"  pipeline        {result['articles_per_s']} articles/s, "
            f"{result['chunks_per_s']} chunks/s, {result['sentences_per_s']} units/s\n"
            f"  bare embedder   {result['bare_sentences_per_s']} units/s "
            f"({result['bare_seconds']} s for {result['bare_sentences']} of the same unit texts)\n"
            f"  pipeline/bare   {result['ratio_wall']} by wall clock, "
            f"{result['ratio_cpu']} by CPU time\n"
            f"  re-ingest       {result['reingest_seconds']} s "
            f"({result['reingest_unchanged']} unchanged): {result['reingest_speedup']}x faster\n"
            f"  peak memory     {result['peak_rss_mb']} MB (ru_maxrss, whole process so far)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
