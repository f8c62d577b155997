"""Server mode: the same store and pipeline against a real `chroma run` server on 127.0.0.1.
The article store stays local in data_dir; only the vectors live on the server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import free_port, serving

from core.settings import Settings
from indexing.pipeline import ingest_sources
from vectorstore.embeddings import E5Embeddings
from vectorstore.store import EmbeddingModelMismatch, NewsStore

pytestmark = pytest.mark.slow

ARTICLE = """Neue Radwege für die Innenstadt

Die Stadt baut bis zum Herbst zwölf Kilometer neue Radwege in der Innenstadt. Der Gemeinderat
bewilligte dafür 8,5 Millionen Euro. Die ersten Abschnitte entlang des Rings sollen schon im
Mai fertig sein, teilte die Verkehrsstadträtin mit.
"""
OTHER = """Library extends opening hours

The city library will stay open until 10 pm on weekdays from next month, the council said.
Students had asked for longer hours during the exam season, and a pilot last winter drew
more than 2,000 extra visits.
"""


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        chroma = Path(shutil.which("chroma") or "chroma")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    command = [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)]
    url = f"http://127.0.0.1:{port}"
    with serving(command, f"{url}/api/v2/heartbeat", what="chroma server"):
        yield url


def test_ingest_and_search_through_a_chroma_server(
    chroma_server: str, settings: Settings, tmp_path: Path
) -> None:
    server_settings = settings.model_copy(update={"chroma_url": chroma_server})
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "radwege.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "library.txt").write_text(OTHER, encoding="utf-8")
    store = NewsStore(server_settings, embeddings=E5Embeddings())

    report = ingest_sources([folder], store, server_settings)
    assert (report.added, report.failed) == (2, [])
    # Nothing went into a local Chroma folder: the vectors are on the server.
    assert not server_settings.chroma_dir.exists()
    assert store.vector_count() == store.stats().sentences == report.sentences_added
    assert store.stats().chunks == report.chunks_added

    hit = store.search_dense("How much money does the bike lane programme cost?", k=1)[0]
    assert "8,5 Millionen" in hit.chunk.text
    again = ingest_sources([folder], store, server_settings)
    assert (again.added, again.unchanged) == (0, 2)

    library = next(a for a in store.list_articles() if a.language == "en")
    assert store.delete_articles([library.id]) == 1
    assert store.vector_count() == store.stats().sentences


def test_the_server_collection_refuses_another_model(
    chroma_server: str, settings: Settings, tmp_path: Path
) -> None:
    server_settings = settings.model_copy(
        update={"chroma_url": chroma_server, "collection": "guarded"}
    )
    NewsStore(server_settings)
    other = server_settings.model_copy(
        update={
            "embedding_backend": "openai",
            "embedding_url": "http://127.0.0.1:9/v1",
            "data_dir": tmp_path / "elsewhere",
        }
    )
    with pytest.raises(EmbeddingModelMismatch, match="collection 'guarded' was built with e5:"):
        NewsStore(other)


def newsqa(*args: str, data_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsqa", "--data-dir", str(data_dir), *args],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


def test_a_stopped_or_absent_server_costs_one_timeout_and_one_line(tmp_path: Path) -> None:
    """SIGSTOP leaves the server's port open and silent: without a timeout, ingest and ask
    waited for minutes. Every command now gives up after NEWSQA_CHROMA_TIMEOUT_S, in one line
    naming the server; `list` still lists from the local article store."""
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        chroma = Path(shutil.which("chroma") or "chroma")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--path", str(tmp_path / "server")]
    news = tmp_path / "news"
    news.mkdir()
    (news / "radwege.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "later.txt").write_text(OTHER, encoding="utf-8")
    env = {"NEWSQA_CHROMA_URL": url, "NEWSQA_CHROMA_TIMEOUT_S": "3"}
    data = tmp_path / "data"
    with serving(command, f"{url}/api/v2/heartbeat", what="chroma server") as server:
        assert newsqa("ingest", str(news), "--quiet", data_dir=data, env=env).returncode == 0
        server.send_signal(signal.SIGSTOP)
        try:
            for args in (
                ("ingest", str(tmp_path / "later.txt"), "--quiet"),
                ("ask", "Wie viele Kilometer Radwege?", "--backend", "extractive"),
                ("stats",),
                ("delete", "--source", "news"),
            ):
                started = time.monotonic()
                result = newsqa(*args, data_dir=data, env=env)
                took = time.monotonic() - started
                assert result.returncode == 1, (args, result.stdout, result.stderr)
                lines = result.stderr.strip().splitlines()
                assert len(lines) == 1 and "Traceback" not in result.stderr, (args, lines)
                assert f"the Chroma server at {url} did not answer within 3 s" in lines[0]
                assert took < 120, (args, took)
            listed = newsqa("list", "--json", data_dir=data, env=env)
            assert listed.returncode == 0, listed.stderr
            assert [a["title"] for a in json.loads(listed.stdout)] == [
                "Neue Radwege für die Innenstadt"
            ]
            assert "listing from the article store" in listed.stderr
        finally:
            server.send_signal(signal.SIGCONT)
    # Gone altogether: refused at once, with what to do.
    for args in (("stats",), ("ingest", str(tmp_path / "later.txt"), "--quiet")):
        gone = newsqa(*args, data_dir=data, env=env)
        assert gone.returncode == 1, (args, gone.stderr)
        assert f"cannot reach the Chroma server at {url}" in gone.stderr, args
        assert "chroma run" in gone.stderr and "Traceback" not in gone.stderr, args
