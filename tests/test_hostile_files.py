"""Files built to hurt `newsqa ingest`, through the real command: each one costs bounded memory
and time, becomes that item's failure (or a counted repair), and the rest of the run lands."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GERMAN = (
    "Größe der Straßenbahn\n\nDie neue Straßenbahn ist größer als die alte. Sie fährt ab März "
    "alle zehn Minuten über die Brücke, und die Stadtwerke erwarten täglich 4.000 Fahrgäste."
)
GOOD = {
    "title": "Harbour ferry returns",
    "text": "The harbour ferry is back in service after three months of repairs, the port "
    "authority said on Monday. The boat runs every 20 minutes between the old town and the "
    "island.",
}
# The child's address space: enough for Python, torch and the embedding model (about 1.3 GB of
# mappings), far from the 4 GB the files below reached before their reading was bounded.
ADDRESS_SPACE = 2 * 1024**3
MAX_RSS_MB = 1024

# The child's peak resident memory is read from VmHWM, its own address space's high-water mark:
# getrusage's ru_maxrss carries over the parent's peak across fork and exec (Linux keeps the
# larger), so in a long test session it reported pytest's 1.6 GB, not the child's 0.3 GB.
RUN_LIMITED = """
import re, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from newsqa.cli import main
code = main(sys.argv[1:])
status = open("/proc/self/status").read()
print("maxrss_kb", re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1), file=sys.stderr)
sys.exit(code)
"""


def ingest(*sources: Path, data_dir: Path, limited: bool = False) -> tuple[int, dict, str]:
    command = [sys.executable, "-m", "newsqa"]
    if limited:
        command = [sys.executable, "-c", RUN_LIMITED.format(limit=ADDRESS_SPACE)]
    result = subprocess.run(
        [*command, "--data-dir", str(data_dir), "ingest", *map(str, sources), "--json", "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    summary = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.returncode, summary, result.stderr


def write_gzip_of(path: Path, block: bytes, total: int, tail: bytes = b"") -> None:
    """A gzip file of `total` bytes of `block` repeated, written without holding them."""
    with gzip.open(path, "wb", compresslevel=1) as handle:
        for _ in range(total // len(block)):
            handle.write(block)
        handle.write(tail)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "files"
    folder.mkdir()
    line = b"{}\n"
    (folder / "empty-records.jsonl").write_bytes(line * (25 * 1024 * 1024 // len(line)))
    good = (json.dumps(GOOD) + "\n").encode()
    # One 2 GB line in 2 MB, and 2 GB of blank lines in 2 MB, each with a good record after.
    write_gzip_of(folder / "one-line.jsonl.gz", b"x" * 2**20, 2 * 1024**3, b"\n" + good)
    write_gzip_of(folder / "blank-lines.jsonl.gz", b"\n" * 2**20, 2 * 1024**3, good)
    # A 60 MB line, not compressed, then a good record that must still be read.
    with (folder / "long-line.jsonl").open("wb") as handle:
        handle.write(b'{"text": "' + b"y" * (60 * 2**20) + b'"}\n' + good)
    return folder


def test_hostile_exports_stay_within_memory_and_the_rest_lands(hostile: Path, tmp_path: Path):
    code, summary, stderr = ingest(hostile, data_dir=tmp_path / "data", limited=True)
    assert code == 1, stderr  # failures, named: not a crash
    assert "Traceback" not in stderr and "MemoryError" not in stderr
    maxrss_mb = int(stderr.split("maxrss_kb")[1].split()[0]) / 1024
    assert maxrss_mb < MAX_RSS_MB, f"peak memory {maxrss_mb:.0f} MB"

    lines = 25 * 1024 * 1024 // 3
    by_reason = summary["failed_by_reason"]
    assert by_reason[next(r for r in by_reason if r.startswith("no text field"))] == lines
    assert len(summary["failed"]) == 100  # the first ones in full, the rest counted
    failed = {Path(f["item"]).name: f["reason"] for f in summary["failed"]}
    assert summary["failed_total"] == lines + 4
    assert by_reason["record is over the 25 MB limit; skipped"] == 2
    too_large = [r for r in by_reason if r.startswith("decompresses to over")]
    assert len(too_large) == 1 and "not a news export" in too_large[0]
    assert by_reason[too_large[0]] == 2  # both bombs stopped by the ratio cap
    assert summary["added"] == 1  # the good record after the long plain line
    assert "empty-records.jsonl:1" in failed


def test_the_app_keeps_only_the_latest_progress(hostile: Path, settings) -> None:
    """An upload of a big export of bad records: the page gets a bounded number of updates,
    each the latest, and the report counts every failure (one event per record used to be
    queued: 2.5 GB)."""
    from vectorstore.store import NewsStore
    from webapp.handlers import NewsApp

    small = hostile.parent / "some-empty.jsonl"
    small.write_bytes(b"{}\n" * 200_000)
    app = NewsApp(settings, store=NewsStore(settings))
    frames = list(app.add_articles([str(small)], ""))
    assert len(frames) < 200  # a few a second, not one per record
    report = frames[-1][0]
    assert "200000 failed" in report and "more, by reason" in report


def test_a_stray_byte_is_replaced_and_counted_not_a_reason_to_re_decode(tmp_path: Path):
    folder = tmp_path / "news"
    folder.mkdir()
    data = GERMAN.encode("utf-8")
    cut = data.index(b"Minuten")
    (folder / "tram.txt").write_bytes(data[:cut] + b"\xff" + data[cut:])
    text = (
        "Der Stadtrat hat über die Gebühren für Müllabfuhr entschieden. Ab Januar zahlen "
        "Haushalte fünf Euro mehr im Jahr; die Grünen stimmten dagegen. Zweite Lesung folgt."
    )
    record = json.dumps({"title": "Gebühren steigen", "text": text}, ensure_ascii=False)
    raw = record.encode("utf-8")
    cut = raw.index(b"Zweite")
    (folder / "export.jsonl").write_bytes(raw[:cut] + b"\xfe" + raw[cut:] + b"\n")
    # A file that really is cp1252 is still read as cp1252.
    (folder / "legacy.txt").write_bytes(
        "Süße Grüße aus Köln\n\nDie Bäckerei öffnet größer und schöner.".encode("cp1252")
    )
    code, summary, stderr = ingest(folder, data_dir=tmp_path / "data")
    assert code == 0, stderr
    assert summary["added"] == 3
    assert summary["replaced_chars"] == 2
    assert sorted(Path(p).name for p in summary["replaced_in"]) == ["export.jsonl:1", "tram.txt"]

    from core.settings import Settings
    from vectorstore.store import NewsStore

    store = NewsStore(Settings(_env_file=None, data_dir=tmp_path / "data"))
    texts = {a.title: a.text for a in store.list_articles()}
    store.close()
    assert "Die neue Straßenbahn ist größer" in texts["Größe der Straßenbahn"]
    assert "zehn \ufffdMinuten" in texts["Größe der Straßenbahn"]
    assert "Ã" not in "".join(texts.values())
    assert "Die Bäckerei öffnet größer" in texts["Süße Grüße aus Köln"]

    table = subprocess.run(
        [sys.executable, "-m", "newsqa", "--data-dir", str(tmp_path / "data2")]
        + ["ingest", str(folder / "tram.txt"), "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "replaced 1 byte sequence(s)" in table.stdout and "tram.txt" in table.stdout


def test_a_nul_in_a_record_is_not_stored(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    record = {**GOOD, "title": "Ferry\u0000 back", "source": "Port\u0000 News"}
    record["text"] = GOOD["text"].replace("Monday", "Mon\u0000day")
    (folder / "export.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    code, summary, stderr = ingest(folder, data_dir=tmp_path / "data")
    assert code == 0 and summary["added"] == 1, stderr

    from core.settings import Settings
    from vectorstore.store import NewsStore

    store = NewsStore(Settings(_env_file=None, data_dir=tmp_path / "data"))
    (article,) = store.list_articles()
    store.close()
    assert "\x00" not in article.text + article.title + article.source
    assert "said on Monday" in article.text and article.source == "Port News"
