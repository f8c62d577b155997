"""`newsqa ingest`, `list`, `stats` and `delete` as a user runs them: real subprocesses, a real
store. The crash test kills `newsqa ingest` with SIGKILL midway and checks that running it again
ends exactly where one uninterrupted run ends."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vectorstore.units import chunk_ids_of

REPO = Path(__file__).resolve().parents[1]

GOOD = """Harbour ferry returns after repairs

The harbour ferry is back in service after three months of repairs, the port authority said
on Monday. The boat now runs every 20 minutes between the old town and the island, and a
second vessel will join the line in July.
"""
GERMAN = """Neue Buslinie zum Flughafen

Ab Dezember fährt eine neue Buslinie alle 15 Minuten vom Hauptbahnhof zum Flughafen. Die
Verkehrsbetriebe rechnen mit 4.000 Fahrgästen am Tag; die Fahrt dauert 25 Minuten.
"""


def newsqa(*args: str, data_dir: Path, env: dict[str, str] | None = None, **kw):
    return subprocess.run(
        [sys.executable, "-m", "newsqa", "--data-dir", str(data_dir), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=900,
        **kw,
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    news = tmp_path / "news"
    news.mkdir()
    (news / "ferry.txt").write_text(
        "---\ndate: 2024-06-03\nsource: Harbour Times\n---\n" + GOOD, encoding="utf-8"
    )
    (news / "bus.txt").write_text(
        "---\ndate: 2023-11-20\nsource: Stadtblatt\n---\n" + GERMAN, encoding="utf-8"
    )
    return news


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data dir with the two articles, shared by the read-only command tests."""
    base = tmp_path_factory.mktemp("cli")
    news = base / "news"
    news.mkdir()
    (news / "ferry.txt").write_text(
        "---\ndate: 2024-06-03\nsource: Harbour Times\n---\n" + GOOD, encoding="utf-8"
    )
    (news / "bus.txt").write_text(
        "---\ndate: 2023-11-20\nsource: Stadtblatt\n---\n" + GERMAN, encoding="utf-8"
    )
    result = newsqa("ingest", str(news), "--quiet", data_dir=base / "data")
    assert result.returncode == 0, result.stderr
    return base / "data"


