"""HTML for the chat: answers with clickable [n] markers, their sources panel, and notices.

Everything that came from an article, a URL or a model is escaped here, in one place. The HTML
goes into Gradio's Chatbot, which reads messages as Markdown: an HTML block stays raw only up to
the first blank line, so nothing rendered here ever contains one.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import date
from urllib.parse import urlparse

from assistant.models import Answer, Citation, Passage
from core.markers import find_markers
from core.records import Article
from core.sentences import split_sentences

ArticleLookup = Callable[[str], Article | None]

# How much article text to show around a highlighted span.
CONTEXT_CHARS = 260


def esc(text: object) -> str:
    """Escaped, on one line. Chat messages are Markdown around raw HTML, and a blank line ends
    the HTML: after it, a title's or a source's `**bold**` or `![img](url)` would take effect.
    So no value is ever rendered with a line break of its own (`_flat` draws them as <br>)."""
    return html.escape(" ".join(str(text).split()), quote=True)


def _flat(text: str) -> str:
    """Escaped text with line breaks as <br>, so the HTML block never holds a blank line."""
    lines = [esc(line) for line in str(text).strip().splitlines()]
    return "<br>".join(line for line in lines if line)


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) link, else None (no javascript:, data:, ...)."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    if parsed.scheme.lower() in ("http", "https") and parsed.netloc:
        return url.strip()
    return None


def new_answer_id() -> str:
    return uuid.uuid4().hex[:10]


def _source_anchor(answer_id: str, marker: int) -> str:
    return f"nq-{answer_id}-{marker}"


def answer_body_html(answer: Answer, answer_id: str) -> str:
    """The answer text: markers become links to their source, unsupported sentences are marked."""
    text = answer.answer
    cited = {c.marker for c in answer.citations}
    flagged = [
        (c.sentence, c.reason or "not supported by the cited passages")
        for c in answer.checks
        if c.shown and not c.supported and c.sentence.strip()
    ]
    pieces: list[str] = []
    cursor = 0
    for sentence, reason in flagged:
        at = text.find(sentence, cursor)
        if at < 0:
            continue
        pieces.append(_with_markers(text[cursor:at], cited, answer_id))
        pieces.append(
            f'<span class="nq-unsupported" title="{esc(reason)}">'
            f"{_with_markers(sentence, cited, answer_id)}</span>"
        )
        cursor = at + len(sentence)
    pieces.append(_with_markers(text[cursor:], cited, answer_id))
    return "".join(pieces)


def _with_markers(text: str, cited: set[int], answer_id: str) -> str:
    """Escaped text whose markers link to their sources; "[1, 2]" becomes two links."""
    if not text:
        return ""
    flat = _flat(text)  # escaping leaves brackets, digits, commas and asterisks as they are
    # **…** marks the short answer inside a quote (extractive answers): shown in bold.
    flat = _BOLD.sub(r"<strong>\1</strong>", flat)
    pieces: list[str] = []
    cursor = 0
    for marker in find_markers(flat):
        pieces.append(flat[cursor : marker.start])
        if any(n in cited for n in marker.numbers):
            pieces.append("".join(_marker_link(n, cited, answer_id) for n in marker.numbers))
        else:
            pieces.append(flat[marker.start : marker.end])
        cursor = marker.end
    pieces.append(flat[cursor:])
    return "".join(pieces)


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _marker_link(n: int, cited: set[int], answer_id: str) -> str:
    if n not in cited:
        return f"[{n}]"
    return (
        f'<a class="nq-cite" href="#{_source_anchor(answer_id, n)}" '
        f'title="Show source {n}">[{n}]</a>'
    )


def _meta_line(title: str, day: date | None, source: str, url: str | None) -> str:
    parts = [f'<span class="nq-title">{esc(title or "Untitled article")}</span>']
    details = [esc(day.isoformat()) if day else "undated"]
    if source:
        details.append(esc(source))
    link = safe_url(url)
    if link:
        host = urlparse(link).netloc
        details.append(
            f'<a href="{esc(link)}" target="_blank" rel="noopener noreferrer">{esc(host)}</a>'
        )
    parts.append(f'<span class="nq-meta">{" · ".join(details)}</span>')
    return "".join(parts)


def _start_boundary(text: str, sentences: Sequence[tuple[int, int]], left: int, limit: int) -> int:
    """Where to open an excerpt near `left`: at a sentence start if one is in [left, limit),
    else after a space, so it never opens mid-word."""
    if left == 0:
        return 0
    starts = [start for start, _ in sentences if left <= start < limit]
    if starts:
        return starts[0]
    space = text.find(" ", left, limit)
    return space + 1 if space >= 0 else left


def _end_boundary(text: str, sentences: Sequence[tuple[int, int]], limit: int, right: int) -> int:
    """Where to close an excerpt near `right`: after the last sentence end in (limit, right],
    else at a space."""
    if right >= len(text):
        return len(text)
    ends = [end for _, end in sentences if limit < end <= right]
    if ends:
        return ends[-1]
    space = text.rfind(" ", limit, right)
    return space if space >= 0 else right


def highlighted_excerpt(
    text: str, spans: Sequence[tuple[int, int]], context: int = CONTEXT_CHARS
) -> str:
    """The spans of `text` in <mark>, with some text either side, escaped."""
    clean = sorted(
        (max(0, min(s, len(text))), max(0, min(e, len(text)))) for s, e in spans if e > s
    )
    if not clean:
        return _flat(text[: 2 * context])
    merged: list[tuple[int, int]] = []
    for start, end in clean:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    left = max(0, merged[0][0] - context)
    right = min(len(text), merged[-1][1] + context)
    sentences = split_sentences(text)
    left = _start_boundary(text, sentences, left, merged[0][0])
    right = _end_boundary(text, sentences, merged[-1][1], right)
    pieces = ["… " if left > 0 else ""]
    cursor = left
    for start, end in merged:
        pieces.append(_flat(text[cursor:start]))
        pieces.append(f" <mark>{_flat(text[start:end])}</mark> ")
        cursor = end
    pieces.append(_flat(text[cursor:right]))
    pieces.append(" …" if right < len(text) else "")
    return re.sub(r" {2,}", " ", "".join(pieces)).strip()


def citation_excerpt(
    citations: Sequence[Citation], passages: Sequence[Passage], lookup: ArticleLookup
) -> str:
    """The supporting spans in their article (or, if the article is gone, in the passage)."""
    first = citations[0]
    article = lookup(first.article_id)
    spans = [(c.span_start, c.span_end) for c in citations if c.article_id == first.article_id]
    if article is not None and any(end > start for start, end in spans):
        return highlighted_excerpt(article.text, spans)
    for passage in passages:
        if passage.chunk_id == first.chunk_id:
            found = []
            for citation in citations:
                at = passage.text.find(citation.span_text) if citation.span_text else -1
                if at >= 0:
                    found.append((at, at + len(citation.span_text)))
            return highlighted_excerpt(passage.text, found) if found else _flat(passage.text)
    return f"<mark>{_flat(first.span_text)}</mark>"


def sources_html(answer: Answer, answer_id: str, lookup: ArticleLookup) -> str:
    """The collapsible list of cited sources, one entry per marker, span highlighted."""
    by_marker: dict[int, list[Citation]] = {}
    for citation in answer.citations:
        by_marker.setdefault(citation.marker, []).append(citation)
    if not by_marker:
        return ""
    items = []
    for marker in sorted(by_marker):
        citations = by_marker[marker]
        citation = citations[0]
        items.append(
            f'<li class="nq-source" id="{_source_anchor(answer_id, marker)}">'
            f'<span class="nq-num">[{marker}]</span>'
            f"{_meta_line(citation.title, citation.date, citation.source, citation.url)}"
            f'<blockquote class="nq-passage">'
            f"{citation_excerpt(citations, answer.passages, lookup)}</blockquote></li>"
        )
    count = len(items)
    label = f"{count} source" + ("" if count == 1 else "s")
    return (
        f'<details class="nq-sources"><summary>{label}</summary>'
        f'<ol class="nq-source-list">{"".join(items)}</ol></details>'
    )


def closest_passages_html(passages: Sequence[Passage], limit: int = 3) -> str:
    if not passages:
        return ""
    items = []
    for passage in list(passages)[:limit]:
        items.append(
            f'<li class="nq-source">'
            f"{_meta_line(passage.title, passage.date, passage.source, passage.url)}"
            f'<blockquote class="nq-passage">{_flat(passage.context or passage.text)}'
            f"</blockquote></li>"
        )
    return (
        f'<details class="nq-sources" open><summary>Closest passages</summary>'
        f'<ol class="nq-source-list">{"".join(items)}</ol></details>'
    )


def answer_html(answer: Answer, lookup: ArticleLookup, answer_id: str | None = None) -> str:
    """The whole assistant message for a finished answer."""
    answer_id = answer_id or new_answer_id()
    if answer.is_chitchat:
        return f'<div class="nq-answer">{_flat(answer.answer)}</div>'
    if answer.declined:
        # The assistant's own wording ("The articles do not say.") would repeat the notice.
        return (
            f'<div class="nq-answer nq-declined">'
            f'<p class="nq-notice">The stored articles do not answer this question.</p>'
            f"{closest_passages_html(answer.passages)}</div>"
        )
    unsupported = sum(1 for c in answer.checks if c.shown and not c.supported)
    warning = (
        f'<p class="nq-warning">{unsupported} sentence'
        f"{' is' if unsupported == 1 else 's are'} not supported by the cited passages "
        "(underlined).</p>"
        if unsupported
        else ""
    )
    left_out = sum(1 for c in answer.checks if not c.shown)
    if left_out:
        what = "the model's answer was" if answer.replaced else f"{left_out} sentence(s) were"
        warning += (
            f'<p class="nq-notice">Checked against the passages: {what} left out '
            f"({esc(answer.replaced or 'not backed by any passage')}).</p>"
        )
    return (
        f'<div class="nq-answer"><p>{answer_body_html(answer, answer_id)}</p>{warning}'
        f"{sources_html(answer, answer_id, lookup)}</div>"
    )


def streaming_html(status: str, text: str) -> str:
    """The message while an answer is being written: a status line and the tokens so far."""
    body = f"<p>{_flat(text)}</p>" if text else ""
    return f'<div class="nq-answer nq-streaming"><p class="nq-status">{esc(status)}</p>{body}</div>'


def error_html(message: str) -> str:
    return f'<div class="nq-answer nq-error"><p>{_flat(message)}</p></div>'


def user_html(question: str) -> str:
    return f'<div class="nq-question">{_flat(question)}</div>'
