"""Start-up of `newsqa ask --backend extractive`: the wall time of whole runs, median of N.

Ingests samples/ into a temporary data folder once, runs one unmeasured ask (it fills the
caches a warm machine has: the unpacked language classifier, the tokenizer's ranks, the page
cache), then N measured ones. `--repo` measures another checkout with this interpreter (a
`git worktree` of an older commit gives the "before" figure side by side with "after").

Usage: .venv/bin/python bench/startup.py [--runs 5] [--repo ../old-checkout] [--repo .]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTION = "How many soldiers are expected?"


def _newsqa(repo: Path, data_dir: Path, *args: str) -> float:
    # Run from the checkout itself: `python -m newsqa` then imports that checkout's code.
    env = {**os.environ, "NEWSQA_DATA_DIR": str(data_dir), "PYTHONPATH": str(repo)}
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "newsqa", *args], cwd=repo, env=env, capture_output=True, text=True
    )
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"newsqa {' '.join(args)} failed in {repo}:\n{done.stderr}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repo", type=Path, action="append", default=None)
    args = parser.parse_args()
    repos = [path.resolve() for path in args.repo or [REPO]]
    ask = ("ask", "--backend", "extractive", QUESTION)
    times: dict[Path, list[float]] = {repo: [] for repo in repos}
    with tempfile.TemporaryDirectory(prefix="newsqa-startup-") as tmp:
        data = {repo: Path(tmp) / str(n) for n, repo in enumerate(repos)}
        for repo in repos:
            _newsqa(repo, data[repo], "ingest", str(REPO / "samples"))
            _newsqa(repo, data[repo], *ask)  # fills what a warm machine has cached
        # Rounds alternate between the checkouts: a busy moment of the machine hits all alike.
        for _ in range(args.runs):
            for repo in repos:
                times[repo].append(_newsqa(repo, data[repo], *ask))
    for repo, taken in times.items():
        print(
            f"{repo}: newsqa ask --backend extractive, median of {len(taken)}: "
            f"{statistics.median(taken):.2f} s (min {min(taken):.2f}, max {max(taken):.2f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
