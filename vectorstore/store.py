"""CONTRACT STUB (owned by the storage helper; replace the bodies, keep the signatures).

`NewsStore` is the one object the rest of the code talks to about stored news: the Chroma
collection (dense vectors), the article store (full cleaned article texts, origins, chunk texts)
and the BM25 lexical index, kept in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from langchain_core.embeddings import Embeddings

from ingest.models import Article, Chunk
from newsqa.settings import Settings


@dataclass(frozen=True)
class SearchFilter:
    sources: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # higher is better; cosine similarity for dense, BM25 score for lexical


@dataclass
class CorpusStats:
    articles: int
    chunks: int
    sources: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    date_min: date | None = None
    date_max: date | None = None
    embedding_model: str = ""


class NewsStore:
    def __init__(self, settings: Settings, embeddings: Embeddings | None = None) -> None:
        raise NotImplementedError

    # Read side (retrieval, app, eval)
    def search_dense(self, query: str, k: int, flt: SearchFilter | None = None) -> list[Hit]:
        raise NotImplementedError

    def search_lexical(self, query: str, k: int, flt: SearchFilter | None = None) -> list[Hit]:
        raise NotImplementedError

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        raise NotImplementedError

    def get_article(self, article_id: str) -> Article | None:
        raise NotImplementedError

    def list_articles(self, flt: SearchFilter | None = None) -> list[Article]:
        raise NotImplementedError

    def stats(self) -> CorpusStats:
        raise NotImplementedError

    def delete_articles(self, article_ids: Sequence[str]) -> int:
        raise NotImplementedError
