"""The BM25 lexical index: multilingual terms, numbers in any notation, filters, persistence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.terms import analyse, analyse_query
from vectorstore.lexical import LexicalIndex

REPORT_DE = (
    "de:1",
    "Die Bundeswehr soll 6.000 weitere Soldaten nach Litauen verlegen, sagte Pistorius in Vilnius.",
    "de",
)
REPORT_EN = (
    "en:1",
    "About 6,000 more troops are expected at the border, officials in Washington said.",
    "en",
)
COMPOUND = (
    "de:2",
    "Die Bundeswehrsoldaten erhielten neue Ausrüstung für den Winter.",
    "de",
)
HYPHEN = ("de:3", "Er konnte sich mit vier Pro Bowl-Selektionen rühmen.", "de")
WEATHER = ("en:2", "Heavy rain is forecast for the weekend across the north of England.", "en")


@pytest.fixture
def index(tmp_path: Path) -> LexicalIndex:
    idx = LexicalIndex(tmp_path / "lexical")
    idx.rebuild([REPORT_DE, REPORT_EN, COMPOUND, HYPHEN, WEATHER], stamp="gen-1")
    return idx


def ids(hits: list[tuple[str, float]]) -> list[str]:
    return [chunk_id for chunk_id, _ in hits]


def test_a_number_finds_reports_in_both_languages(index: LexicalIndex) -> None:
    assert set(ids(index.search("6000", k=5))) == {"de:1", "en:1"}


def test_an_english_question_finds_a_german_report_by_name(index: LexicalIndex) -> None:
    assert ids(index.search("What did Pistorius say in Vilnius?", k=5))[0] == "de:1"


def test_stop_words_and_question_words_match_nothing(index: LexicalIndex) -> None:
    assert index.search("What is the and how many of them were there?", k=5) == []


def test_german_words_match_across_inflections(index: LexicalIndex) -> None:
    assert "de:1" in ids(index.search("Soldat", k=5))


def test_a_german_compound_is_found_by_its_head(index: LexicalIndex) -> None:
    # "Bundeswehrsoldaten" splits into "Bundeswehr" + "Soldaten", both words of the corpus.
    assert set(ids(index.search("Soldaten", k=5))) >= {"de:1", "de:2"}
    assert "de:2" in ids(index.search("Bundeswehr", k=5))


def test_a_compound_in_the_question_finds_its_parts(index: LexicalIndex) -> None:
    assert "de:1" in ids(index.search("Bundeswehrsoldaten", k=5))


def test_hyphenated_words_match_their_parts_and_the_whole(index: LexicalIndex) -> None:
    assert ids(index.search("Selektionen", k=5)) == ["de:3"]
    assert ids(index.search("Bowl-Selektionen", k=5))[0] == "de:3"


def test_accents_are_folded(tmp_path: Path) -> None:
    idx = LexicalIndex(tmp_path / "lex")
    idx.rebuild([("en:1", "The summit took place in Zürich.", "en")], stamp="s")
    assert ids(idx.search("Zurich summit", k=3)) == ["en:1"]


def test_hits_are_ranked_best_first_with_scores(index: LexicalIndex) -> None:
    hits = index.search("rain weekend England", k=5)
    assert hits[0][0] == "en:2"
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0


def test_k_limits_the_hits(index: LexicalIndex) -> None:
    assert len(index.search("6000", k=1)) == 1
    assert index.search("6000", k=0) == []


def test_a_filter_still_yields_k_hits_when_enough_exist(tmp_path: Path) -> None:
    idx = LexicalIndex(tmp_path / "lex")
    # Twenty strong matches that the filter rejects, then five weaker ones it accepts.
    items = [(f"x:{i}", "ceasefire ceasefire ceasefire talks in Doha", "en") for i in range(20)]
    items += [(f"ok:{i}", f"ceasefire mentioned once among other news {i}", "en") for i in range(5)]
    idx.rebuild(items, stamp="s")
    hits = idx.search("ceasefire", k=5, allowed=lambda cid: cid.startswith("ok:"))
    assert sorted(ids(hits)) == [f"ok:{i}" for i in range(5)]
    # Fewer than k allowed: all of them, and no padding.
    assert len(idx.search("ceasefire", k=5, allowed=lambda cid: cid == "ok:3")) == 1


def test_the_index_and_its_stamp_survive_a_restart(index: LexicalIndex, tmp_path: Path) -> None:
    reopened = LexicalIndex(tmp_path / "lexical")
    assert reopened.stamp == "gen-1"
    assert len(reopened) == 5
    assert reopened.search("Pistorius", k=3) == index.search("Pistorius", k=3)


def test_a_missing_index_has_no_stamp_and_finds_nothing(tmp_path: Path) -> None:
    idx = LexicalIndex(tmp_path / "nowhere")
    assert idx.stamp is None
    assert idx.search("anything", k=5) == []


def test_an_unreadable_index_reports_no_stamp_so_the_store_rebuilds(
    index: LexicalIndex, tmp_path: Path
) -> None:
    (tmp_path / "lexical" / "chunk_ids.json").write_text("{broken", encoding="utf-8")
    assert LexicalIndex(tmp_path / "lexical").stamp is None


def test_a_rebuild_replaces_the_old_contents(index: LexicalIndex, tmp_path: Path) -> None:
    index.rebuild([WEATHER], stamp="gen-2")
    assert index.search("Pistorius", k=5) == []
    reopened = LexicalIndex(tmp_path / "lexical")
    assert reopened.stamp == "gen-2"
    assert ids(reopened.search("rain", k=5)) == ["en:2"]
    assert not (tmp_path / "lexical.tmp").exists()
    assert not (tmp_path / "lexical.old").exists()


def test_an_empty_corpus_is_a_valid_index(tmp_path: Path) -> None:
    idx = LexicalIndex(tmp_path / "lex")
    idx.rebuild([], stamp="empty")
    assert LexicalIndex(tmp_path / "lex").stamp == "empty"
    assert idx.search("anything", k=5) == []


def test_documents_keep_repeated_terms_and_queries_do_not() -> None:
    assert analyse("rain rain rain", "en") == ["rain", "rain", "rain"]
    assert analyse_query("rain rain") == ["rain"]


def test_german_questions_find_their_paragraph_on_real_data(
    bench_dir: Path, tmp_path: Path
) -> None:
    """BM25 alone over the 120 German XQuAD paragraphs, asked in German: a quality floor."""
    corpus = [json.loads(line) for line in (bench_dir / "xquad-de" / "corpus.jsonl").open()]
    idx = LexicalIndex(tmp_path / "lex")
    idx.rebuild(((doc["id"], doc["text"], doc["lang"]) for doc in corpus), stamp="xquad")
    questions = [
        json.loads(line) for line in (bench_dir / "xquad-de" / "questions-de.jsonl").open()
    ]
    hit1 = hit5 = 0
    for q in questions:
        found = ids(idx.search(q["question"], k=5))
        hit1 += bool(found) and found[0] in q["doc_ids"]
        hit5 += any(doc in q["doc_ids"] for doc in found)
    # Measured: hit@5 0.98, hit@1 0.92.
    assert hit5 / len(questions) >= 0.95
    assert hit1 / len(questions) >= 0.85


def test_a_corpus_of_stop_words_only_is_a_valid_index(tmp_path: Path) -> None:
    idx = LexicalIndex(tmp_path / "lex")
    idx.rebuild([("a:0", "the and of", "en"), ("b:0", "", "de")], stamp="s")
    assert idx.search("the", k=3) == []
    reopened = LexicalIndex(tmp_path / "lex")
    assert reopened.stamp == "s" and len(reopened) == 2
    assert reopened.search("anything", k=3) == []


def test_empty_chunks_among_others_are_never_found(tmp_path: Path) -> None:
    idx = LexicalIndex(tmp_path / "lex")
    idx.rebuild([("a:0", "", "en"), ("b:0", "Hallo Welt", "de")], stamp="s")
    assert ids(idx.search("Welt", k=3)) == ["b:0"]
