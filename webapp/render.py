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

from assistant.backends import BACKENDS
from assistant.models import Answer, Citation, Passage
from assistant.replies import answer_language
from core.language import LANGUAGE_NAMES
from core.markers import find_markers, renumber, renumbering
from core.records import Article
from core.sentences import split_sentences

ArticleLookup = Callable[[str], Article | None]

# How much article text to show around a highlighted span.
CONTEXT_CHARS = 260


def esc(text: object) -> str:
    """Escaped, on one line. Chat messages are Markdown around raw HTML, and a blank line ends
    the HTML: after it, a title's or a source's `**bold**` or `![img](url)` would take effect.
    So no value is ever rendered with a line break of its own (`flat` draws them as <br>)."""
    return html.escape(" ".join(str(text).split()), quote=True)


def flat(text: str) -> str:
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


def answer_body_html(answer: Answer, answer_id: str, shown: dict[int, int] | None = None) -> str:
    """The answer text as safe HTML: markers become links to their source (numbered as
    `shown` says), unsupported sentences are marked, and lists and **bold** are drawn."""
    text = answer.answer
    cited = {c.marker for c in answer.citations}
    shown = _display_numbers(answer) if shown is None else shown
    reasons: list[str] = []
    pieces: list[str] = []
    cursor = 0
    for check in answer.checks:
        sentence = check.sentence
        if not check.shown or check.supported or not sentence.strip():
            continue
        at = text.find(sentence, cursor)
        if at < 0:
            continue
        # Marked with control characters that escaping keeps and the text cannot hold; they
        # become the <span> once the text is escaped and laid out.
        pieces += [text[cursor:at], f"\x01{len(reasons)}\x02", sentence, "\x03"]
        reasons.append(check.reason or "not supported by the cited passages")
        cursor = at + len(sentence)
    pieces.append(text[cursor:])
    html_text = _markdown(
        "".join(pieces), lambda line: _with_markers(line, cited, answer_id, shown)
    )
    html_text = _FLAG_OPEN.sub(
        lambda m: f'<span class="nq-unsupported" title="{esc(reasons[int(m.group(1))])}">',
        html_text,
    )
    return html_text.replace("\x03", "</span>")


_FLAG_OPEN = re.compile("\x01(\\d+)\x02")
_BULLET = re.compile(r"^\s*[-*•]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+(.*)$")


def _markdown(text: str, inline: Callable[[str], str]) -> str:
    """Paragraphs, and "- " or "1. " lines as lists: the little Markdown a model writes. Each
    line goes through `inline` (escaping, markers, bold); no other Markdown takes effect. A
    numbered list needs two lines or more: one line "1. Oktober …" is a German date."""
    blocks: list[str] = []
    raws: list[str] = []  # the lines of the block being gathered, as written
    kind: str | None = None  # "ul" or "ol" while a list is being gathered

    def close() -> None:
        nonlocal kind, raws
        if kind == "ol" and len(raws) < 2:
            kind = None
        if kind is not None:
            pattern = _BULLET if kind == "ul" else _NUMBERED
            items = "".join(f"<li>{inline(pattern.match(raw).group(1))}</li>" for raw in raws)
            blocks.append(f"<{kind}>{items}</{kind}>")
        elif raws:
            blocks.append(f"<p>{'<br>'.join(inline(raw) for raw in raws)}</p>")
        kind, raws = None, []

    for raw in text.splitlines():
        if not raw.strip():
            close()
            continue
        line_kind = "ul" if _BULLET.match(raw) else "ol" if _NUMBERED.match(raw) else None
        if line_kind != kind:
            close()
            kind = line_kind
        raws.append(raw)
    close()
    return "".join(blocks)


