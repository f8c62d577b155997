"""Articles to token-bounded, sentence-aligned chunks with exact character offsets.

Whole sentences are packed up to `chunk_tokens` tiktoken tokens; consecutive chunks overlap by
whole trailing sentences up to `overlap_tokens`; a sentence longer than a chunk is cut at token
boundaries. The title is metadata, never part of a chunk's text. Each chunk satisfies
`chunk.text == article.text[chunk.start:chunk.end]`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tiktoken

from core.ids import chunk_id
from core.records import Article, Chunk
from core.sentences import split_sentences


@dataclass(frozen=True)
class _Piece:
    """A sentence, or a token-bounded part of an over-long one."""

    start: int
    end: int
    tokens: int


def _count(encoding: tiktoken.Encoding, text: str) -> int:
    return len(encoding.encode_ordinary(text))


def _cut(
    text: str, start: int, end: int, encoding: tiktoken.Encoding, limit: int
) -> list[tuple[int, int]]:
    """Cut text[start:end] at token boundaries into parts of at most `limit` tokens each."""
    tokens = encoding.encode_ordinary(text[start:end])
    if len(tokens) <= limit:
        return [(start, end)]
    decoded, offsets = encoding.decode_with_offsets(tokens)
    if decoded != text[start:end]:
        # Tokens that split a multi-byte character do not map back to offsets; fall back to
        # an even split by characters, which only lets the caller's re-count decide.
        offsets = [round(i * (end - start) / len(tokens)) for i in range(len(tokens))]
    parts: list[tuple[int, int]] = []
    index = 0
    while index < len(tokens):
        step = limit
        while True:
            stop = index + step
            part_end = end if stop >= len(tokens) else start + offsets[stop]
            part_start = start + offsets[index]
            # Re-tokenising a slice can differ from the slice of tokens; shrink until it fits.
            if step == 1 or _count(encoding, text[part_start:part_end]) <= limit:
                break
            step = max(1, step - max(1, step // 10))
        if part_end > part_start:
            parts.append((part_start, part_end))
        index += step
    return parts


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _pieces(text: str, encoding: tiktoken.Encoding, limit: int) -> list[_Piece]:
    """Sentences with their token counts, over-long ones cut into parts of at most `limit`."""
    pieces: list[_Piece] = []
    for sent_start, sent_end in split_sentences(text):
        tokens = len(encoding.encode_ordinary(text[sent_start:sent_end]))
        if tokens <= limit:
            pieces.append(_Piece(sent_start, sent_end, tokens))
            continue
        for start, end in _cut(text, sent_start, sent_end, encoding, limit):
            start, end = _trimmed(text, start, end)
            if start < end:
                pieces.append(_Piece(start, end, _count(encoding, text[start:end])))
    return pieces


def _fits(
    text: str,
    encoding: tiktoken.Encoding,
    chunk_tokens: int,
    max_model_tokens: int | None,
    count_model_tokens: Callable[[str], int] | None,
) -> bool:
    if _count(encoding, text) > chunk_tokens:
        return False
    if max_model_tokens is None or count_model_tokens is None:
        return True
    return count_model_tokens(text) <= max_model_tokens


def chunk_article(
    article: Article,
    encoding: tiktoken.Encoding,
    *,
    chunk_tokens: int,
    overlap_tokens: int,
    max_model_tokens: int | None = None,
    count_model_tokens: Callable[[str], int] | None = None,
) -> list[Chunk]:
    """The article's chunks, in order.

    With `count_model_tokens` and `max_model_tokens`, every chunk is also kept within the
    embedding model's own token limit, so the embedder never silently truncates a chunk.
    """
    if chunk_tokens < 1:
        raise ValueError(f"chunk_tokens must be positive, got {chunk_tokens}")
    if not 0 <= overlap_tokens < chunk_tokens:
        raise ValueError(f"overlap_tokens must be in [0, {chunk_tokens}), got {overlap_tokens}")
    text = article.text
    pieces = _pieces(text, encoding, chunk_tokens)

    def fits(start: int, end: int) -> bool:
        return _fits(text[start:end], encoding, chunk_tokens, max_model_tokens, count_model_tokens)

    spans: list[tuple[int, int]] = []
    first = 0
    fresh = 0  # the first piece not yet in any chunk; pieces before it are overlap
    while first < len(pieces):
        # Greedy: add whole pieces while the estimate (sum of pieces plus one token per
        # separator) stays within budget, then confirm with a real count.
        last = first
        budget = pieces[first].tokens
        while last + 1 < len(pieces) and budget + 1 + pieces[last + 1].tokens <= chunk_tokens:
            last += 1
            budget += 1 + pieces[last].tokens
        last = max(last, fresh)
        while last > first and not fits(pieces[first].start, pieces[last].end):
            # Give up new pieces first, then overlap; a chunk always brings something new.
            if last > fresh:
                last -= 1
            else:
                first += 1
        start, end = pieces[first].start, pieces[last].end
        if last == first and not fits(start, end):
            # A single piece over the embedding model's limit: halve it at token boundaries.
            spans.extend(_split_to_fit(text, start, end, encoding, fits))
        else:
            spans.append((start, end))
        if last + 1 >= len(pieces):
            break
        # Overlap: whole trailing pieces of this chunk, up to overlap_tokens, never all of it.
        next_first = last + 1
        overlap = 0
        while next_first - 1 > first and overlap + pieces[next_first - 1].tokens <= overlap_tokens:
            next_first -= 1
            overlap += pieces[next_first].tokens + 1  # plus the separator between pieces
        # Separators are not always one token; the real count decides.
        while next_first <= last and (
            _count(encoding, text[pieces[next_first].start : pieces[last].end]) > overlap_tokens
        ):
            next_first += 1
        first = next_first
        fresh = last + 1

    return [
        Chunk(
            id=chunk_id(article.id, index),
            article_id=article.id,
            index=index,
            text=text[start:end],
            start=start,
            end=end,
            token_count=_count(encoding, text[start:end]),
            title=article.title,
            date=article.date,
            source=article.source,
            url=article.url,
            language=article.language,
        )
        for index, (start, end) in enumerate(spans)
    ]


def _split_to_fit(
    text: str,
    start: int,
    end: int,
    encoding: tiktoken.Encoding,
    fits: Callable[[int, int], bool],
) -> list[tuple[int, int]]:
    if fits(start, end):
        return [(start, end)]
    tokens = _count(encoding, text[start:end])
    if tokens <= 1:
        return [(start, end)]  # nothing smaller exists; the caller's limit is unsatisfiable
    halves = _cut(text, start, end, encoding, (tokens + 1) // 2)
    spans: list[tuple[int, int]] = []
    for part_start, part_end in halves:
        part_start, part_end = _trimmed(text, part_start, part_end)
        if part_start < part_end:
            spans.extend(_split_to_fit(text, part_start, part_end, encoding, fits))
    return spans
