"""Shared fixtures. Benchmark data is read in place from ../shared/bench, never copied."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO.parent / "shared" / "bench"
SAMPLES = REPO / "samples"


@pytest.fixture(scope="session")
def bench_dir() -> Path:
    if not BENCH.is_dir():
        pytest.skip(f"benchmark data not found at {BENCH}")
    return BENCH


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings isolated from the user's environment: a fresh data folder per test.

    The tests' web pages and feeds are served on 127.0.0.1, which a default install refuses to
    fetch; tests/test_fetch_guard.py checks that default."""
    return Settings(_env_file=None, data_dir=tmp_path / "data", fetch_allow_private=True)


@pytest.fixture(scope="session")
def seed_data_dir(bench_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the seed article, ingested once per session. Treat it as read-only."""
    from indexing.pipeline import ingest_sources
    from vectorstore.store import NewsStore

    data_dir = tmp_path_factory.mktemp("seed") / "data"
    seed_settings = Settings(_env_file=None, data_dir=data_dir)
    store = NewsStore(seed_settings)
    report = ingest_sources([bench_dir / "seed" / "corpus.jsonl"], store, seed_settings)
    assert report.ok and report.added == 1, report
    store.close()
    return data_dir


@pytest.fixture(scope="session")
def qwen_model_path() -> Path:
    """The default answer model, joined once from the installed part packages into the user's
    data folder (where `newsqa models pull` puts it, so later runs reuse it)."""
    from assistant.local_model import pull

    return pull(Settings(_env_file=None))