def test_ingest_prints_a_summary_and_exits_zero(folder: Path, tmp_path: Path) -> None:
    result = newsqa("ingest", str(folder), data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert "ingest summary" in result.stdout
    assert "articles (" in result.stderr  # the progress line with its rates
    again = newsqa("ingest", str(folder), "--json", "--quiet", data_dir=tmp_path / "data")
    assert again.returncode == 0
    summary = json.loads(again.stdout)
    assert (summary["added"], summary["unchanged"], summary["failed"]) == (0, 2, [])


def test_a_record_python_cannot_read_fails_alone_and_the_rest_lands(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    deep = "[" * 1000 + "]" * 1000
    huge = '{"title": "Count", "text": "A number follows.", "n": ' + "9" * 5000 + "}"
    good = json.dumps({"title": "Bus line opens", "text": GERMAN})
    (folder / "odd.jsonl").write_text(f"{deep}\n{huge}\n{good}\n", encoding="utf-8")
    (folder / "deep.json").write_text(deep, encoding="utf-8")
    result = newsqa("ingest", str(folder), "--json", "--quiet", data_dir=tmp_path / "data")
    assert result.returncode == 1, result.stderr  # failures named, not a crash
    summary = json.loads(result.stdout)
    assert summary["added"] == 2  # good.txt and the good line
    failed = {Path(f["item"]).name: f["reason"] for f in summary["failed"]}
    assert failed == {
        "odd.jsonl:1": "unreadable JSON: nested too deeply",
        "odd.jsonl:2": "unreadable JSON: a number too long to read",
        "deep.json": "unreadable JSON: nested too deeply",
    }


def test_gzipped_exports_are_read_where_the_readme_says_and_named_where_not(tmp_path: Path):
    import gzip

    folder = tmp_path / "gz"
    folder.mkdir()
    for name, text in (("a.jsonl.gz", GERMAN), ("b.ndjson.gz", GOOD), ("c.json.gz", GOOD)):
        line = json.dumps({"title": name, "text": text}) + "\n"
        (folder / name).write_bytes(gzip.compress(line.encode()))
    result = newsqa("ingest", str(folder), "--json", "--quiet", data_dir=tmp_path / "data")
    summary = json.loads(result.stdout)
    assert summary["added"] == 2
    failed = {Path(f["item"]).name: f["reason"] for f in summary["failed"]}
    assert failed == {
        "c.json.gz": "unsupported file type .json.gz: only .jsonl and .ndjson are read gzipped"
    }


def test_ingest_names_each_failure_and_exits_non_zero(folder: Path, tmp_path: Path) -> None:
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 not supported here")
    result = newsqa(
        "ingest",
        str(folder),
        str(tmp_path / "nowhere"),
        "--json",
        "--quiet",
        data_dir=tmp_path / "data",
    )
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["added"] == 2
    failed = {Path(f["item"]).name: f["reason"] for f in summary["failed"]}
    assert set(failed) == {"scan.pdf", "nowhere"}
    assert "unsupported file type" in failed["scan.pdf"]
    assert "no such file" in failed["nowhere"]
    table = newsqa("ingest", str(folder / "scan.pdf"), "--quiet", data_dir=tmp_path / "data")
    assert table.returncode == 1
    assert "scan.pdf" in table.stdout and "unsupported file type" in table.stdout


def test_ingest_refuses_a_collection_built_with_another_model(ingested: Path, folder: Path) -> None:
    result = newsqa(
        "ingest",
        str(folder),
        "--quiet",
        data_dir=ingested,
        env={"NEWSQA_EMBEDDING_BACKEND": "openai", "NEWSQA_EMBEDDING_URL": "http://127.0.0.1:9"},
    )
    assert result.returncode == 2
    assert "was built with e5:multilingual-e5-small" in result.stderr
    assert "use another --collection or re-ingest" in result.stderr


def test_a_collection_from_before_sentence_vectors_is_refused_by_every_command(
    tmp_path: Path,
) -> None:
    from core.settings import Settings
    from vectorstore.store import MODEL_KEY, _chroma_client

    data = tmp_path / "old"
    old = Settings(_env_file=None, data_dir=data)
    _chroma_client(old).create_collection("news", metadata={MODEL_KEY: "e5:multilingual-e5-small"})
    for command in (
        ("stats",),
        ("list",),
        ("ask", "Who won?", "--backend", "extractive"),
        ("serve", "--port", "7989"),
    ):
        result = newsqa(*command, data_dir=data)
        assert result.returncode in (1, 2), command
        assert "written by an older newsqa" in result.stderr, command
        assert "ingest again" in result.stderr and "Traceback" not in result.stderr, command


def test_list_shows_the_articles_with_filters(ingested: Path) -> None:
    rows = json.loads(newsqa("list", "--json", data_dir=ingested).stdout)
    assert [(r["date"], r["source"], r["language"]) for r in rows] == [
        ("2024-06-03", "Harbour Times", "en"),
        ("2023-11-20", "Stadtblatt", "de"),
    ]
    german = json.loads(newsqa("list", "--json", "--language", "de", data_dir=ingested).stdout)
    assert [r["title"] for r in german] == ["Neue Buslinie zum Flughafen"]
    since = newsqa("list", "--json", "--since", "2024-01-01", data_dir=ingested).stdout
    assert [r["source"] for r in json.loads(since)] == ["Harbour Times"]
    by_source = newsqa("list", "--json", "--source", "Stadtblatt", data_dir=ingested).stdout
    assert [r["language"] for r in json.loads(by_source)] == ["de"]
    table = newsqa("list", data_dir=ingested, env={"COLUMNS": "200"}).stdout
    assert "Harbour ferry returns after repairs" in table and "Stadtblatt" in table


def test_stats_describe_the_collection(ingested: Path) -> None:
    stats = json.loads(newsqa("stats", "--json", data_dir=ingested).stdout)
    assert stats["articles"] == 2 and stats["chunks"] >= 2
    assert stats["sentence_vectors"] >= stats["chunks"]  # one or more per chunk
    assert stats["languages"] == {"de": 1, "en": 1}
    assert stats["sources"] == {"Harbour Times": 1, "Stadtblatt": 1}
    assert (stats["date_min"], stats["date_max"]) == ("2023-11-20", "2024-06-03")
    assert stats["embedding_model"] == "e5:multilingual-e5-small"
    assert "articles" in newsqa("stats", data_dir=ingested).stdout


def test_ingest_leaves_the_keyword_index_built(ingested: Path) -> None:
    meta = json.loads((ingested / "lexical" / "news" / "meta.json").read_text(encoding="utf-8"))
    stats = json.loads(newsqa("stats", "--json", data_dir=ingested).stdout)
    assert meta["chunks"] == stats["chunks"]


def test_delete_by_id_and_by_source(ingested: Path, tmp_path: Path) -> None:
    data = tmp_path / "copy"
    shutil.copytree(ingested, data)
    rows = json.loads(newsqa("list", "--json", data_dir=data).stdout)
    ferry = next(r["id"] for r in rows if r["source"] == "Harbour Times")
    result = newsqa("delete", ferry, "0000000000000000", data_dir=data)
    assert result.returncode == 1  # one id named nothing, and says so
    assert "deleted 1 article(s)" in result.stdout
    assert "no article 0000000000000000" in result.stderr
    assert newsqa("delete", "--source", "Stadtblatt", data_dir=data).returncode == 0
    stats = json.loads(newsqa("stats", "--json", data_dir=data).stdout)
    assert (stats["articles"], stats["chunks"], stats["sentence_vectors"]) == (0, 0, 0)
    meta = json.loads((data / "lexical" / "news" / "meta.json").read_text(encoding="utf-8"))
    assert meta["chunks"] == 0
    assert newsqa("delete", data_dir=data).returncode == 2


# -- crash safety ------------------------------------------------------------------------------


def _write_bench_folder(bench_dir: Path, folder: Path, count: int = 40) -> None:
    """`count` rtqa-small articles, one JSON file each, cut to their first paragraphs so the
    test embeds about one chunk per article."""
    folder.mkdir()
    with (bench_dir / "rtqa-small" / "corpus.jsonl").open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if n == count:
                break
            record = json.loads(line)
            text, cut = record["text"], ""
            for paragraph in text.split("\n"):
                if len(cut) + len(paragraph) > 700 and cut:
                    break
                cut += paragraph + "\n"
            record["text"] = cut
            (folder / f"{n:03d}.json").write_text(json.dumps(record), encoding="utf-8")


def _stored(
    data_dir: Path,
) -> tuple[dict[str, str], dict[str, tuple[int, int]], dict[str, str]]:
    """(chunk id → text in the article store, sentence id → its span in Chroma, origin → article),
    after checking that every Chroma sentence lies inside the chunks it names and that every
    stored chunk has a sentence."""
    import chromadb

    db = sqlite3.connect(data_dir / "articles" / "news.sqlite3")
    rows = db.execute(
        'SELECT c.id, c.text, c.start, c."end" FROM chunks c JOIN articles a'
        " ON a.id = c.article_id WHERE a.complete = 1"
    ).fetchall()
    chunks = {chunk: text for chunk, text, _, _ in rows}
    spans = {chunk: (start, end) for chunk, _, start, end in rows}
    assert db.execute("SELECT COUNT(*) FROM articles WHERE complete = 0").fetchone()[0] == 0
    origins = dict(db.execute("SELECT origin, article_id FROM origins"))
    db.close()
    client = chromadb.PersistentClient(
        path=str(data_dir / "chroma"),
        settings=chromadb.Settings(anonymized_telemetry=False),
    )
    got = client.get_collection("news").get(include=["metadatas"])
    covered = set()
    for unit, meta in zip(got["ids"], got["metadatas"], strict=True):
        for chunk_id in chunk_ids_of(unit):
            start, end = spans[chunk_id]
            assert start <= meta["start"] < meta["end"] <= end, "a sentence is not in its chunk"
            covered.add(chunk_id)
    assert covered == set(chunks), "a stored chunk has no sentence vector"
    records = zip(got["ids"], got["metadatas"], strict=True)
    sentences = {unit: (meta["start"], meta["end"]) for unit, meta in records}
    return chunks, sentences, origins


def _complete_articles(data_dir: Path) -> int:
    path = data_dir / "articles" / "news.sqlite3"
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return db.execute("SELECT COUNT(*) FROM articles WHERE complete = 1").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


@pytest.mark.slow
def test_sigkill_midway_then_rerun_ends_as_one_clean_run(bench_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "rtqa40"
    _write_bench_folder(bench_dir, folder)

    clean = newsqa("ingest", str(folder), "--json", "--quiet", data_dir=tmp_path / "clean")
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["added"] == 40

    crashed = tmp_path / "crashed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsqa", "--data-dir", str(crashed), "ingest", str(folder)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Small Chroma writes, so that articles complete one after another and a kill can land
        # between them (the default writes 256 vectors at a time, about all of this folder's).
        env={**os.environ, "NEWSQA_VECTOR_WRITE_BATCH": "16"},
    )
    try:
        while _complete_articles(crashed) < 5 and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    done_before = _complete_articles(crashed)
    assert 5 <= done_before < 40

    rerun = newsqa("ingest", str(folder), "--json", "--quiet", data_dir=crashed)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["unchanged"] == done_before
    assert summary["added"] == 40 - done_before

    clean_chunks, clean_chroma, clean_origins = _stored(tmp_path / "clean")
    crashed_chunks, crashed_chroma, crashed_origins = _stored(crashed)
    assert crashed_chunks == clean_chunks
    assert crashed_chroma == clean_chroma
    assert crashed_origins == clean_origins


def test_the_folder_walk_names_everything_it_does_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "ferry.txt").write_text(GOOD, encoding="utf-8")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "bus.txt").write_text(GERMAN, encoding="utf-8")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    (folder / "linked-file.txt").symlink_to(outside / "bus.txt")
    (folder / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    os.mkfifo(folder / "pipe.txt")
    (folder / ".hidden.txt").write_text(GOOD, encoding="utf-8")
    result = newsqa("ingest", str(folder), "--json", "--quiet", data_dir=tmp_path / "data")
    summary = json.loads(result.stdout)
    assert result.returncode == 1, result.stderr
    assert summary["added"] == 2  # sub/ferry.txt and the linked file
    failed = {Path(f["item"]).name: f["reason"] for f in summary["failed"]}
    assert failed == {
        "linked-folder": "link to a folder, not followed (name that folder to ingest it)",
        "dangling.txt": f"broken symbolic link (to {tmp_path / 'gone.txt'})",
        "loop.txt": "symbolic link loop",
        "pipe.txt": "a named pipe, not a file",
    }


def test_an_unreadable_subfolder_is_named(tmp_path: Path, monkeypatch) -> None:
    """Root reads every folder whatever its mode, so as root the test has scandir refuse the
    folder the way the kernel refuses another user; as anyone else it is a real chmod 000."""
    from core.records import Failure
    from core.settings import Settings
    from ingest import loaders

    folder = tmp_path / "news"
    (folder / "locked").mkdir(parents=True)
    (folder / "ok.txt").write_text(GOOD, encoding="utf-8")
    locked = folder / "locked"
    if os.geteuid() == 0:
        real = os.scandir

        def scandir(path):
            if Path(path) == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)

        monkeypatch.setattr(loaders.os, "scandir", scandir)
    else:
        locked.chmod(0)
    try:
        items = list(loaders.load_source(folder, Settings(_env_file=None, data_dir=tmp_path)))
    finally:
        locked.chmod(0o755)
    assert [i.title for i in items if not isinstance(i, Failure)] == [
        "Harbour ferry returns after repairs"
    ]
    assert [i for i in items if isinstance(i, Failure)] == [
        Failure(item=str(locked), reason="folder cannot be read: permission denied")
    ]
