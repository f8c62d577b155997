"""Scoring one answer: the gold turn against a checked Answer, built by hand."""

from __future__ import annotations

import pytest

from assistant.evaluation.formats import EvalTurn
from assistant.evaluation.scoring import citation_scores, score_turn
from assistant.models import Answer, Citation, Passage, SentenceCheck


def _passage(n: int, article: str, text: str) -> Passage:
    return Passage(
        number=n,
        chunk_id=f"{article}:0",
        article_id=article,
        title="t",
        text=text,
        start=0,
        end=len(text),
    )


def _citation(marker: int, article: str, supported: bool, sentence: str) -> Citation:
    return Citation(
        marker=marker,
        chunk_id=f"{article}:0",
        article_id=article,
        title="t",
        sentence=sentence,
        span_start=0,
        span_end=1,
        span_text="x",
        supported=supported,
    )


PASSAGES = [
    _passage(1, "h-other", "Pyongyang is the capital."),
    _passage(2, "h-report", "Nordkorea schickt weitere 6.000 Soldaten nach Russland."),
]
DOC_OF = {"h-other": ["doc-other"], "h-report": ["doc-report", "doc-report-copy"]}


def test_a_right_answer_to_a_cross_lingual_question():
    answer = Answer(
        question="How many soldiers are expected?",
        query="soldiers expected",
        answer="6,000 more soldiers [2].",
        passages=PASSAGES,
        citations=[_citation(2, "h-report", True, "6,000 more soldiers [2].")],
        checks=[SentenceCheck(sentence="6,000 more soldiers [2].", markers=[2])],
    )
    turn = EvalTurn(question=answer.question, answers=["6000"], doc_ids=["doc-report"])
    s = score_turn(turn, answer, k=5, doc_of=DOC_OF)
    assert s["correct"] == 1.0
    assert s["exact_match"] == 0.0  # more words than the gold
    assert s["f1"] == pytest.approx(0.5)  # "6000 more soldiers" vs "6000": P=1/3, R=1
    assert s["false_decline"] == 0.0
    assert (s["hit"], s["recall"], s["mrr"]) == (1.0, 1.0, 0.5)
    assert (s["citation_precision"], s["citation_recall"]) == (1.0, 1.0)
    assert s["citation_gold"] == 1.0
    assert s["declined_unanswerable"] is None


def test_citations_on_gold_passages_are_counted_against_the_set_not_the_check():
    # Both citations pass the check; only the second points at the paragraph holding the gold.
    sentence = "Pyongyang sends 6,000 more soldiers [1][2]."
    answer = Answer(
        question="How many soldiers are expected?",
        query="soldiers expected",
        answer=sentence,
        passages=PASSAGES,
        citations=[
            _citation(1, "h-other", True, sentence),
            _citation(2, "h-report", True, sentence),
        ],
        checks=[SentenceCheck(sentence=sentence, markers=[1, 2])],
    )
    with_ids = EvalTurn(question=answer.question, answers=["6000"], doc_ids=["doc-report"])
    assert score_turn(with_ids, answer, k=5, doc_of=DOC_OF)["citation_gold"] == 0.5
    by_text = EvalTurn(question=answer.question, answers=["6000"], evidence=["capital"])
    assert score_turn(by_text, answer, k=5)["citation_gold"] == 0.5
    declined = answer.model_copy(update={"declined": True})
    assert score_turn(with_ids, declined, k=5, doc_of=DOC_OF)["citation_gold"] is None


def test_retrieval_against_evidence_text_when_the_set_has_no_ids():
    answer = Answer(question="q", query="q", answer="x", passages=PASSAGES)
    turn = EvalTurn(question="q", answers=["6000"], evidence=["weitere 6000 Soldaten"])
    s = score_turn(turn, answer, k=5)
    assert (s["hit"], s["mrr"]) == (1.0, 0.5)


def test_no_gold_ids_or_evidence_means_no_retrieval_scores():
    answer = Answer(question="q", query="q", answer="x", passages=PASSAGES)
    s = score_turn(EvalTurn(question="q", answers=["y"]), answer, k=5)
    assert s["hit"] is None and s["ndcg"] is None


def test_declining_is_right_for_unanswerable_and_wrong_for_answerable():
    declined = Answer(question="q", query="q", answer="The articles do not say.", declined=True)
    unanswerable = score_turn(EvalTurn(question="q", unanswerable=True), declined, k=5)
    assert unanswerable["correct"] == 1.0 and unanswerable["declined_unanswerable"] == 1.0
    assert unanswerable["false_decline"] is None
    answerable = score_turn(EvalTurn(question="q", answers=["say"]), declined, k=5)
    assert answerable["correct"] == 0.0 and answerable["false_decline"] == 1.0
    invented = Answer(question="q", query="q", answer="About 3 million [1].")
    made_up = score_turn(EvalTurn(question="q", unanswerable=True), invented, k=5)
    assert made_up["correct"] == 0.0 and made_up["declined_unanswerable"] == 0.0


def test_citation_precision_and_recall_from_the_checks_verdicts():
    # Three sentences: one backed, one cited but unsupported, one with no citation at all.
    answer = Answer(
        question="q",
        query="q",
        answer="A [1]. B [2]. C.",
        passages=PASSAGES,
        citations=[
            _citation(1, "h-other", True, "A [1]."),
            _citation(2, "h-report", False, "B [2]."),
        ],
        checks=[
            SentenceCheck(sentence="A [1].", markers=[1]),
            SentenceCheck(sentence="B [2].", markers=[2], supported=False, reason="B not in [2]"),
            SentenceCheck(sentence="C.", markers=[], supported=False),
        ],
    )
    scores = citation_scores(answer)
    assert scores["citation_precision"] == 0.5
    assert scores["citation_recall"] == pytest.approx(1 / 3)


def test_a_judge_overrides_the_checks_verdicts():
    answer = Answer(
        question="q",
        query="q",
        answer="A [1].",
        passages=PASSAGES,
        citations=[_citation(1, "h-other", True, "A [1].")],
        checks=[SentenceCheck(sentence="A [1].", markers=[1])],
    )
    seen = []

    def strict_judge(sentence: str, passages: list[str]) -> bool:
        seen.append((sentence, passages))
        return False

    scores = citation_scores(answer, strict_judge)
    assert scores == {"citation_precision": 0.0, "citation_recall": 0.0}
    assert seen[0] == ("A [1].", ["Pyongyang is the capital."])


def test_a_declined_answer_has_no_citation_scores():
    declined = Answer(question="q", query="q", answer="Not in the articles.", declined=True)
    assert citation_scores(declined) == {"citation_precision": None, "citation_recall": None}
