"""Sources → articles → chunks → vectors → the store, incrementally and safely.

For every loaded article the pipeline first decides, from what is already stored, whether there
is anything to do:

- unchanged: its origin was ingested before with the same content id; nothing is chunked or
  embedded, which is what makes a re-ingest cheap;
- updated: the origin holds new content; the new version is stored, then the old one retired;
- duplicate: the same content id, or a near-identical text (MinHash), is already stored under
  another origin; only the origin → stored-article mapping is recorded;
- new: chunked, cut into sentence units (the dense index's records, see ingest/units.py) and
  handed to the embedding stage.

Embedding is the slowest step by far, so it runs in a background thread (the model's C code
releases the GIL) while this thread loads, cleans, chunks and writes pending rows. Each article
is written to the article store as incomplete first, its vectors are upserted under
deterministic ids, and only then is it marked complete: a killed run leaves incomplete rows,
which the sweep at the start of the next run removes along with their vectors. A run holds the
collection's write lock throughout (vectorstore/writelock.py), so the rows that sweep meets are
never those of another run still at work.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.records import Article, Chunk, Failure, SentenceUnit
from core.settings import Settings
from core.tokens import get_encoding
from ingest.chunking import chunk_article
from ingest.dedup import DuplicateFinder, signature
from ingest.loaders import load_sources
from vectorstore.docstore import OriginRecord
from vectorstore.store import NewsStore
from vectorstore.units import sentence_units

# Embedding batches waiting for the background thread: enough to keep it busy, few enough
# that a fast loader does not pile up chunk texts in memory.
_QUEUE_BATCHES = 4
# What a report keeps of its failures and repairs: the first ones in full, the rest as counts.
# A 25 MB export of empty records is 8 million failures; keeping each one took 4 GB.
KEPT_ITEMS = 100
_KEPT_REASONS = 20
_PROGRESS_EVERY_S = 0.1


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # near-identical copies of an article already stored
    chunks_added: int = 0
    sentences_added: int = 0  # dense vectors written: the embedding work this run did
    failed: list[Failure] = field(default_factory=list)  # the first KEPT_ITEMS
    failed_count: int = 0
    # Failures by reason (the first _KEPT_REASONS reasons; the rest under "other reasons").
    failed_by_reason: dict[str, int] = field(default_factory=dict)
    # Characters that were not valid in their file's encoding and became U+FFFD, and the first
    # KEPT_ITEMS items that had any.
    replaced_chars: int = 0
    replaced_in: list[str] = field(default_factory=list)
    # The titles of the first KEPT_ITEMS articles added or updated, for the summary a person
    # reads ("what did I just add?").
    titles: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failed_count == 0

    def add_failure(self, failure: Failure) -> None:
        self.failed_count += 1
        if len(self.failed) < KEPT_ITEMS:
            self.failed.append(failure)
        reason = failure.reason
        if reason not in self.failed_by_reason and len(self.failed_by_reason) >= _KEPT_REASONS:
            reason = "other reasons"
        self.failed_by_reason[reason] = self.failed_by_reason.get(reason, 0) + 1

    def add_title(self, title: str) -> None:
        if len(self.titles) < KEPT_ITEMS:
            self.titles.append(title or "Untitled article")

    def add_replaced(self, item: str, count: int) -> None:
        self.replaced_chars += count
        if len(self.replaced_in) < KEPT_ITEMS:
            self.replaced_in.append(item)


@dataclass(frozen=True)
class Progress:
    # No total: sources are read as a stream (a feed, a 2 GB export), never counted first.
    articles_done: int
    chunks_done: int
    elapsed_s: float


@dataclass
class _Pending:
    article: Article
    origin: str
    chunks: list[Chunk]
    units: list[SentenceUnit]
    replaces: str | None


class _EmbedWriter:
    """The background stage: embed sentence units in exact batches, upsert them into Chroma,
    and mark each article complete once all of its units are there.

    Batches cut across article boundaries, so the model always gets `batch_size` texts at a
    time (as when it encodes a plain list) and only the run's very last batch is short.
    """

    def __init__(
        self,
        store: NewsStore,
        batch_size: int,
        write_batch: int,
        on_stored: Callable[[int, int], None],
    ) -> None:
        self.store = store
        self.embeddings = store.embeddings
        self.batch_size = max(1, batch_size)
        # Vectors go to Chroma many embedding batches at a time (`vector_write_batch`): a
        # sentence index has some seven records per chunk, and Chroma pays per call.
        self.write_batch = max(1, write_batch)
        self.on_stored = on_stored
        self.error: BaseException | None = None
        self.retired: list[str] = []  # old versions replaced, to be removed
        self._queue: queue.Queue[list[_Pending] | None] = queue.Queue(maxsize=_QUEUE_BATCHES)
        self._stop = threading.Event()
        self._waiting: deque[_Pending] = deque()  # in submission order
        self._unwritten: dict[str, int] = {}  # article id -> units not yet in Chroma
        self._units: list[SentenceUnit] = []  # submitted, not yet embedded, in order
        self._embedded: list[SentenceUnit] = []  # embedded, not yet in Chroma
        self._vectors: list[list[float]] = []
        self._thread = threading.Thread(target=self._run, name="ingest-embed", daemon=True)
        self._thread.start()

    def submit(self, batch: list[_Pending] | None) -> None:
        while True:
            self.raise_if_failed()
            try:
                self._queue.put(batch, timeout=0.2)
                return
            except queue.Full:
                continue

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error

    def finish(self) -> None:
        """Wait until every submitted article is stored."""
        self.submit(None)
        self._thread.join()
        self.raise_if_failed()

    def abort(self) -> None:
        """Stop after the batch in hand; what was not stored stays incomplete for the sweep."""
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self._thread.join(timeout=60)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                batch = self._queue.get()
                if batch is None:
                    if not self._stop.is_set():
                        self._write(everything=True)
                    return
                for item in batch:
                    self._waiting.append(item)
                    self._unwritten[item.article.id] = len(item.units)
                    self._units.extend(item.units)
                self._write(everything=False)
        except BaseException as exc:  # handed to the main thread, which re-raises it
            self.error = exc

    def _write(self, everything: bool) -> None:
        while self._units and (everything or len(self._units) >= self.batch_size):
            if self._stop.is_set():
                return
            batch, self._units = self._units[: self.batch_size], self._units[self.batch_size :]
            self._vectors.extend(self.embeddings.embed_documents([u.text for u in batch]))
            self._embedded.extend(batch)
            if len(self._embedded) >= self.write_batch:
                self._store_vectors()
        if everything:
            self._store_vectors()
        self._complete()

    def _store_vectors(self) -> None:
        if not self._embedded:
            return
        self.store.write_vectors(self._embedded, self._vectors)
        for unit in self._embedded:
            self._unwritten[unit.article_id] -= 1
        self._embedded, self._vectors = [], []
        self._complete()

    def _complete(self) -> None:
        done = chunks = 0
        while self._waiting and self._unwritten[self._waiting[0].article.id] == 0:
            item = self._waiting.popleft()
            del self._unwritten[item.article.id]
            if self.store.docstore.mark_complete(item.article.id, item.origin, item.replaces):
                # Already invisible; removed by the run's own thread, which holds the write
                # lock (a crash before that leaves it incomplete, for the sweep).
                self.retired.append(item.replaces)  # type: ignore[arg-type]
            done += 1
            chunks += len(item.chunks)
        if done:
            self.on_stored(done, chunks)


class _Ingest:
    """One run's state: what is stored, what this run decided, the counters."""

    def __init__(
        self,
        store: NewsStore,
        settings: Settings,
        on_progress: Callable[[Progress], None] | None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.on_progress = on_progress
        self.report = IngestReport()
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._articles_done = 0
        self._chunks_done = 0
        self._next_progress = 0.0

        store.sweep()
        docstore = store.docstore
        self.origins: dict[str, OriginRecord] = docstore.origins()
        self.stored: set[str] = docstore.complete_ids()
        self.finder = DuplicateFinder(settings.near_duplicate_threshold, docstore.signatures())
        self.embeddings = store.embeddings
        self.encoding = get_encoding(settings.tokenizer, settings.tiktoken_cache_dir)
        self.batch: list[_Pending] = []
        self.batch_units = 0
        self.writer = self._new_writer()

    def _new_writer(self) -> _EmbedWriter:
        return _EmbedWriter(
            self.store,
            self.settings.embedding_batch_size,
            self.settings.vector_write_batch,
            self._stored,
        )

    # -- progress -----------------------------------------------------------------------------

    def _stored(self, articles: int, chunks: int) -> None:
        self._advance(articles, chunks)

    def _advance(self, articles: int, chunks: int = 0, last: bool = False) -> None:
        with self._lock:
            self._articles_done += articles
            self._chunks_done += chunks
            now = time.monotonic()
            # At most every _PROGRESS_EVERY_S: nobody reads faster, and a call per failed
            # record of a big export cost more than reading the record.
            if self.on_progress is None or (now < self._next_progress and not last):
                return
            self._next_progress = now + _PROGRESS_EVERY_S
            self.on_progress(Progress(self._articles_done, self._chunks_done, now - self.started))

    # -- decisions ----------------------------------------------------------------------------

    def take(self, article: Article) -> None:
        origin = article.origin or f"id:{article.id}"
        if article.replaced_chars:
            self.report.add_replaced(origin, article.replaced_chars)
        known = self.origins.get(origin)
        if known is not None and known.content_id == article.id:
            self.report.unchanged += 1
            self._advance(1)
            return
        replaces = known.article_id if known is not None else None

        canonical: str | None = article.id if article.id in self.stored else None
        sig = signature(article.text)
        if canonical is None:
            near = self.finder.find(sig, exclude=replaces)
            canonical = near[0] if near else None
        if canonical is not None:
            self._map_copy(origin, canonical, article.id, replaces)
            return

        try:
            chunks = chunk_article(
                article,
                self.encoding,
                chunk_tokens=self.settings.chunk_tokens,
                overlap_tokens=self.settings.chunk_overlap_tokens,
                max_model_tokens=getattr(self.embeddings, "max_tokens", None),
                count_model_tokens=self._model_counter(),
            )
        except ValueError as exc:
            self.report.add_failure(Failure(item=origin, reason=f"cannot be chunked: {exc}"))
            self._advance(1)
            return

        units = sentence_units(chunks)
        self.store.docstore.put_pending(article, chunks, sig, vectors=len(units))
        self.finder.add(article.id, sig)
        if replaces is not None:
            self.finder.discard(replaces)
            self.report.updated += 1
        else:
            self.report.added += 1
        self.report.add_title(article.title)
        self.report.chunks_added += len(chunks)
        self.report.sentences_added += len(units)
        self.stored.add(article.id)
        self.origins[origin] = OriginRecord(article.id, article.id)
        self.batch.append(_Pending(article, origin, chunks, units, replaces))
        self.batch_units += len(units)
        if self.batch_units >= self.settings.embedding_batch_size:
            self._flush()

    def _model_counter(self) -> Callable[[str], int] | None:
        count = getattr(self.embeddings, "count_tokens", None)
        if count is None or getattr(self.embeddings, "max_tokens", None) is None:
            return None
        return count

    def _map_copy(self, origin: str, canonical: str, content_id: str, replaces: str | None) -> None:
        """`origin` now holds a copy of a stored article: point it there."""
        self.store.docstore.map_origin(origin, canonical, content_id)
        self.origins[origin] = OriginRecord(canonical, content_id)
        if replaces == canonical:
            # The origin went back to content that is already stored under that very article.
            self.report.updated += 1
        elif replaces is not None:
            # Its old version may be one this run has not stored yet: let the writer catch up.
            self._flush()
            self._finish_writer()
            self.writer = self._new_writer()
            if not any(r.article_id == replaces for r in self.origins.values()):
                self.store.delete_articles([replaces])
                self.stored.discard(replaces)
                self.finder.discard(replaces)
            self.report.updated += 1
        else:
            self.report.duplicates += 1
        self._advance(1)

    def fail(self, failure: Failure) -> None:
        self.report.add_failure(failure)
        self._advance(1)

    def _flush(self) -> None:
        if self.batch:
            self.writer.submit(self.batch)
            self.batch, self.batch_units = [], 0

    def _finish_writer(self) -> None:
        self.writer.finish()
        if self.writer.retired:
            self.store.delete_articles(self.writer.retired)

    def finish(self) -> IngestReport:
        self._flush()
        self._finish_writer()
        self._advance(0, last=True)
        self.report.seconds = time.monotonic() - self.started
        return self.report


def ingest_sources(
    sources: Sequence[str | Path],
    store: NewsStore,
    settings: Settings,
    on_progress: Callable[[Progress], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> IngestReport:
    """Load, clean, chunk, embed and store every article the sources hold.

    The run holds the collection's write lock from its sweep to its last article; `on_wait`
    hears when it has to wait for another writer first."""
    with store.writing(on_wait):
        return _run(sources, store, settings, on_progress)


def _run(
    sources: Sequence[str | Path],
    store: NewsStore,
    settings: Settings,
    on_progress: Callable[[Progress], None] | None,
) -> IngestReport:
    run = _Ingest(store, settings, on_progress)
    try:
        for item in load_sources(sources, settings):
            run.writer.raise_if_failed()
            if isinstance(item, Failure):
                run.fail(item)
            else:
                run.take(item)
        return run.finish()
    except BaseException:
        run.writer.abort()
        raise
