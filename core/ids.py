"""Content-derived identifiers: the same article text always gets the same id."""

from __future__ import annotations

import hashlib
import unicodedata


def _canonical(text: str) -> str:
    # NFKC and collapsed whitespace, so that a re-scrape differing only in spacing or in
    # composed/decomposed umlauts is recognised as the same article.
    return " ".join(unicodedata.normalize("NFKC", text).split())


def article_id(title: str, text: str) -> str:
    """16 hex characters of a sha256 over the normalised title and text."""
    payload = _canonical(title) + "\n" + _canonical(text)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def chunk_id(article_id: str, index: int) -> str:
    return f"{article_id}:{index}"
