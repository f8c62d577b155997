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
        out += [
            "",
            f"## By {title}",
            "",
            "| group | questions | correct | hit@k |",
            "|---|---|---|---|",
        ]
        for key, entry in summary[field].items():
            correct = _pct_ci(entry["correct"]) if "correct" in entry else "–"
            hit = _pct_ci(entry["hit"]) if "hit" in entry else "–"
            out.append(f"| {key} | {entry['questions']} | {correct} | {hit} |")
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
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f2f2f2}.charts svg{display:block;margin:1em 0}
.case{border:1px solid #ddd;border-radius:4px;padding:.6em 1em;margin:1em 0}
.passage{font-size:.9em;color:#444;border-left:3px solid #bbb;padding-left:.6em;margin:.4em 0;
white-space:pre-wrap}.err{color:#a00}
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


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
    ]
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
        histogram(
            [r["scores"]["f1"] for r in records if r["scores"].get("f1") is not None],
            "Distribution of token F1",
            span=(0.0, 1.0),
        ),
        histogram(
            [r["scores"]["ndcg"] for r in records if r["scores"].get("ndcg") is not None],
            "Distribution of nDCG@k",
            span=(0.0, 1.0),
        ),
        histogram(
            [r["timings"]["total"] for r in records if "total" in (r.get("timings") or {})],
            "Whole answer time",
            unit="s",
        ),
    ]
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
        + "</body></html>\n"
    )