def _with_markers(text: str, cited: set[int], answer_id: str, shown: dict[int, int]) -> str:
    """Escaped text whose markers link to their sources; "[1, 2]" becomes two links."""
    if not text:
        return ""
    shown_text = flat(text)  # escaping leaves brackets, digits, commas and asterisks as they are
    # **…** marks the short answer inside a quote (extractive answers): shown in bold.
    shown_text = _BOLD.sub(r"<strong>\1</strong>", shown_text)
    pieces: list[str] = []
    cursor = 0
    for marker in find_markers(shown_text):
        pieces.append(shown_text[cursor : marker.start])
        if any(n in cited for n in marker.numbers):
            pieces.append("".join(_marker_link(n, cited, answer_id, shown) for n in marker.numbers))
        else:
            pieces.append(shown_text[marker.start : marker.end])
        cursor = marker.end
    pieces.append(shown_text[cursor:])
    return "".join(pieces)


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _marker_link(n: int, cited: set[int], answer_id: str, shown: dict[int, int]) -> str:
    number = shown.get(n, n)
    if n not in cited:
        return f"[{number}]"
    return (
        f'<a class="nq-cite" href="#{_source_anchor(answer_id, number)}" '
        f'title="Show source {number}">[{number}]</a>'
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
        return flat(text[: 2 * context])
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
        pieces.append(flat(text[cursor:start]))
        pieces.append(f" <mark>{flat(text[start:end])}</mark> ")
        cursor = end
    pieces.append(flat(text[cursor:right]))
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
            return highlighted_excerpt(passage.text, found) if found else flat(passage.text)
    return f"<mark>{flat(first.span_text)}</mark>"


def _display_numbers(answer: Answer) -> dict[int, int]:
    return renumbering(answer.answer, {c.marker for c in answer.citations})


def _by_marker(answer: Answer, shown: dict[int, int]) -> list[tuple[int, list[Citation]]]:
    """The citations grouped by their display number, in display order."""
    groups: dict[int, list[Citation]] = {}
    for citation in answer.citations:
        groups.setdefault(citation.marker, []).append(citation)
    # A citation the text does not mention (none should be) comes after the mentioned ones.
    extra = {n: len(shown) + i for i, n in enumerate(sorted(set(groups) - set(shown)), start=1)}
    numbers = shown | extra
    return sorted(((numbers[m], cites) for m, cites in groups.items()), key=lambda g: g[0])


def sources_html(
    answer: Answer, answer_id: str, lookup: ArticleLookup, shown: dict[int, int]
) -> str:
    """Compact source cards under the answer: number, title, outlet, date and link, always in
    view; the highlighted passage opens under its card (a marker's click opens it too). A
    passage in another language than the reader's offers a translation when a model answered
    (the page asks for it; see NewsApp.translate)."""
    reader = answer_language(answer.question)
    kind = BACKENDS.get(answer.backend)
    can_translate = kind is not None and kind.translates
    cards = []
    for number, citations in _by_marker(answer, shown):
        citation = citations[0]
        anchor = _source_anchor(answer_id, number)
        offer = ""
        if can_translate and citation.language not in (reader, "", "und"):
            name = LANGUAGE_NAMES[reader]
            # The page reads what to ask for from the hidden span (Gradio strips data-*).
            offer = (
                f'<p class="nq-translate-bar"><a class="nq-translate" href="#{anchor}">'
                f"Translate into {esc(name)}</a>"
                f'<span class="nq-translate-for">{esc(reader)} {esc(answer.backend)}</span></p>'
                '<p class="nq-translation"></p>'
            )
        cards.append(
            f'<li class="nq-source" id="{anchor}"><details>'
            f'<summary><span class="nq-num">{number}</span>'
            f"{_meta_line(citation.title, citation.date, citation.source, citation.url)}</summary>"
            f'<blockquote class="nq-passage">'
            f"{citation_excerpt(citations, answer.passages, lookup)}</blockquote>{offer}"
            "</details></li>"
        )
    if not cards:
        return ""
    return f'<div class="nq-sources"><ol class="nq-source-list">{"".join(cards)}</ol></div>'


def closest_passages_html(passages: Sequence[Passage], limit: int = 3) -> str:
    """The nearest passages of a declined question, one per article, each cut to its sentence
    closest to the question, folded away: they are a lead to follow, not an answer."""
    seen: set[str] = set()
    items = []
    for passage in passages:
        if passage.article_id in seen or len(items) >= limit:
            continue
        seen.add(passage.article_id)
        items.append(
            f'<li class="nq-source">'
            f"{_meta_line(passage.title, passage.date, passage.source, passage.url)}"
            f'<blockquote class="nq-passage">{flat(passage.nearest_sentence(CLOSEST_CHARS))}'
            f"</blockquote></li>"
        )
    if not items:
        return ""
    label = f"Closest passages ({len(items)} article{'' if len(items) == 1 else 's'})"
    return (
        f'<details class="nq-closest"><summary>{label}</summary>'
        f'<ol class="nq-source-list">{"".join(items)}</ol></details>'
    )


# A closest passage is shown as one sentence, cut to about this many characters.
CLOSEST_CHARS = 240


def scope_html(scope: str) -> str:
    """Which articles were searched, when a filter or "as of" narrowed them."""
    if not scope:
        return ""
    return (
        f'<p class="nq-scope">Searched only {esc(scope)}. '
        "Remove a filter above the chat to search all articles.</p>"
    )


def plain_text(answer: Answer, shown: dict[int, int] | None = None) -> str:
    """The answer as plain text for the clipboard: markers as displayed, bold marks dropped,
    the sources as a numbered list of titles and links."""
    shown = _display_numbers(answer) if shown is None else shown
    text = _BOLD.sub(r"\1", renumber(answer.answer, shown)).strip()
    if answer.declined:
        text = "The stored articles do not answer this question."
    lines = [text]
    sources = _by_marker(answer, shown)
    if sources:
        lines.append("")
        lines.append("Sources:")
    for number, citations in sources:
        citation = citations[0]
        details = ", ".join(
            part
            for part in (citation.source, citation.date.isoformat() if citation.date else "")
            if part
        )
        line = f"{number}. {' '.join((citation.title or 'Untitled article').split())}"
        line += f" ({details})" if details else ""
        link = safe_url(citation.url)
        lines.append(f"{line} {link}" if link else line)
    return "\n".join(lines)


def _plain_block(text: str) -> str:
    # Hidden; the copy button copies it. Line breaks are written as entities: a raw blank line
    # would end the message's HTML block.
    body = html.escape(text, quote=True).replace("\n", "&#10;")
    return f'<pre class="nq-plain" aria-hidden="true">{body}</pre>'


def answer_html(
    answer: Answer, lookup: ArticleLookup, answer_id: str | None = None, scope: str = ""
) -> str:
    """The whole assistant message for a finished answer. `scope` names the filters and the
    "as of" day the question was searched under ("" when none)."""
    answer_id = answer_id or new_answer_id()
    if answer.is_chitchat:
        return f'<div class="nq-answer">{flat(answer.answer)}{_plain_block(answer.answer)}</div>'
    if answer.declined:
        # The assistant's own wording ("The articles do not say.") would repeat the notice.
        return (
            f'<div class="nq-answer nq-declined">'
            f'<p class="nq-notice">The stored articles do not answer this question.</p>'
            f"{scope_html(scope)}{closest_passages_html(answer.passages)}"
            f"{_plain_block(plain_text(answer))}</div>"
        )
    shown = _display_numbers(answer)
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
        f'<div class="nq-answer">{answer_body_html(answer, answer_id, shown)}{warning}'
        f"{sources_html(answer, answer_id, lookup, shown)}"
        f"{_plain_block(plain_text(answer, shown))}</div>"
    )


def streaming_html(status: str, text: str) -> str:
    """The message while an answer is being written: a status line and the tokens so far,
    their markers numbered as the finished answer will number them."""
    body = f"<p>{flat(renumber(text, renumbering(text)))}</p>" if text else ""
    return f'<div class="nq-answer nq-streaming"><p class="nq-status">{esc(status)}</p>{body}</div>'


def error_html(message: str) -> str:
    return f'<div class="nq-answer nq-error"><p>{flat(message)}</p></div>'


def user_html(question: str) -> str:
    return f'<div class="nq-question">{flat(question)}</div>'
