"""The article store: SQLite, the source of truth for what is stored.

It holds the full cleaned articles (for citation spans and `newsqa list`), where each came from
(origins, so a changed file replaces its old version and a syndicated copy maps to the article
already stored), the chunk texts (for the lexical index and `get_chunks`) and each article's
near-duplicate signature.

An article is `complete` only once its chunks are in Chroma; anything else is swept away at the
next start, which is what makes a killed ingest safe to rerun. In Chroma server mode this file
still lives locally in data_dir: the server holds vectors only.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.errors import NewsqaError
from core.records import Article, Chunk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    date TEXT,
    source TEXT NOT NULL,
    url TEXT,
    language TEXT NOT NULL,
    authors TEXT NOT NULL,
    signature BLOB,
    complete INTEGER NOT NULL DEFAULT 0,
    vectors INTEGER NOT NULL DEFAULT 0  -- its records in Chroma (sentence units)
);
CREATE TABLE IF NOT EXISTS origins (
    origin TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,   -- the stored (canonical) article this origin resolves to
    content_id TEXT NOT NULL    -- the id of the content last seen at this origin
);
CREATE INDEX IF NOT EXISTS origins_article ON origins(article_id);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    article_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    token_count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id, idx);
"""


class StoreConflict(NewsqaError, RuntimeError):
    """A write found the store changed under it (a writer that did not hold the lock)."""

    exit_code = 1


@dataclass(frozen=True)
class OriginRecord:
    article_id: str
    content_id: str


@dataclass(frozen=True)
class ArticleMeta:
    """What a search filter needs to know about an article, without its text."""

    source: str
    language: str
    date: date | None


def _article(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"],
        title=row["title"],
        text=row["text"],
        date=date.fromisoformat(row["date"]) if row["date"] else None,
        source=row["source"],
        url=row["url"],
        language=row["language"],
        authors=json.loads(row["authors"]),
    )


