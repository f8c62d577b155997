"""The two records that ingest produces: an `Article` and its `Chunk`s."""

from __future__ import annotations

import datetime

from pydantic import BaseModel, Field


class ArticleRef(BaseModel):
    """What names an article wherever a piece of it travels: a chunk, a passage, a citation."""

    title: str
    # `datetime.date`, not `date`: the field name would shadow the type in the annotation.
    date: datetime.date | None = None
    source: str = ""  # publisher or site name; the file name when nothing better is known
    url: str | None = None
    language: str = "und"  # ISO 639-1, "und" when undetected


class Article(ArticleRef):
    """One cleaned news article.

    `id` derives from the cleaned content (title + text), so the same article ingested twice has
    the same id. `origin` names where it came from (a file path, `file.jsonl:17`, a URL, or the
    export's own id) and is what lets a changed version replace the old one.
    """

    id: str
    text: str
    authors: list[str] = Field(default_factory=list)
    origin: str = ""
    # Characters of the source that were not valid in its encoding and became U+FFFD: the
    # ingest summary reports them. Not stored.
    replaced_chars: int = 0


class Chunk(ArticleRef):
    """A token-bounded, sentence-aligned piece of an article.

    Invariant: `text == article.text[start:end]`, so a citation can highlight the exact span.
    The article's metadata is copied in so that a search hit is self-contained.
    """

    id: str  # f"{article_id}:{index}"
    article_id: str
    index: int
    text: str
    start: int
    end: int
    token_count: int


class Failure(BaseModel):
    """An item that could not be ingested, and why. Reported and skipped; the rest still lands."""

    item: str  # the file, `export.jsonl:17`, feed entry or URL
    reason: str


class SentenceUnit(BaseModel):
    """One vector in the dense index: a sentence of a chunk (a very short one joined to its
    neighbour), with the chunks that hold it.

    A question usually matches one sentence; a whole chunk's vector blurs that sentence with
    its neighbours, which is what ranks the paragraph next to the right one first. So the index
    holds sentence vectors and a chunk scores as its best sentence (vectorstore/store.py).
    Invariant: `text == article.text[start:end]`.
    """

    id: str  # f"{article_id}:s{index}:{first_chunk}-{last_chunk}" (ingest/units.py)
    article_id: str
    index: int
    text: str
    start: int
    end: int
    first_chunk: int  # the chunks (by index) that contain this span, an unbroken range
    last_chunk: int
    date: datetime.date | None = None
    source: str = ""
    language: str = "und"
