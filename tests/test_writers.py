"""One writer at a time per collection: two ingests into one data folder, started together or a
moment apart, end exactly where one clean run of both ends. Before the write lock, the second
run's start-up sweep removed the first run's articles in flight (96 of 120 stored, both runs
reporting "added 60").

The runs are real processes with their own store and lock; the embedding model is the real one.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.settings import Settings
from vectorstore.store import NewsStore
from vectorstore.units import chunk_ids_of

REPO = Path(__file__).resolve().parents[1]
_VOCABULARY = (
    "harbour council river budget school tram bridge election court museum festival hospital "
    "station library factory market forest airport winter summer police village energy water "
    "storm teachers drivers farmers doctors students tenants workers nurses pilots engineers "
    "opened closed delayed approved rejected repaired expanded postponed announced reported "
    "north south east west new old small large first second third last local regional"
)
WORDS = _VOCABULARY.split()


def write_articles(folder: Path, prefix: str, count: int, seed: int) -> None:
    """`count` short articles of random words: no two near-duplicates of each other."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for n in range(count):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(9, 14))).capitalize() + "."
            for _ in range(6)
        ]
        title = f"{prefix} report {n}: {rng.choice(WORDS)} {rng.choice(WORDS)}"
        (folder / f"{prefix}-{n:02d}.txt").write_text(
            title + "\n\n" + " ".join(sentences) + "\n", encoding="utf-8"
        )


def fingerprint(data_dir: Path) -> dict[str, object]:
    """What a store holds, in every part: articles and their state, origins, chunks, vectors."""
    db = sqlite3.connect(data_dir / "articles" / "news.sqlite3")
    articles = sorted(db.execute("SELECT id, complete, vectors FROM articles").fetchall())
    origins = sorted(db.execute("SELECT origin, article_id FROM origins").fetchall())
    chunks = sorted(r[0] for r in db.execute("SELECT id FROM chunks"))
    db.close()
    store = NewsStore(Settings(_env_file=None, data_dir=data_dir))
    vectors = sorted(store.collection.get(include=[])["ids"])
    store.close()
    return {"articles": articles, "origins": origins, "chunks": chunks, "vectors": vectors}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("writers")
    write_articles(base / "a", "alpha", 20, seed=1)
    write_articles(base / "b", "beta", 20, seed=2)
    return base / "a", base / "b"


class Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "writer_worker.py")],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert json.loads(self.read()) == {"ready": True}

    def read(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, "the writer process ended"
        return line

    def start(self, data_dir: Path, folder: Path, delay: float) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{data_dir} {folder} {delay:.3f}\n")
        self.process.stdin.flush()

    def result(self) -> dict[str, object]:
        return json.loads(self.read())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


def test_two_writers_at_once_end_where_one_clean_run_ends(
    corpora: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = corpora
    first, second = Worker(), Worker()
    try:
        first.start(tmp_path / "clean", a, 0)
        assert first.result()["added"] == 20
        first.start(tmp_path / "clean", b, 0)
        assert first.result()["added"] == 20
        clean = fingerprint(tmp_path / "clean")
        assert len(clean["articles"]) == 40 and all(c == 1 for _, c, _ in clean["articles"])

        rng = random.Random(13)
        waits = 0
        for rep in range(20):
            data_dir = tmp_path / f"race-{rep}"
            # Either may go first, by up to the time a run takes; often they start together.
            offset = rng.choice([0.0, rng.uniform(0, 1.5)])
            early, late = (first, second) if rng.random() < 0.5 else (second, first)
            early.start(data_dir, a if early is first else b, 0)
            late.start(data_dir, b if early is first else a, offset)
            results = [first.result(), second.result()]
            assert [r["added"] for r in results] == [20, 20], (rep, results)
            assert [r["failed"] for r in results] == [0, 0], (rep, results)
            waits += sum(1 for r in results if r["waited"])
            assert fingerprint(data_dir) == clean, f"repetition {rep}, offset {offset:.2f}"
        assert waits > 0  # the runs did overlap: one waited for the other
    finally:
        first.close()
        second.close()


def test_vectors_match_their_articles_after_a_race(corpora: tuple[Path, Path], tmp_path: Path):
    """No orphans: every Chroma record belongs to a complete article, every article has its."""
    a, b = corpora
    first, second = Worker(), Worker()
    try:
        first.start(tmp_path / "data", a, 0)
        second.start(tmp_path / "data", b, 0)
        first.result(), second.result()
    finally:
        first.close()
        second.close()
    stored = fingerprint(tmp_path / "data")
    complete = {article for article, state, _ in stored["articles"] if state == 1}
    owners = {unit.split(":", 1)[0] for unit in stored["vectors"]}
    assert owners == complete
    assert sum(n for _, _, n in stored["articles"]) == len(stored["vectors"])
    for unit in stored["vectors"]:
        assert set(chunk_ids_of(unit)) <= set(stored["chunks"])


def newsqa(*args: str, data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "newsqa", "--data-dir", str(data_dir), *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_newsqa_ingest_says_it_waits_and_both_land(
    corpora: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = corpora
    data_dir = tmp_path / "data"
    lock = data_dir / "articles" / "news.lock"
    runs = [newsqa("ingest", str(a), "--json", "--quiet", data_dir=data_dir)]
    # The second starts once the first holds the lock, so that it must wait.
    deadline = time.monotonic() + 120
    while not (lock.exists() and lock.read_text().startswith("pid")):
        assert time.monotonic() < deadline, "the first ingest never took the write lock"
        time.sleep(0.05)
    runs.append(newsqa("ingest", str(b), "--json", "--quiet", data_dir=data_dir))
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert [json.loads(out)["added"] for out, _ in outputs] == [20, 20]
    assert "is being written by pid" in outputs[1][1] and "waiting" in outputs[1][1]
    assert len(fingerprint(data_dir)["articles"]) == 40


def test_a_delete_waits_for_an_ingest_in_progress(corpora: tuple[Path, Path], tmp_path: Path):
    a, _ = corpora
    data_dir = tmp_path / "data"
    settings = Settings(_env_file=None, data_dir=data_dir)
    store = NewsStore(settings)
    with store.writing():
        # Held by this test process, as a running ingest holds it.
        deleting = newsqa("delete", "--source", "a", data_dir=data_dir)
        time.sleep(8)
        assert deleting.poll() is None, "delete did not wait for the writer"
    out, err = deleting.communicate(timeout=120)
    store.close()
    assert deleting.returncode == 0, err
    assert "is being written by pid" in err


def test_a_writer_that_waits_too_long_gives_up_with_a_message(tmp_path: Path) -> None:
    from vectorstore.writelock import StoreBusy

    settings = Settings(_env_file=None, data_dir=tmp_path / "data", write_wait_s=0.5)
    holder = NewsStore(settings)
    with holder.writing():
        result = subprocess.run(
            [sys.executable, "-m", "newsqa", "--data-dir", str(tmp_path / "data")]
            + ["delete", "--source", "x"],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**os.environ, "NEWSQA_WRITE_WAIT_S": "0.5"},
            timeout=120,
        )
    holder.close()
    assert result.returncode == StoreBusy.exit_code
    assert "still being written by pid" in result.stderr and "Traceback" not in result.stderr


HOLD = """
import sys, time
from pathlib import Path
from core.settings import Settings
from vectorstore.store import NewsStore
store = NewsStore(Settings(_env_file=None, data_dir=Path(sys.argv[1])))
with store.writing():
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_an_upload_in_the_app_waits_for_another_writer_and_says_so(
    corpora: tuple[Path, Path], tmp_path: Path
) -> None:
    from webapp.handlers import NewsApp

    a, _ = corpora
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", llm_backend="extractive")
    app = NewsApp(settings, store=NewsStore(settings))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "data"), "4"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    frames = [frame[0] for frame in app.add_articles([str(p) for p in sorted(a.iterdir())], "")]
    holder.wait(timeout=60)
    assert any("is being written by pid" in f and "waiting" in f for f in frames), frames
    assert "20 added" in frames[-1]