class DocStore:
    """One SQLite file per collection. Safe to share between threads (one lock, WAL)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL under WAL survives a killed process (only power loss can drop the last commits).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        columns = {r["name"] for r in self._db.execute("PRAGMA table_info(articles)")}
        if "vectors" not in columns:  # a file from before sentence vectors
            self._db.execute("ALTER TABLE articles ADD COLUMN vectors INTEGER NOT NULL DEFAULT 0")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # -- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """Bumped by every change of the complete set of articles; stamps derived indexes."""
        value = self.get_meta("generation")
        return int(value) if value else 0

    @staticmethod
    def _bump(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta(key, value) VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    # -- writes -------------------------------------------------------------------------------

    def put_pending(
        self, article: Article, chunks: Sequence[Chunk], signature: bytes, vectors: int = 0
    ) -> None:
        """Write an article and its chunks as not yet complete (before its `vectors` records
        go to Chroma)."""
        with self.transaction() as db:
            db.execute("DELETE FROM chunks WHERE article_id = ?", (article.id,))
            db.execute(
                "INSERT OR REPLACE INTO articles"
                "(id, title, text, date, source, url, language, authors, signature, complete,"
                " vectors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                (
                    article.id,
                    article.title,
                    article.text,
                    article.date.isoformat() if article.date else None,
                    article.source,
                    article.url,
                    article.language,
                    json.dumps(article.authors, ensure_ascii=False),
                    signature,
                    vectors,
                ),
            )
            db.executemany(
                'INSERT INTO chunks(id, article_id, idx, text, start, "end", token_count)'
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (c.id, c.article_id, c.index, c.text, c.start, c.end, c.token_count)
                    for c in chunks
                ],
            )

    def mark_complete(self, article_id: str, origin: str, replaces: str | None = None) -> bool:
        """The article's chunks are in Chroma: make it visible and point its origin at it.

        A replaced older version is marked incomplete in the same transaction, so from here on
        it is invisible and a crash before its removal leaves it for the sweep. Returns whether
        it was retired (False when another origin still resolves to it).
        """
        retired = False
        with self.transaction() as db:
            found = db.execute("UPDATE articles SET complete = 1 WHERE id = ?", (article_id,))
            if found.rowcount != 1:
                # Its row went while its vectors were written: completing it would point the
                # origin at nothing and leave the vectors orphaned. Fail loudly instead.
                raise StoreConflict(
                    f"article {article_id} ({origin}) was removed from the article store "
                    "while it was being written; ingest it again"
                )
            db.execute(
                "INSERT OR REPLACE INTO origins(origin, article_id, content_id) VALUES (?, ?, ?)",
                (origin, article_id, article_id),
            )
            if replaces and replaces != article_id:
                still_used = db.execute(
                    "SELECT 1 FROM origins WHERE article_id = ? LIMIT 1", (replaces,)
                ).fetchone()
                if not still_used:
                    db.execute("UPDATE articles SET complete = 0 WHERE id = ?", (replaces,))
                    retired = True
            self._bump(db)
        return retired

    def map_origin(self, origin: str, article_id: str, content_id: str) -> None:
        """Record that `origin` holds a copy (`content_id`) of the stored `article_id`."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO origins(origin, article_id, content_id) VALUES (?, ?, ?)",
                (origin, article_id, content_id),
            )

    def mark_incomplete(self, article_ids: Iterable[str]) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE articles SET complete = 0 WHERE id = ?", [(a,) for a in article_ids]
            )
            self._bump(db)

    def remove(self, article_ids: Iterable[str]) -> None:
        """Delete articles, their chunks and every origin that resolves to them."""
        ids = [(a,) for a in article_ids]
        with self.transaction() as db:
            db.executemany("DELETE FROM chunks WHERE article_id = ?", ids)
            db.executemany("DELETE FROM origins WHERE article_id = ?", ids)
            db.executemany("DELETE FROM articles WHERE id = ?", ids)
            self._bump(db)

    # -- reads --------------------------------------------------------------------------------

    def incomplete_ids(self) -> list[str]:
        return [r["id"] for r in self._query("SELECT id FROM articles WHERE complete = 0")]

    def origins(self) -> dict[str, OriginRecord]:
        rows = self._query(
            "SELECT o.origin, o.article_id, o.content_id FROM origins o "
            "JOIN articles a ON a.id = o.article_id WHERE a.complete = 1"
        )
        return {r["origin"]: OriginRecord(r["article_id"], r["content_id"]) for r in rows}

    def complete_ids(self) -> set[str]:
        return {r["id"] for r in self._query("SELECT id FROM articles WHERE complete = 1")}

    def signatures(self) -> list[tuple[str, bytes]]:
        rows = self._query(
            "SELECT id, signature FROM articles WHERE complete = 1 AND signature IS NOT NULL"
        )
        return [(r["id"], r["signature"]) for r in rows]

    def get_article(self, article_id: str) -> Article | None:
        rows = self._query("SELECT * FROM articles WHERE id = ? AND complete = 1", (article_id,))
        return _article(rows[0]) if rows else None

    def articles(self) -> list[Article]:
        rows = self._query(
            "SELECT * FROM articles WHERE complete = 1 ORDER BY date DESC, title, id"
        )
        return [_article(r) for r in rows]

    def article_meta(self) -> dict[str, ArticleMeta]:
        rows = self._query("SELECT id, source, language, date FROM articles WHERE complete = 1")
        return {
            r["id"]: ArticleMeta(
                r["source"], r["language"], date.fromisoformat(r["date"]) if r["date"] else None
            )
            for r in rows
        }

    def ids_by_source(self, sources: Sequence[str]) -> list[str]:
        marks = ",".join("?" * len(sources))
        rows = self._query(f"SELECT id FROM articles WHERE source IN ({marks})", list(sources))
        return [r["id"] for r in rows]

    def existing_ids(self, article_ids: Sequence[str]) -> list[str]:
        marks = ",".join("?" * len(article_ids))
        rows = self._query(f"SELECT id FROM articles WHERE id IN ({marks})", list(article_ids))
        return [r["id"] for r in rows]

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        """The chunks of complete articles among `chunk_ids`, in the order asked for."""
        found: dict[str, Chunk] = {}
        ids = list(dict.fromkeys(chunk_ids))
        for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self._query(
                'SELECT c.id, c.article_id, c.idx, c.text, c.start, c."end", c.token_count,'
                " a.title, a.date, a.source, a.url, a.language FROM chunks c"
                " JOIN articles a ON a.id = c.article_id"
                f" WHERE a.complete = 1 AND c.id IN ({marks})",
                part,
            )
            for r in rows:
                found[r["id"]] = Chunk(
                    id=r["id"],
                    article_id=r["article_id"],
                    index=r["idx"],
                    text=r["text"],
                    start=r["start"],
                    end=r["end"],
                    token_count=r["token_count"],
                    title=r["title"],
                    date=date.fromisoformat(r["date"]) if r["date"] else None,
                    source=r["source"],
                    url=r["url"],
                    language=r["language"],
                )
        return [found[c] for c in chunk_ids if c in found]

    def chunk_texts(self) -> list[tuple[str, str, str]]:
        """(chunk_id, text, language) of every chunk of a complete article, in the order the
        articles were stored (BM25 and the ingest benchmark read them)."""
        rows = self._query(
            "SELECT c.id, c.text, a.language FROM chunks c JOIN articles a ON a.id = c.article_id"
            " WHERE a.complete = 1 ORDER BY a.rowid, c.idx"
        )
        return [(r["id"], r["text"], r["language"]) for r in rows]

    def get_chunk_ids_complete(self) -> list[str]:
        rows = self._query(
            "SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE a.complete = 1"
        )
        return [r["id"] for r in rows]

    def counts(self) -> tuple[int, int]:
        """(complete articles, their chunks)."""
        rows = self._query(
            "SELECT (SELECT COUNT(*) FROM articles WHERE complete = 1) AS a,"
            " (SELECT COUNT(*) FROM chunks c JOIN articles a ON a.id = c.article_id"
            "  WHERE a.complete = 1) AS c"
        )
        return rows[0]["a"], rows[0]["c"]

    def vector_count(self) -> int:
        """The Chroma records the complete articles should have."""
        rows = self._query("SELECT COALESCE(SUM(vectors), 0) AS n FROM articles WHERE complete = 1")
        return rows[0]["n"]

    def group_counts(self, column: str) -> dict[str, int]:
        if column not in ("source", "language"):
            raise ValueError(f"cannot group articles by {column!r}")
        rows = self._query(
            f"SELECT {column} AS k, COUNT(*) AS n FROM articles WHERE complete = 1"
            f" GROUP BY {column} ORDER BY n DESC, k"
        )
        return {r["k"]: r["n"] for r in rows}

    def date_range(self) -> tuple[date | None, date | None]:
        row = self._query(
            "SELECT MIN(date) AS lo, MAX(date) AS hi FROM articles WHERE complete = 1"
        )[0]
        lo, hi = row["lo"], row["hi"]
        return (date.fromisoformat(lo) if lo else None, date.fromisoformat(hi) if hi else None)
