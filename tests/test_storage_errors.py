"""Every command on a full disk: one line that says so and what to do, never a traceback, and
nothing stored is lost. The disk is a real 48 MB tmpfs filled to the last byte (mounting one
needs root; the test says so and skips where it cannot)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
LATER = """Night trains return to the coast

The regional night train to the coast runs again from Friday, the operator said, after two
years without it. Tickets cost 39 euros, and the train leaves the capital at 23:10.
"""


def newsqa(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsqa", "--data-dir", str(data_dir), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NEWSQA_LLM_BACKEND": "extractive"},
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Write until the disk takes no more, down to the last byte."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def test_every_command_on_a_full_disk_says_so_in_one_line(small_disk: Path, tmp_path: Path):
    data = small_disk / "data"
    first = newsqa("ingest", str(SAMPLES), "--quiet", data_dir=data)
    assert first.returncode == 0, first.stderr
    before = json.loads(newsqa("stats", "--json", data_dir=data).stdout)["articles"]
    later = tmp_path / "later.txt"
    later.write_text(LATER, encoding="utf-8")
    filler = fill(small_disk)

    for args, must_fail in (
        (("ingest", str(later), "--quiet"), True),
        (("stats",), False),
        (("list",), False),
        (("ask", "When does the new tram line open?"), False),
        (("delete", "--source", "nowhere"), False),
    ):
        result = newsqa(*args, data_dir=data)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        if must_fail or result.returncode != 0:
            assert result.returncode == 1, (args, result.stdout, result.stderr)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1, (args, lines)
            assert f"the disk holding {data} is full: free some space" in lines[0], args

    filler.unlink()
    assert json.loads(newsqa("stats", "--json", data_dir=data).stdout)["articles"] == before
    again = newsqa("ingest", str(later), "--json", "--quiet", data_dir=data)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["added"] == 1
