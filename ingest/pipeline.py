"""CONTRACT STUB (owned by the storage/pipeline helper; replace the bodies, keep the signatures)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.models import Failure
from newsqa.settings import Settings
from vectorstore.store import NewsStore


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # near-identical copies of an article already stored
    chunks_added: int = 0
    failed: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class Progress:
    articles_done: int
    articles_total: int | None
    chunks_done: int
    elapsed_s: float


def ingest_sources(
    sources: Sequence[str | Path],
    store: NewsStore,
    settings: Settings,
    on_progress: Callable[[Progress], None] | None = None,
) -> IngestReport:
    """Load, clean, chunk, embed and store every article the sources hold."""
    raise NotImplementedError
