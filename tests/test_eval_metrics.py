"""The evaluation metrics, each on small cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from assistant.evaluation.metrics import (
    contains_answer,
    evidence_in,
    exact_match,
    normalize,
    percentile,
    retrieval_scores,
    summarize,
    token_f1,
    wilson,
)


@pytest.mark.parametrize("written", ["6,000", "6.000", "6000", "6\u202f000"])
def test_numbers_compare_as_numbers_across_thousands_separators(written):
    assert contains_answer(f"About {written} more soldiers are expected [1].", ["6000"])
    assert contains_answer("About 6000 more [1].", [written])


def test_a_gold_number_must_match_a_whole_number_not_part_of_one():
    assert not contains_answer("It had 1360 sacks.", ["136"])
    assert not contains_answer("Some 60,000 troops.", ["6,000"])


def test_a_number_in_words_matches_its_digits_either_way_round():
    assert contains_answer("Thomas Davis erzielte 4 erzwungene Fumbles. [1]", ["vier"])
    assert contains_answer("It lasts four weeks.", ["4 weeks"])
    assert contains_answer("weitere sechstausend Soldaten", ["6,000"])
    assert not contains_answer("14 Punkte", ["vier"])
    assert not contains_answer("Josh Norman had one interception.", ["1"])  # "one" stays a word


def test_containment_ignores_case_punctuation_and_citation_markers():
    assert contains_answer("Kim Yo Jong is Kim Jong Un's SISTER[2].", ["sister"])
    assert contains_answer("USC and UCLA.", ["usc and ucla"])
    assert not contains_answer("UCLA only.", ["USC and UCLA"])


def test_decimals_keep_their_point_and_decimal_commas_become_points():
    assert normalize("3.5 %") == "3.5"
    assert normalize("3,5 Prozent") == "3.5 prozent"
    assert contains_answer("Inflation was 3,5 percent.", ["3.5 percent"])


def test_exact_match_drops_articles_and_punctuation():
    assert exact_match("The Euro.", ["euro"])
    assert not exact_match("The Euro, mostly.", ["euro"])


def test_token_f1_by_hand():
    # pred tokens: usc ucla  | gold: usc and ucla -> common 2, P=2/2, R=2/3, F1=0.8
    assert token_f1("USC, UCLA", ["USC and UCLA"]) == pytest.approx(0.8)
    assert token_f1("nothing here", ["USC and UCLA"]) == 0.0
    # the best gold counts
    assert token_f1("the euro", ["dollar", "Euro"]) == 1.0


def test_evidence_is_found_either_way_round_after_normalising():
    passage = "Die Verteidigung der Panthers gab nur 308 Punkte ab und belegte den sechsten Platz."
    assert evidence_in(passage, "gab nur 308 Punkte ab")
    gold_context = (
        "Die Verteidigung der Panthers gab nur 308 Punkte ab und belegte den sechsten Platz "
        "in der Liga."
    )
    assert evidence_in("gab nur 308 Punkte ab und belegte den sechsten Platz", gold_context)
    assert not evidence_in(passage, "gab 309 Punkte ab")


def test_retrieval_scores_by_hand():
    # ranks: 1 irrelevant, 2 covers a, 3 covers a again (no new gain), 4 covers b; gold {a,b,c}
    covered = [set(), {"a"}, {"a"}, {"b"}]
    r = retrieval_scores(covered, {"a", "b", "c"}, k=4)
    assert r.hit == 1.0
    assert r.recall == pytest.approx(2 / 3)
    assert r.mrr == pytest.approx(1 / 2)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert r.ndcg == pytest.approx(dcg / idcg)


def test_retrieval_scores_only_look_at_the_top_k():
    r = retrieval_scores([set(), set(), {"a"}], {"a"}, k=2)
    assert (r.hit, r.recall, r.mrr, r.ndcg) == (0.0, 0.0, 0.0, 0.0)
    perfect = retrieval_scores([{"a"}], {"a"}, k=5)
    assert (perfect.hit, perfect.recall, perfect.mrr, perfect.ndcg) == (1.0, 1.0, 1.0, 1.0)


def test_wilson_interval_matches_the_textbook_value():
    # 8 of 10 at 95%: (0.490, 0.943)
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-3)
    assert high == pytest.approx(0.9433, abs=1e-3)
    assert wilson(0, 5)[0] == 0.0 and wilson(0, 5)[1] > 0.0


def test_summary_uses_wilson_for_rates_and_bootstrap_for_means():
    rate = summarize([1.0, 0.0, 1.0, 1.0])
    assert rate.method == "wilson" and rate.mean == 0.75 and rate.low < 0.75 < rate.high
    mean = summarize([0.2, 0.4, 0.9, 1.0])
    assert mean.method == "bootstrap"
    assert 0.2 <= mean.low <= mean.mean <= mean.high <= 1.0
    assert summarize([]) is None


def test_percentile_interpolates_like_numpy():
    values = [1.0, 2.0, 3.0, 4.0, 10.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 95) == pytest.approx(8.8)
