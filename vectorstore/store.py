"""`NewsStore`: the one object the rest of the code talks to about stored news.

It keeps three things in step: the Chroma collection (one dense vector per sentence unit,
computed here and passed in, never by Chroma), the article store (SQLite: full articles, origins,
chunk texts; the source of truth) and the BM25 lexical index (rebuilt lazily whenever the article
store's generation moved on since it was built).

Chunks are what the rest of the code retrieves; the dense side scores a chunk by its best
sentence (`search_vector`), which on XQuAD put the right paragraph first for 0.92 of English
questions over German text, against 0.88 with one vector per chunk (bench/retrieval.py).
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings

from core.errors import NewsqaError
from core.records import Article, Chunk, SentenceUnit
from core.settings import Settings
from vectorstore.docstore import ArticleMeta, DocStore
from vectorstore.embeddings import embedding_model_id, make_embeddings
from vectorstore.lexical import LexicalIndex
from vectorstore.units import chunk_ids_of, sentence_units
from vectorstore.writelock import WriteLock

MODEL_KEY = "embedding_model"
# What one record of the collection stands for. Collections from before sentence vectors hold
# one record per chunk and lack the key; their vectors cannot be searched the new way.
UNIT_KEY = "vector_unit"
UNIT = "sentence"
# Sentence results fetched per chunk wanted: a chunk has five to seven sentence units, and the
# best ones of a good chunk tend to come together.
SENTENCES_PER_CHUNK = 4
# Opening a store takes a second; a process waits this long for others opening theirs.
_OPEN_WAIT_S = 120.0
# Chroma caps the records of one call; far above the embedding batches written here.
_CHROMA_BATCH = 2000


class EmbeddingModelMismatch(NewsqaError, RuntimeError):
    """The collection's vectors come from another embedding model than this run's."""


class StoreFormatMismatch(NewsqaError, RuntimeError):
    """The collection was written by an older newsqa, in a layout this one cannot search."""


@dataclass(frozen=True)
class SearchFilter:
    sources: tuple[str, ...] | None = None
    languages: tuple[str, ...] | None = None
    date_from: date | None = None
    date_to: date | None = None
    # Whether articles without a date pass. A date range leaves them out whatever this says;
    # without one, they pass unless this is False (an "as of" question may want them out).
    undated: bool = True

    @property
    def empty(self) -> bool:
        return not (
            self.sources or self.languages or self.date_from or self.date_to or not self.undated
        )

    def accepts(self, meta: ArticleMeta) -> bool:
        """The predicate `where()` gives Chroma, for the lexical side."""
        if self.sources and meta.source not in self.sources:
            return False
        if self.languages and meta.language not in self.languages:
            return False
        if meta.date is None and not self.undated:
            return False
        if self.date_from and (meta.date is None or meta.date < self.date_from):
            return False
        return not (self.date_to and (meta.date is None or meta.date > self.date_to))

    def accepts_article(self, article: Article) -> bool:
        return self.accepts(ArticleMeta(article.source, article.language, article.date))

    def where(self) -> dict[str, Any] | None:
        """This filter as a Chroma `where` clause (None when it filters nothing)."""
        clauses: list[dict[str, Any]] = []
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.languages:
            clauses.append({"language": {"$in": list(self.languages)}})
        if self.date_from:
            clauses.append({"date_int": {"$gte": date_int(self.date_from)}})
        if self.date_to:
            clauses.append({"date_int": {"$lte": date_int(self.date_to)}})
        if not self.undated and not (self.date_from or self.date_to):
            clauses.append({"date_int": {"$gte": 0}})  # undated units have no date_int
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    # Higher is better: for dense, the cosine similarity of the chunk's best sentence; for
    # lexical, the BM25 score.
    score: float


@dataclass
class CorpusStats:
    articles: int
    chunks: int
    sentences: int = 0  # dense vectors: one per sentence unit
    sources: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    date_min: date | None = None
    date_max: date | None = None
    embedding_model: str = ""


def date_int(day: date) -> int:
    """yyyymmdd as an int: Chroma compares numbers, not date strings."""
    return day.year * 10000 + day.month * 100 + day.day


def unit_metadata(unit: SentenceUnit) -> dict[str, str | int]:
    """What a sentence record carries besides its id (which names its chunks): its span in the
    article, and the fields that deletes and search filters test. Its text stays in the article
    store: Chroma would index it for full-text search, which nothing here uses, at a quarter of
    the write time."""
    meta: dict[str, str | int] = {
        "article_id": unit.article_id,
        "start": unit.start,
        "end": unit.end,
        "source": unit.source,
        "language": unit.language,
    }
    if unit.date:
        # Left out for undated articles, so that a date range never matches them.
        meta["date_int"] = date_int(unit.date)
    return meta


class StoreUnavailable(NewsqaError, RuntimeError):
    """The Chroma server cannot be reached, or did not answer in time."""

    exit_code = 1


def _server_error(url: str, timeout_s: float, exc: BaseException) -> StoreUnavailable:
    if isinstance(exc, httpx.TimeoutException):
        return StoreUnavailable(
            f"the Chroma server at {url} did not answer within {timeout_s:g} s "
            "(NEWSQA_CHROMA_TIMEOUT_S): is it running, and not stopped or overloaded?"
        )
    reason = str(exc).removeprefix("[Errno 111] ") or type(exc).__name__
    return StoreUnavailable(
        f"cannot reach the Chroma server at {url} ({reason.lower()}): start it "
        "(`chroma run --path DIR`) or correct NEWSQA_CHROMA_URL"
    )


class _ServerCall:
    """Runs calls to a Chroma server so that a hung or absent server becomes one sentence
    naming it, not a traceback ending in "[Errno 111]" or a wait without end."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self.url, self.timeout_s = url, timeout_s

    def __call__(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except httpx.TransportError as exc:
            raise _server_error(self.url, self.timeout_s, exc) from exc


class _GuardedCollection:
    """A Chroma collection whose every method call goes through a `_ServerCall`."""

    def __init__(self, collection: Any, call: _ServerCall) -> None:
        self._collection, self._call = collection, call

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._collection, name)
        if not callable(value):
            return value
        return lambda *args, **kwargs: self._call(value, *args, **kwargs)


