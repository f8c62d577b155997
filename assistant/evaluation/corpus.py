"""The corpus side of an evaluation: a collection of the corpus' own, and the map from stored
articles back to the ids a question set names in `doc_ids`.

Ingest gives an export record the origin `export:<id>` only when the record has no URL; a
record with a URL is stored under its URL. A near-duplicate record is not stored again but its
origin is mapped to the article kept. So the map goes origin → record id(s), read from the corpus
itself, and one stored article may answer to several record ids.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

EXPORT_ORIGIN = "export:"
RECORD_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".json")


def content_hash(corpus: Path) -> str:
    digest = hashlib.sha256()
    files = sorted(p for p in corpus.rglob("*") if p.is_file()) if corpus.is_dir() else [corpus]
    for f in files:
        digest.update(str(f.relative_to(corpus) if corpus.is_dir() else f.name).encode())
        with f.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def collection_name(corpus: Path, content: str) -> str:
    """`eval-<folder>-<file>-<hash>`: valid for Chroma (alphanumerics, dots, dashes, ≤ 63)."""
    resolved = corpus.resolve()
    stem = resolved.name.split(".")[0]
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", f"{resolved.parent.name}-{stem}").strip("-")[:40]
    return f"eval-{slug or 'corpus'}-{content[:10]}"


def _record_files(corpus: Path) -> list[Path]:
    if corpus.is_file():
        return [corpus]
    return sorted(p for p in corpus.rglob("*") if p.name.endswith(RECORD_SUFFIXES))


def _records(path: Path) -> Iterator[Any]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        if path.name.endswith(".json"):
            data = json.load(fh)
            yield from data if isinstance(data, list) else data.get("articles", [])
            return
        for line in fh:
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue  # ingest reports that line; it can hold no gold document


def record_ids_by_origin(corpus: Path) -> dict[str, list[str]]:
    """For each origin ingest would give a corpus record, the record ids behind it."""
    out: dict[str, list[str]] = {}
    for path in _record_files(corpus):
        for record in _records(path):
            if not isinstance(record, dict) or record.get("id") in (None, ""):
                continue
            rid = str(record["id"]).strip()
            url = str(record.get("url") or "").strip()
            out.setdefault(url or f"{EXPORT_ORIGIN}{rid}", []).append(rid)
    return out


def doc_ids_by_article(
    origins: Iterable[tuple[str, str]], ids_by_origin: Mapping[str, list[str]] | None = None
) -> dict[str, list[str]]:
    """article id → the question set's doc ids, from (origin, stored article id) pairs."""
    ids_by_origin = ids_by_origin or {}
    mapping: dict[str, set[str]] = {}
    for origin, article_id in origins:
        ids = ids_by_origin.get(origin)
        if ids is None and origin.startswith(EXPORT_ORIGIN):
            ids = [origin[len(EXPORT_ORIGIN) :]]
        if ids:
            mapping.setdefault(article_id, set()).update(ids)
    return {k: sorted(v) for k, v in mapping.items()}


def store_origins(store: Any) -> list[tuple[str, str]]:
    """(origin, article id) for every stored article, duplicates' origins included."""
    docstore = getattr(store, "docstore", None)
    if docstore is not None and hasattr(docstore, "origins"):
        return [(origin, rec.article_id) for origin, rec in docstore.origins().items()]
    return [(a.origin, a.id) for a in store.list_articles()]
