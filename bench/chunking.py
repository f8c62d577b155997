"""Front-end throughput: loading (parse, clean, detect language) and chunking, per corpus.

Reads the benchmark corpora in place from ../shared/bench. Prints, per corpus, articles/s of
`load_source` and articles/s and chunks/s of `chunk_article` at the default settings (220
tokens, 40 overlap, cl100k_base), by wall clock and by this process's CPU time (the CPU figure
is the steadier one on a machine shared with other work), plus the chunk size distribution.

Usage: .venv/bin/python bench/chunking.py [--corpus rtqa-small --corpus gnad-de]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.records import Article  # noqa: E402
from core.settings import Settings  # noqa: E402
from core.tokens import get_encoding  # noqa: E402
from ingest.chunking import chunk_article  # noqa: E402
from ingest.loaders import load_source  # noqa: E402

BENCH = REPO.parent / "shared" / "bench"


def _timed(work):  # noqa: ANN001, ANN202
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", action="append", default=None)
    args = parser.parse_args()
    corpora = args.corpus or ["rtqa-small", "gnad-de"]
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(_env_file=None, data_dir=Path(data_dir))
        encoding = get_encoding(settings.tokenizer, settings.tiktoken_cache_dir)
        for name in corpora:
            path = BENCH / name / "corpus.jsonl"
            items, load_wall, load_cpu = _timed(lambda p=path: list(load_source(p, settings)))
            articles = [item for item in items if isinstance(item, Article)]

            def chunk_all(batch: list[Article] = articles) -> list[int]:
                return [
                    len(
                        chunk_article(
                            article,
                            encoding,
                            chunk_tokens=settings.chunk_tokens,
                            overlap_tokens=settings.chunk_overlap_tokens,
                        )
                    )
                    for article in batch
                ]

            counts, chunk_wall, chunk_cpu = _timed(chunk_all)
            n, chunks = len(articles), sum(counts)
            print(f"{name}: {n} articles, {len(items) - n} failures, {chunks} chunks")
            print(
                f"  load : {n / load_wall:7.0f} articles/s wall, {n / load_cpu:7.0f} articles/s cpu"
            )
            print(
                f"  chunk: {n / chunk_wall:7.0f} articles/s wall, "
                f"{n / chunk_cpu:7.0f} articles/s cpu, {chunks / chunk_cpu:7.0f} chunks/s cpu"
            )
            print(
                f"  chunks per article: median {statistics.median(counts):.0f}, max {max(counts)}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
