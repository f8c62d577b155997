"""Scoring one asked question: its Answer against the gold turn, as a flat dict of scores.

A score is None when it does not apply (retrieval scores without gold ids or evidence, answer
scores without gold answers, citation scores for an answer that declined), so averages are
taken only over the questions each score speaks about.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from assistant.evaluation.formats import EvalTurn
from assistant.evaluation.metrics import (
    contains_answer,
    evidence_in,
    exact_match,
    retrieval_scores,
    token_f1,
)
from assistant.models import Answer

# A judge decides whether the cited passages support a sentence (an LLM, when one is set up).
Judge = Callable[[str, list[str]], bool]

SCORE_NAMES = (
    "correct",
    "exact_match",
    "f1",
    "declined_unanswerable",
    "false_decline",
    "hit",
    "recall",
    "mrr",
    "ndcg",
    "citation_precision",
    "citation_recall",
    "citation_gold",
)


def _covered(
    answer: Answer, turn: EvalTurn, doc_of: Mapping[str, Sequence[str]]
) -> tuple[list, set]:
    """What each retrieved passage covers of the gold: doc ids when the set has them, else the
    evidence texts (by index)."""
    if turn.doc_ids:
        gold = set(turn.doc_ids)
        covered = [({p.article_id, *doc_of.get(p.article_id, ())}) & gold for p in answer.passages]
        return covered, gold
    gold = {str(i) for i in range(len(turn.evidence))}
    covered = [
        {str(i) for i, ev in enumerate(turn.evidence) if evidence_in(p.text, ev)}
        for p in answer.passages
    ]
    return covered, gold


def citation_scores(answer: Answer, judge: Judge | None = None) -> dict[str, float | None]:
    """ALCE-style: precision = cited passages that support their sentence; recall = answer
    sentences backed by a supporting citation. From the citation check, or the judge if given."""
    if answer.declined or answer.is_chitchat or not answer.checks:
        return {"citation_precision": None, "citation_recall": None}
    texts = {p.number: p.text for p in answer.passages}
    if judge is None:
        supported_citations = [c.supported for c in answer.citations]
        sentence_ok = [bool(s.markers) and s.supported for s in answer.checks]
    else:
        supported_citations = [
            judge(c.sentence, [texts[c.marker]]) for c in answer.citations if c.marker in texts
        ]
        sentence_ok = [
            bool(s.markers) and judge(s.sentence, [texts[m] for m in s.markers if m in texts])
            for s in answer.checks
        ]
    precision = sum(supported_citations) / len(supported_citations) if supported_citations else None
    return {
        "citation_precision": precision,
        "citation_recall": sum(sentence_ok) / len(sentence_ok),
    }


def gold_citations(answer: Answer, covered: Sequence[set]) -> float | None:
    """The share of the answer's citations that point at a passage holding gold (a gold doc or
    evidence text): unlike citation precision, measured against the set, not the check's own
    verdict. None for a decline or an answer that cites nothing."""
    if answer.declined or not answer.citations:
        return None
    holds = {p.number: bool(c) for p, c in zip(answer.passages, covered, strict=True)}
    return sum(holds.get(c.marker, False) for c in answer.citations) / len(answer.citations)


def score_turn(
    turn: EvalTurn,
    answer: Answer,
    k: int,
    doc_of: Mapping[str, Sequence[str]] | None = None,
    judge: Judge | None = None,
) -> dict[str, float | None]:
    scores: dict[str, float | None] = dict.fromkeys(SCORE_NAMES)
    if turn.unanswerable:
        scores["declined_unanswerable"] = float(answer.declined)
        scores["correct"] = float(answer.declined)
    elif turn.answers:
        right = not answer.declined and contains_answer(answer.answer, turn.answers)
        scores["correct"] = float(right)
        scores["exact_match"] = float(exact_match(answer.answer, turn.answers))
        scores["f1"] = token_f1(answer.answer, turn.answers)
        scores["false_decline"] = float(answer.declined)
    if turn.doc_ids or turn.evidence:
        covered, gold = _covered(answer, turn, doc_of or {})
        r = retrieval_scores(covered, gold, k)
        scores.update(hit=r.hit, recall=r.recall, mrr=r.mrr, ndcg=r.ndcg)
        scores["citation_gold"] = gold_citations(answer, covered)
    scores.update(citation_scores(answer, judge))
    return scores
