"""Chunks to the sentence units the dense index embeds (see `SentenceUnit`).

Sentences come from the same splitter the chunker uses, applied inside each chunk, so a unit
never crosses a chunk's edge and stays within the embedding model's limit whenever its chunk
does. A sentence in the overlap of two chunks is embedded once and points at both.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.ids import chunk_id
from core.records import Chunk, SentenceUnit
from core.sentences import split_sentences

# A sentence of fewer words ("Foto: dpa.", "Ja.", a dateline) says too little to be matched on
# its own: it is joined to the next sentence of its chunk, or to the previous one at the end.
MIN_WORDS = 4


def _joined(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    carry: int | None = None  # start of short sentences waiting for the next one
    for start, end in spans:
        if carry is not None:
            start, carry = carry, None
        if len(text[start:end].split()) < MIN_WORDS:
            carry = start
            continue
        out.append((start, end))
    if carry is not None:
        last_end = spans[-1][1]
        if out:
            out[-1] = (out[-1][0], last_end)
        else:
            out.append((carry, last_end))
    return out


def unit_id(article_id: str, index: int, first_chunk: int, last_chunk: int) -> str:
    """`<article id>:s<index>:<first chunk>-<last chunk>`. The id names the chunks, so a dense
    search needs no metadata from Chroma to map a sentence to its chunks (fetching metadata was
    three quarters of the search time)."""
    return f"{article_id}:s{index}:{first_chunk}-{last_chunk}"


def chunk_ids_of(unit: str) -> list[str]:
    """The ids of the chunks a sentence unit's id names."""
    article, _, span = unit.split(":")
    first, last = span.split("-")
    return [chunk_id(article, i) for i in range(int(first), int(last) + 1)]


def sentence_units(chunks: Sequence[Chunk]) -> list[SentenceUnit]:
    """The sentence units of one article's chunks, in text order."""
    if not chunks:
        return []
    holders: dict[tuple[int, int], list[int]] = {}  # article span -> chunk indexes
    texts: dict[tuple[int, int], str] = {}
    for chunk in chunks:
        for start, end in _joined(chunk.text, split_sentences(chunk.text)):
            span = (chunk.start + start, chunk.start + end)
            holders.setdefault(span, []).append(chunk.index)
            texts[span] = chunk.text[start:end]
    first = chunks[0]
    return [
        SentenceUnit(
            id=unit_id(first.article_id, index, min(holders[span]), max(holders[span])),
            article_id=first.article_id,
            index=index,
            text=texts[span],
            start=span[0],
            end=span[1],
            first_chunk=min(holders[span]),
            last_chunk=max(holders[span]),
            date=first.date,
            source=first.source,
            language=first.language,
        )
        for index, span in enumerate(sorted(holders))
    ]
