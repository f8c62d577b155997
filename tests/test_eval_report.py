"""Summaries, the Markdown and HTML reports, the ragas export and run comparison, from records
as results.jsonl holds them (built here from hand-made Answers through the real scorer)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from assistant.evaluation.compare import compare_runs, comparison_markdown
from assistant.evaluation.export import ragas_rows
from assistant.evaluation.formats import EvalCase, EvalTurn
from assistant.evaluation.report import html, markdown
from assistant.evaluation.runner import RESULTS, turn_record
from assistant.evaluation.scoring import score_turn
from assistant.evaluation.summary import build_summary
from assistant.models import Answer, Passage


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict]]:
    parser = _TagCollector()
    parser.feed(page)
    return parser.tags


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _record(qid: str, gold: list[str], said: str, lang: str = "en", passage: str = "text") -> dict:
    case = EvalCase(
        id=qid, lang=lang, turns=[EvalTurn(question=f"Q {qid}?", answers=gold, doc_ids=["d1"])]
    )
    answer = Answer(
        question=f"Q {qid}?",
        query=qid,
        answer=said,
        passages=[
            Passage(
                number=1,
                chunk_id="a1:0",
                article_id="a1",
                title="T",
                text=passage,
                start=0,
                end=len(passage),
            )
        ],
        timings={"retrieval": 0.05, "first_token": 0.5, "total": 2.0},
        tokens={"prompt": 800, "completion": 20},
    )
    scores = score_turn(case.turns[0], answer, k=5, doc_of={"a1": ["d1"]})
    return turn_record(case, 1, answer, None, scores, {"a1": ["d1"]})


def _run(folder: Path, records: list[dict]) -> Path:
    folder.mkdir()
    (folder / RESULTS).write_text("".join(json.dumps(r) + "\n" for r in records))
    summary = build_summary(records, {"backend": "extractive", "k": 5, "questions": ["q.jsonl"]})
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def test_summary_aggregates_scores_groups_and_speed():
    records = [
        _record("a", ["6000"], "6,000 [1]."),
        _record("b", ["Euro"], "The dollar."),
        _record("c", ["308"], "308 Punkte", lang="de"),
    ]
    s = build_summary(records, {"backend": "extractive"})
    assert s["questions"] == 3 and s["errors"] == 0
    assert s["scores"]["correct"]["mean"] == round(2 / 3, 4)
    assert s["scores"]["correct"]["ci"] == "wilson"
    assert s["scores"]["hit"]["mean"] == 1.0
    assert s["by_lang"]["de"]["questions"] == 1 and s["by_lang"]["en"]["correct"]["mean"] == 0.5
    assert s["speed"]["total_s"] == {"median": 2.0, "p95": 2.0, "n": 3}
    assert s["speed"]["prompt_tokens"]["total"] == 2400


def test_markdown_report_lists_scores_and_worst_answers():
    records = [_record("a", ["6000"], "6,000 [1]."), _record("b", ["Euro"], "The `dollar` | x")]
    text = markdown(build_summary(records, {"backend": "local", "k": 5}), records)
    assert "| correct (contains gold) | 0.500 [" in text
    assert "## Worst answers (1)" in text
    assert "**b**" in text and "The 'dollar' / x" in text  # no stray code span or table cell


def test_html_report_is_self_contained_and_escapes_article_and_model_text():
    records = [
        _record("x", ["6000"], HOSTILE, passage=f"Article says {HOSTILE}"),
        _record("y", ["6000"], "6000 [1]."),
    ]
    page = html(build_summary(records, {"backend": "local", "k": 5}), records)
    tags = _tags(page)
    assert not {name for name, _ in tags} & {"script", "img", "link", "iframe", "object"}
    # No external resources: no attribute that fetches, no url() or @import in the style.
    assert not [attrs for _, attrs in tags if {"src", "href"} & attrs.keys()]
    assert not re.search(r"url\(|@import", page)
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert [name for name, _ in tags].count("svg") >= 4
    assert "Worst answers (1)" in page


def test_ragas_export_has_ragas_field_names():
    (row,) = ragas_rows([_record("a", ["6000", "6,000"], "6,000 [1].", passage="P")])
    assert row == {
        "user_input": "Q a?",
        "response": "6,000 [1].",
        "retrieved_contexts": ["P"],
        "reference": "6000",
    }


def test_compare_says_what_was_fixed_and_broken(tmp_path):
    a = _run(
        tmp_path / "a",
        [_record("q1", ["6000"], "no"), _record("q2", ["Euro"], "Euro"), _record("q3", ["x"], "y")],
    )
    b = _run(
        tmp_path / "b",
        [_record("q1", ["6000"], "6000"), _record("q2", ["Euro"], "no"), _record("q4", ["x"], "x")],
    )
    c = compare_runs(a, b)
    assert (c.fixed, c.broken, c.only_a, c.only_b) == (["q1"], ["q2"], ["q3"], ["q4"])
    assert c.deltas["correct"] == (round(1 / 3, 4), round(2 / 3, 4))
    text = comparison_markdown(c, a, b)
    assert "fixed 1, broken 1" in text
    assert "## Fixed (1)" in text and "**q1**" in text
    assert "| correct (contains gold) | 0.333 | 0.667 | +0.333 |" in text


def test_the_ragas_export_reads_back_as_a_question_set(tmp_path):
    from assistant.evaluation.export import write_ragas
    from assistant.evaluation.formats import load_cases

    path = tmp_path / "ragas.jsonl"
    assert write_ragas([_record("a", ["6000"], "6,000 [1].", passage="P")], path) == 1
    (case,) = load_cases(path)
    assert case.turns[0].question == "Q a?" and case.turns[0].answers == ["6000"]


def _without_doc_ids_or_tokens(record: dict) -> dict:
    """The record of a set that has no doc ids, answered without a model (no token counts)."""
    scores = {**record["scores"], "hit": None, "recall": None, "mrr": None, "ndcg": None}
    return {**record, "doc_ids": [], "scores": scores, "tokens": {}}


def test_html_report_lists_every_question_with_answer_gold_verdict_and_sources():
    records = [_record("a", ["6000"], "6,000 [1]."), _record("b", ["Euro"], "The dollar.")]
    records[0]["citations"] = [{"marker": 1, "chunk_id": "a1:0", "article_id": "a1"}]
    page = html(build_summary(records, {"backend": "local", "k": 5}), records)
    table = page[page.index("Every question (2)") :]
    rows = re.findall(r"<tr><td>(\w)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>"
                      r'<td class="(\w+)">(.*?)</td><td>(.*?)</td></tr>', table)  # fmt: skip
    assert rows == [
        ("a", "Q a?", "6,000 [1].", "6000", "right", "right", "T"),
        ("b", "Q b?", "The dollar.", "Euro", "wrong", "wrong", ""),
    ]


def test_html_report_hides_what_a_run_cannot_have_and_fits_a_phone():
    records = [
        _without_doc_ids_or_tokens(_record("a", ["6000"], "6,000 [1].")),
        _without_doc_ids_or_tokens(_record("b", ["Euro"], "The dollar.")),
    ]
    page = html(build_summary(records, {"backend": "extractive", "k": 5}), records)
    assert "nDCG" not in page and "hit@k" not in page  # no doc ids: no retrieval figures
    speed = page[page.index("<h2>Speed</h2>") : page.index("<h2>Charts</h2>")]
    assert "<th>mean</th>" not in speed  # the mean was only ever given for token counts
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    for svg in re.findall(r"<svg [^>]*>", page):
        assert "viewBox=" in svg  # charts shrink with the screen


def test_chart_labels_are_cut_to_fit_and_keep_the_whole_label_as_a_tooltip():
    from assistant.evaluation.charts import LABEL_CHARS, Bar, bars, histogram

    long_label = "a question kind with a much longer name than fits (123)"
    svg = bars([Bar(long_label, 0.5, 0.4, 0.6)], "t")
    shown = re.search(r'text-anchor="end">(.*?)<title>', svg).group(1)
    assert len(shown) == LABEL_CHARS and shown.endswith("…")
    assert f"<title>{long_label}</title>" in svg
    ticks = re.findall(r'text-anchor="(\w+)">[\d.]+s</text>', histogram([0.5, 24.4], "t", unit="s"))
    assert ticks[-1] == "end" and set(ticks[:-1]) == {"middle"}  # the last one ends at the edge
