"""A long-lived ingest process for the two-writers test: it loads the embedding model once,
then for every line `DATA_DIR FOLDER DELAY_S` on stdin waits DELAY_S and ingests FOLDER into
DATA_DIR through the real pipeline (its own store, its own write lock), and prints the run's
summary as one JSON line. Two of these race each other; a fresh interpreter per run would spend
most of the test starting up."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from core.settings import Settings
from indexing.pipeline import ingest_sources
from vectorstore.embeddings import make_embeddings
from vectorstore.store import NewsStore


def main() -> None:
    embeddings = make_embeddings(Settings(_env_file=None))
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        data_dir, folder, delay = line.split()
        settings = Settings(_env_file=None, data_dir=Path(data_dir))
        time.sleep(float(delay))
        store = NewsStore(settings, embeddings)
        waited: list[str] = []
        report = ingest_sources([folder], store, settings, on_wait=waited.append)
        store.close()
        print(
            json.dumps({"added": report.added, "failed": report.failed_count, "waited": waited}),
            flush=True,
        )


if __name__ == "__main__":
    main()