def _chroma_client(settings: Settings) -> Any:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if not url.hostname:
            raise ValueError(f"chroma_url {settings.chroma_url!r} has no host")
        base = settings.chroma_url.rstrip("/")
        timeout = settings.chroma_timeout_s
        # chromadb's client talks to the server while it is made, with no timeout: ask first.
        try:
            httpx.get(f"{base}/api/v2/heartbeat", timeout=timeout, trust_env=False)
        except httpx.TransportError as exc:
            raise _server_error(base, timeout, exc) from exc
        try:
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except ValueError as exc:  # "Could not connect to a Chroma server"
            raise _server_error(base, timeout, exc) from exc
        # Its HTTP session has no timeout either (chromadb 1.x); give it ours.
        session = getattr(getattr(client, "_server", None), "_session", None)
        if isinstance(session, httpx.Client):
            session.timeout = httpx.Timeout(timeout)
        return client
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


class NewsStore:
    def __init__(self, settings: Settings, embeddings: Embeddings | None = None) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self.model_id: str = getattr(embeddings, "model_id", "") or embedding_model_id(settings)
        self._lock = threading.RLock()

        name = settings.collection
        self.lexical = LexicalIndex(settings.data_dir / "lexical" / name)
        self._meta_cache: tuple[int, dict[str, ArticleMeta]] | None = None
        self._write_lock = WriteLock(
            settings.data_dir / "articles" / f"{name}.lock", name, settings.write_wait_s
        )
        # SQLite and Chroma set up new files without regard for other processes ("database is
        # locked", "table collections already exists" when two start on a fresh folder), so
        # stores are opened one at a time; it takes a second.
        opening = WriteLock(settings.data_dir / "open.lock", name, _OPEN_WAIT_S)
        with opening.hold():
            self.docstore = DocStore(settings.data_dir / "articles" / f"{name}.sqlite3")
            if self.docstore.get_meta("store_id") is None:
                self.docstore.set_meta("store_id", uuid.uuid4().hex)
            self._client = _chroma_client(settings)
            call = _ServerCall(settings.chroma_url or "", settings.chroma_timeout_s)
            collection = call(
                self._client.get_or_create_collection,
                name,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={MODEL_KEY: self.model_id, UNIT_KEY: UNIT},
                embedding_function=None,
            )
            if settings.chroma_url:
                collection = _GuardedCollection(collection, call)
            self.collection = collection
        built_with = (self.collection.metadata or {}).get(MODEL_KEY)
        if (self.collection.metadata or {}).get(UNIT_KEY) != UNIT:
            raise StoreFormatMismatch(
                f"collection {name!r} was written by an older newsqa (one vector per chunk); "
                "this version keeps one per sentence: ingest again into a new --collection "
                f"or after removing {settings.data_dir}"
            )
        if built_with != self.model_id:
            raise EmbeddingModelMismatch(
                f"collection {name!r} was built with {built_with}; this run uses "
                f"{self.model_id}; use another --collection or re-ingest"
            )

    # -- embeddings ---------------------------------------------------------------------------

    @property
    def embeddings(self) -> Embeddings:
        """Loaded on first use: listing or deleting articles needs no model."""
        with self._lock:
            if self._embeddings is None:
                self._embeddings = make_embeddings(self.settings)
                loaded = getattr(self._embeddings, "model_id", self.model_id)
                if loaded != self.model_id:
                    raise EmbeddingModelMismatch(
                        f"collection {self.settings.collection!r} was built with "
                        f"{self.model_id}; this run uses {loaded}; "
                        "use another --collection or re-ingest"
                    )
            return self._embeddings

    # -- write side (the ingest pipeline) -----------------------------------------------------

    @contextlib.contextmanager
    def writing(self, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the collection for writing (re-entrant); every write below takes it too.
        `on_wait` hears once, in a sentence, that another writer has it and this one waits."""
        with self._write_lock.hold(on_wait):
            yield

    def write_vectors(
        self, units: Sequence[SentenceUnit], vectors: Sequence[Sequence[float]]
    ) -> None:
        """Upsert sentence units with their vectors. Deterministic ids make a repeated write a
        no-op."""
        for start in range(0, len(units), _CHROMA_BATCH):
            part = units[start : start + _CHROMA_BATCH]
            self.collection.upsert(
                ids=[u.id for u in part],
                embeddings=[list(v) for v in vectors[start : start + _CHROMA_BATCH]],
                metadatas=[unit_metadata(u) for u in part],
            )

    def add_article(
        self, article: Article, chunks: Sequence[Chunk], signature: bytes = b""
    ) -> None:
        """Store one article end to end (embedding included). The pipeline does the same in
        overlapped stages; this is for single articles (uploads, tests)."""
        units = sentence_units(chunks)
        vectors = self.embeddings.embed_documents([u.text for u in units]) if units else []
        with self.writing():
            self.docstore.put_pending(article, chunks, signature, vectors=len(units))
            if units:
                self.write_vectors(units, vectors)
            self.docstore.mark_complete(article.id, article.origin or f"id:{article.id}")

    def _delete_vectors(self, article_ids: Sequence[str]) -> None:
        for start in range(0, len(article_ids), 100):
            part = list(article_ids[start : start + 100])
            self.collection.delete(where={"article_id": {"$in": part}})

    def sweep(self) -> int:
        """Remove what an interrupted run left half-written; returns how many articles went.

        Every Chroma record's article has a row in the article store (the row is written
        first), so incomplete rows find all leftovers; a count mismatch (say, a damaged
        article store) falls back to comparing every record's article. Runs under the write
        lock, so no incomplete row belongs to a writer that is still at work.
        """
        with self.writing():
            return self._sweep()

    def _sweep(self) -> int:
        leftovers = self.docstore.incomplete_ids()
        if leftovers:
            self._delete_vectors(leftovers)
            self.docstore.remove(leftovers)
        if self.collection.count() != self.docstore.vector_count():
            known = self.docstore.complete_ids()
            stored = self.collection.get(include=[])["ids"]
            unknown = [i for i in stored if i.split(":", 1)[0] not in known]
            for start in range(0, len(unknown), _CHROMA_BATCH):
                self.collection.delete(ids=unknown[start : start + _CHROMA_BATCH])
        return len(leftovers)

    def delete_articles(self, article_ids: Sequence[str]) -> int:
        """Remove articles from Chroma, the article store and (by its stamp) the lexical index."""
        if not article_ids:
            return 0
        with self.writing():
            present = self.docstore.existing_ids(list(article_ids))
            if not present:
                return 0
            # Invisible first: a crash midway leaves incomplete rows for the next sweep.
            self.docstore.mark_incomplete(present)
            self._delete_vectors(present)
            self.docstore.remove(present)
            return len(present)

    # -- read side ----------------------------------------------------------------------------

    def search_dense(self, query: str, k: int, flt: SearchFilter | None = None) -> list[Hit]:
        if k <= 0:
            return []
        return self.search_vector(self.embeddings.embed_query(query), k, flt)

    def search_vector(
        self, vector: Sequence[float], k: int, flt: SearchFilter | None = None
    ) -> list[Hit]:
        """The k chunks whose best sentence is closest to a query vector computed beforehand
        (e.g. embedded in a batch); a chunk's score is that sentence's cosine similarity."""
        total = self.collection.count()
        if k <= 0 or total == 0:
            return []
        wanted = k * SENTENCES_PER_CHUNK
        while True:
            n = min(wanted, total)
            result = self.collection.query(
                query_embeddings=[vector],
                n_results=n,
                where=flt.where() if flt else None,
                include=["distances"],
            )
            best: dict[str, float] = {}  # chunk id -> its best sentence's similarity
            for unit, distance in zip(result["ids"][0], result["distances"][0], strict=True):
                for chunk in chunk_ids_of(unit):
                    best.setdefault(chunk, 1.0 - distance)
            # Fewer distinct chunks than asked for: their sentences crowded the results.
            if len(best) >= k or n >= total or len(result["ids"][0]) < n:
                break
            wanted *= 2
        top = sorted(best.items(), key=lambda item: -item[1])[:k]
        chunks = {c.id: c for c in self.docstore.get_chunks([cid for cid, _ in top])}
        return [Hit(chunks[cid], score) for cid, score in top if cid in chunks]

    def sentence_similarities(
        self, vector: Sequence[float], chunk_ids: Sequence[str]
    ) -> dict[str, list[tuple[int, int, float, list[float]]]]:
        """For each chunk, its sentence units as (start, end, cosine to `vector`, the unit's
        vector scaled to length 1), in article offsets: the stored vectors, read back, so that
        choosing a passage's sentences, and later comparing an answer's sentence with them,
        costs no embedding of the passages at question time."""
        out: dict[str, list[tuple[int, int, float, list[float]]]] = {c: [] for c in chunk_ids}
        articles = sorted({c.rsplit(":", 1)[0] for c in chunk_ids})
        if not articles:
            return out
        found = self.collection.get(
            where={"article_id": {"$in": articles}}, include=["embeddings", "metadatas"]
        )
        query = np.asarray(vector, dtype=np.float32)
        query_norm = float(np.linalg.norm(query)) or 1.0
        for unit, embedding, meta in zip(
            found["ids"], found["embeddings"], found["metadatas"], strict=True
        ):
            chunks = [c for c in chunk_ids_of(unit) if c in out]
            if not chunks:
                continue
            vec = np.asarray(embedding, dtype=np.float32)
            vec = vec / (float(np.linalg.norm(vec)) or 1.0)
            cosine = float(vec @ query) / query_norm
            for chunk in chunks:
                out[chunk].append((int(meta["start"]), int(meta["end"]), cosine, vec.tolist()))
        for spans in out.values():
            spans.sort(key=lambda unit: unit[:2])
        return out

    def refresh_lexical(self) -> bool:
        """Bring the BM25 index in step with the article store now; True if it was rebuilt.

        Searches do this on their own when needed; ingest and delete call it so that the
        first question after them does not wait for the rebuild.
        """
        with self._lock:
            stamp = self.stamp
            if self.lexical.stamp == stamp:
                return False
            self.lexical.rebuild(self.docstore.chunk_texts(), stamp)
            return True

    def _current_lexical(self) -> LexicalIndex:
        self.refresh_lexical()
        return self.lexical

    @property
    def stamp(self) -> str:
        """Names the article store's current content: changes whenever articles come or go."""
        return f"{self.docstore.get_meta('store_id')}:{self.docstore.generation}"

    def _article_meta(self) -> dict[str, ArticleMeta]:
        generation = self.docstore.generation
        if self._meta_cache is None or self._meta_cache[0] != generation:
            self._meta_cache = (generation, self.docstore.article_meta())
        return self._meta_cache[1]

    def _allowed(self, flt: SearchFilter | None) -> Callable[[str], bool] | None:
        if flt is None or flt.empty:
            return None
        metas = self._article_meta()

        def allowed(chunk_id: str) -> bool:
            meta = metas.get(chunk_id.rsplit(":", 1)[0])
            return meta is not None and flt.accepts(meta)

        return allowed

    def search_lexical(self, query: str, k: int, flt: SearchFilter | None = None) -> list[Hit]:
        index = self._current_lexical()
        found = index.search(query, k, self._allowed(flt))
        chunks = {c.id: c for c in self.docstore.get_chunks([chunk_id for chunk_id, _ in found])}
        return [Hit(chunks[cid], score) for cid, score in found if cid in chunks]

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        return self.docstore.get_chunks(chunk_ids)

    def get_article(self, article_id: str) -> Article | None:
        return self.docstore.get_article(article_id)

    def list_articles(self, flt: SearchFilter | None = None) -> list[Article]:
        articles = self.docstore.articles()
        if flt is None or flt.empty:
            return articles
        return [a for a in articles if flt.accepts_article(a)]

    def stats(self) -> CorpusStats:
        articles, chunks = self.docstore.counts()
        date_min, date_max = self.docstore.date_range()
        return CorpusStats(
            articles=articles,
            chunks=chunks,
            sentences=self.docstore.vector_count(),
            sources=self.docstore.group_counts("source"),
            languages=self.docstore.group_counts("language"),
            date_min=date_min,
            date_max=date_max,
            embedding_model=self.model_id,
        )

    def vector_count(self) -> int:
        """Records in the Chroma collection: one per sentence unit of a stored article."""
        return self.collection.count()

    def close(self) -> None:
        self.docstore.close()


def drop_collection(settings: Settings) -> None:
    """Remove a collection whole: its Chroma records, article store and BM25 index. For
    collections that are caches of a corpus (the evaluator's), never for a user's own."""
    client = _chroma_client(settings)
    if settings.collection in {c.name for c in client.list_collections()}:
        client.delete_collection(settings.collection)
    paths = data_paths(settings)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{paths['articles']}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(paths["lexical"], ignore_errors=True)


def data_paths(settings: Settings) -> dict[str, Path]:
    """Where a collection's parts live (for docs and `newsqa stats`)."""
    name = settings.collection
    return {
        "chroma": settings.chroma_dir,
        "articles": settings.data_dir / "articles" / f"{name}.sqlite3",
        "lexical": settings.data_dir / "lexical" / name,
    }
