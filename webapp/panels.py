"""HTML for the side panel (corpus figures, backend status) and the ingest summary."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.backends import BackendStatus
from core.records import Article, Failure
from indexing.pipeline import IngestReport, Progress
from vectorstore.store import CorpusStats
from webapp.render import esc, flat


def corpus_html(stats: CorpusStats) -> str:
    if stats.articles == 0:
        return '<div class="nq-corpus"><p>No articles stored yet: add some below.</p></div>'
    span = "undated"
    if stats.date_min and stats.date_max:
        span = f"{stats.date_min.isoformat()} – {stats.date_max.isoformat()}"
    languages = ", ".join(f"{esc(k)} {v}" for k, v in sorted(stats.languages.items()))
    return (
        '<div class="nq-corpus"><dl>'
        f"<dt>Articles</dt><dd>{stats.articles:,}</dd>"
        f"<dt>Sources</dt><dd>{len(stats.sources):,}</dd>"
        f"<dt>Dates</dt><dd>{esc(span)}</dd>"
        f"<dt>Languages</dt><dd>{languages or '–'}</dd>"
        "</dl></div>"
    )


def status_html(status: BackendStatus) -> str:
    css = "nq-ok" if status.ready else "nq-bad"
    word = "ready" if status.ready else "not available"
    return f'<p class="nq-backend {css}"><b>{word}</b>: {esc(status.detail)}</p>'


def progress_html(progress: Progress | None, note: str) -> str:
    """The ingest's latest progress, or a note (what it reads, that it waits) in its place."""
    if progress is None or note:
        return f'<p class="nq-progress">{esc(note)}</p>'
    return (
        f'<p class="nq-progress">Ingesting: {progress.articles_done} articles, '
        f"{progress.chunks_done} passages, {progress.elapsed_s:.0f} s</p>"
    )


def _failures(failed: Sequence[Failure]) -> str:
    if not failed:
        return ""
    items = "".join(
        f'<li><span class="nq-item">{esc(f.item)}</span>: {esc(f.reason)}</li>' for f in failed
    )
    return f'<p>Not added:</p><ul class="nq-failed">{items}</ul>'


def report_html(report: IngestReport | None, rejected: Sequence[Failure]) -> str:
    failed = list(rejected) + (list(report.failed) if report else [])
    if report is None:
        return f'<div class="nq-report nq-bad">{_failures(failed) or "Nothing to add."}</div>'
    total = len(rejected) + report.failed_count
    css = "nq-ok" if not total else "nq-bad"
    counts = (
        f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.duplicates} duplicates, {total} failed"
    )
    more = ""
    if report.failed_count > len(report.failed):
        reasons = "".join(
            f"<li>{count} × {esc(reason)}</li>" for reason, count in report.failed_by_reason.items()
        )
        more = (
            f"<p>… and {report.failed_count - len(report.failed)} more, by reason:</p>"
            f'<ul class="nq-failed">{reasons}</ul>'
        )
    replaced = ""
    if report.replaced_chars:
        replaced = (
            f'<p class="nq-replaced">{report.replaced_chars} byte sequence(s) that were not valid '
            f"text replaced with \ufffd in: {esc(', '.join(report.replaced_in[:5]))}</p>"
        )
    return (
        f'<div class="nq-report {css}"><p><b>{esc(counts)}</b> '
        f"({report.chunks_added} passage{'' if report.chunks_added == 1 else 's'}, "
        f"{report.seconds:.1f} s)</p>{_titles(report)}{_failures(failed)}{more}{replaced}</div>"
    )


def _titles(report: IngestReport) -> str:
    if not report.titles:
        return ""
    items = "".join(f"<li>{esc(title)}</li>" for title in report.titles)
    more = report.added + report.updated - len(report.titles)
    tail = f"<li>… and {more} more</li>" if more > 0 else ""
    return f'<p>Added or updated:</p><ul class="nq-added">{items}{tail}</ul>'


def articles_html(rows: Sequence[Article], total: int) -> str:
    """The stored articles as a table (newest first): title, outlet, date, language and id."""
    if not rows:
        return '<p class="nq-empty">No articles stored yet.</p>'
    body = "".join(
        f"<tr><td>{esc(r.title or 'Untitled article')}</td><td>{esc(r.source)}</td>"
        f"<td>{esc(r.date.isoformat() if r.date else 'undated')}</td><td>{esc(r.language)}</td>"
        f'<td class="nq-id">{esc(r.id)}</td></tr>'
        for r in rows
    )
    shown = f"{len(rows):,} of {total:,}" if total > len(rows) else f"{total:,}"
    return (
        f'<p class="nq-count">{shown} article{"" if total == 1 else "s"}</p>'
        '<div class="nq-table-wrap"><table class="nq-articles"><thead><tr><th>Title</th>'
        "<th>Source</th><th>Date</th><th>Language</th><th>Id</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


HEADER_HTML = (
    '<header class="nq-header"><h1>newsqa</h1>'
    "<p>Ask about the stored news. Every claim cites the passage it rests on.</p></header>"
)
SIDE_TITLE_HTML = '<h2 class="nq-side-title">Stored articles</h2>'
CHAT_PLACEHOLDER_HTML = (
    "<p class='nq-empty'>Ask a question about the stored articles, or start with one of these:</p>"
)


def stopped_html(text: str) -> str:
    """What a stopped answer had written, without its "writing…" status, and that it stopped."""
    body = f"<p>{flat(text)}</p>" if text.strip() else ""
    return (
        f'<div class="nq-answer nq-stopped">{body}'
        '<p class="nq-notice">Stopped before the answer was finished.</p></div>'
    )


def add_failed_html(error: BaseException) -> str:
    return f'<div class="nq-report nq-bad"><p>Adding failed: {esc(error)}</p></div>'
