"""The run's report: report.md for reading in a repository, report.html (one self-contained file,
inline SVG charts, no scripts or external resources) for a browser.

Article text and model output are untrusted: the HTML escapes every piece of it, and the
Markdown puts it in code spans with backticks and line breaks removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from assistant.evaluation.charts import Bar, bars, histogram

LABELS = {
    "correct": "correct (contains gold)",
    "exact_match": "exact match",
    "f1": "token F1",
    "declined_unanswerable": "declined when unanswerable",
    "false_decline": "declined an answerable one",
    "hit": "hit@k",
    "recall": "recall@k",
    "mrr": "MRR",
    "ndcg": "nDCG@k",
    "citation_precision": "citation precision",
    "citation_recall": "citation recall",
    "citation_gold": "citations on gold passages",
}
WORST = 10
EXCERPT = 400


def _pct_ci(entry: dict[str, Any]) -> str:
    return f"{entry['mean']:.3f} [{entry['ci_low']:.3f}, {entry['ci_high']:.3f}]"


def _md_text(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    text = text[:limit] + ("…" if len(text) > limit else "")
    return "`" + text.replace("`", "'").replace("|", "/") + "`"


def worst(records: Sequence[dict[str, Any]], n: int = WORST) -> list[dict[str, Any]]:
    """The wrong answers, those with the least overlap with the gold first."""
    wrong = [r for r in records if r["scores"].get("correct") == 0.0]
    return sorted(wrong, key=lambda r: (r["scores"].get("f1") or 0.0, r["id"]))[:n]


def _run_line(summary: dict[str, Any], code: str = "`") -> str:
    run = summary["run"]
    parts = [f"backend {code}{run.get('backend')}{code}", f"k={run.get('k')}"]
    if run.get("limit"):
        parts.append(f"limit {run['limit']} per set")
    if run.get("judge"):
        parts.append(f"judge {code}{run['judge']}{code}")
    return ", ".join(parts)


def markdown(summary: dict[str, Any], records: Sequence[dict[str, Any]]) -> str:
    run = summary["run"]
    out = [
        "# Evaluation report",
        "",
        f"Questions: {', '.join(f'`{q}`' for q in run.get('questions', []))}  ",
        f"Corpus: `{run.get('corpus') or '(existing collection)'}`, "
        f"collection `{run.get('collection')}`  ",
        f"Run: {_run_line(summary)}  ",
        f"{summary['questions']} questions in {summary['cases']} cases; "
        f"{summary['declined']} declined; {summary['errors']} errors.",
        "",
        "## Scores (mean and 95% interval)",
        "",
        "| score | mean [95% CI] | n | interval |",
        "|---|---|---|---|",
    ]
    for name, entry in summary["scores"].items():
        out.append(
            f"| {LABELS.get(name, name)} | {_pct_ci(entry)} | {entry['n']} | {entry['ci']} |"
        )
    for field, title in (("by_lang", "language"), ("by_kind", "question kind")):
        groups = summary[field]
        # hit@k only where the set names the articles that answer (doc ids).
        with_hit = any("hit" in entry for entry in groups.values())
        out += [
            "",
            f"## By {title}",
            "",
            "| group | questions | correct |" + (" hit@k |" if with_hit else ""),
            "|---|---|---|" + ("---|" if with_hit else ""),
        ]
        for key, entry in groups.items():
            correct = _pct_ci(entry["correct"]) if "correct" in entry else "–"
            hit = (f" {_pct_ci(entry['hit'])} |" if "hit" in entry else " – |") if with_hit else ""
            out.append(f"| {key} | {entry['questions']} | {correct} |{hit}")
    out += ["", "## Speed", "", "| measure | median | p95 | n |", "|---|---|---|---|"]
    for key, entry in summary["speed"].items():
        if key.endswith("_s"):
            out.append(
                f"| {key[:-2]} (s) | {entry['median']:.3f} | {entry['p95']:.3f} | {entry['n']} |"
            )
    for key, entry in summary["speed"].items():
        if key.endswith("_tokens"):
            out.append(
                f"| {key.replace('_', ' ')} | {entry['median']:.0f} | (mean {entry['mean']}) "
                f"| {entry['n']} |"
            )
    bad = worst(records)
    if bad:
        out += ["", f"## Worst answers ({len(bad)})", ""]
        for r in bad:
            got = r.get("error") or r.get("answer", "")
            out.append(
                f"- **{r['id']}** {_md_text(r['question'])}: got {_md_text(got)}; "
                f"gold {_md_text(' / '.join(r['gold']) or '(unanswerable)')}"
            )
    return "\n".join(out) + "\n"


CSS = """
body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
.wide{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f2f2f2}
.charts svg{display:block;margin:1em 0;max-width:100%;height:auto}
table.questions{font-size:.88em}table.questions td{min-width:6em}
table.questions td:nth-child(3){min-width:16em}
.right{color:#166534}.wrong{color:#a00}
@media (max-width:640px){body{margin:1em auto;padding:0 .6em}h1{font-size:1.4em}
td,th{padding:2px 5px}table{font-size:.9em}}
.case{border:1px solid #ddd;border-radius:4px;padding:.6em 1em;margin:1em 0}
.passage{font-size:.9em;color:#444;border-left:3px solid #bbb;padding-left:.6em;margin:.4em 0;
white-space:pre-wrap}.err{color:#a00}
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table, scrolling sideways on a narrow screen. A column no row has a value in is left
    out: a figure a run cannot have is not shown as an empty column."""
    keep = [i for i in range(len(headers)) if any(row[i] for row in rows)] if rows else []
    head = "".join(f"<th>{escape(headers[i])}</th>" for i in keep)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(row[i])}</td>" for i in keep) + "</tr>" for row in rows
    )
    return f'<div class="wide"><table><tr>{head}</tr>{body}</table></div>'


def verdict(record: dict[str, Any]) -> str:
    """One word for how a question went: right, wrong, declined (and whether rightly), error."""
    if record.get("error"):
        return "error"
    if record.get("declined"):
        return "declined (right)" if record.get("unanswerable") else "declined (wrong)"
    return "right" if record["scores"].get("correct") == 1.0 else "wrong"


def _sources(record: dict[str, Any]) -> str:
    """The titles of the passages the answer cites, in marker order."""
    titles = {p.get("chunk_id"): p.get("title", "") for p in record.get("retrieved", [])}
    cited: dict[str, None] = {}
    for citation in record.get("citations", []):
        cited.setdefault(titles.get(citation.get("chunk_id")) or citation.get("article_id", ""))
    return "; ".join(t for t in cited if t)


def _questions_table(records: Sequence[dict[str, Any]]) -> str:
    rows = []
    for r in records:
        word = verdict(r)
        css = "right" if word in ("right", "declined (right)") else "wrong"
        answer = r.get("error") or r.get("answer", "")
        answer = answer[:EXCERPT] + ("…" if len(answer) > EXCERPT else "")
        rows.append(
            f"<tr><td>{escape(r['id'])}</td><td>{escape(r['question'])}</td>"
            f"<td>{escape(answer)}</td>"
            f"<td>{escape(' / '.join(r['gold']) or '(unanswerable)')}</td>"
            f'<td class="{css}">{escape(word)}</td><td>{escape(_sources(r))}</td></tr>'
        )
    return (
        '<div class="wide"><table class="questions"><tr><th>id</th><th>question</th>'
        "<th>answer</th><th>gold</th><th>verdict</th><th>sources cited</th></tr>"
        + "".join(rows)
        + "</table></div>"
    )


def _group_bars(groups: dict[str, Any], title: str) -> str:
    items = [
        Bar(
            f"{key} ({entry['questions']})",
            entry["correct"]["mean"],
            entry["correct"]["ci_low"],
            entry["correct"]["ci_high"],
        )
        for key, entry in groups.items()
        if "correct" in entry
    ]
    return bars(items, title) if items else ""


def _values(records: Sequence[dict[str, Any]], score: str) -> list[float]:
    return [r["scores"][score] for r in records if r["scores"].get(score) is not None]


def html(summary: dict[str, Any], records: Sequence[dict[str, Any]]) -> str:
    run = summary["run"]
    score_rows = [
        (
            LABELS.get(n, n),
            f"{e['mean']:.3f}",
            f"[{e['ci_low']:.3f}, {e['ci_high']:.3f}]",
            str(e["n"]),
            e["ci"],
        )
        for n, e in summary["scores"].items()
    ]
    speed_rows = [
        (f"{k[:-2]} (s)", f"{e['median']:.3f}", f"{e['p95']:.3f}", "", str(e["n"]))
        for k, e in summary["speed"].items()
        if k.endswith("_s")
    ] + [
        (k.replace("_", " "), f"{e['median']:.0f}", "", f"{e['mean']:.0f}", str(e["n"]))
        for k, e in summary["speed"].items()
        if k.endswith("_tokens")
    ]  # (a run without a model has no token counts: _table then drops the mean column)
    charts = [
        bars(
            [
                Bar(LABELS.get(n, n), e["mean"], e["ci_low"], e["ci_high"])
                for n, e in summary["scores"].items()
            ],
            "Scores with 95% intervals",
        ),
        _group_bars(summary["by_lang"], "Correct by language"),
        _group_bars(summary["by_kind"], "Correct by question kind"),
    ]
    # A distribution a run has no values for (nDCG on a set without doc ids) is not drawn.
    for values, title, options in (
        (_values(records, "f1"), "Distribution of token F1", {"span": (0.0, 1.0)}),
        (_values(records, "ndcg"), "Distribution of nDCG@k", {"span": (0.0, 1.0)}),
        (
            [r["timings"]["total"] for r in records if "total" in (r.get("timings") or {})],
            "Whole answer time",
            {"unit": "s"},
        ),
    ):
        if values:
            charts.append(histogram(values, title, **options))
    cases = []
    for r in worst(records):
        passages = "".join(
            f'<div class="passage">[{escape(str(p["number"]))}] <b>{escape(p["title"])}</b> '
            f"({escape(', '.join(p.get('doc_ids') or [p['article_id']]))})\n"
            f"{escape(p['text'][:EXCERPT])}"
            f"{'…' if len(p['text']) > EXCERPT else ''}</div>"
            for p in r.get("retrieved", [])[:3]
        )
        got = (
            f'<span class="err">{escape(r["error"])}</span>'
            if r.get("error")
            else escape(r.get("answer", ""))
        )
        cases.append(
            f'<div class="case"><b>{escape(r["id"])}</b> ({escape(r["lang"])}): '
            f"{escape(r['question'])}<br>Answer: {got}<br>Gold: "
            f"{escape(' / '.join(r['gold']) or '(unanswerable)')}{passages}</div>"
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Evaluation report</title>"
        f"<style>{CSS}</style></head><body><h1>Evaluation report</h1>"
        f"<p>Questions: {escape(', '.join(run.get('questions', [])))}<br>"
        f"Corpus: {escape(str(run.get('corpus') or '(existing collection)'))}, collection "
        f"{escape(str(run.get('collection')))}<br>Run: {escape(_run_line(summary, code=''))}<br>"
        f"{summary['questions']} questions in {summary['cases']} cases; "
        f"{summary['declined']} declined; {summary['errors']} errors.</p>"
        "<h2>Scores</h2>"
        + _table(("score", "mean", "95% interval", "n", "interval"), score_rows)
        + "<h2>Speed</h2>"
        + _table(("measure", "median", "p95", "mean", "n"), speed_rows)
        + '<h2>Charts</h2><div class="charts">'
        + "".join(charts)
        + f"</div><h2>Worst answers ({len(cases)})</h2>"
        + "".join(cases)
        + f"<h2>Every question ({len(records)})</h2>"
        + _questions_table(records)
        + "</body></html>\n"
    )
