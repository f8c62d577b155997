"""Shared fixtures. Benchmark data is read in place from ../shared/bench, never copied."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsqa.settings import Settings

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
    """Settings isolated from the user's environment: a fresh data folder per test."""
    return Settings(_env_file=None, data_dir=tmp_path / "data")
