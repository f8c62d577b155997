"""Context selection: each passage is cut down to the sentences that bear on the question."""

from __future__ import annotations

import pytest

from assistant.context import GAP, best_sentences, evidence_context, select_context
from assistant.models import Passage
from core.settings import Settings
from vectorstore.embeddings import make_embeddings

# An article whose first 40 characters are a headline-like line before the chunk starts.
PREFIX = "Litauen-Brigade: Pistorius in Vilnius.\n\n"
REPORT = (
    "Verteidigungsminister Boris Pistorius besuchte am Montag die Truppe in Litauen. "
    "Er sprach mit Soldaten über die Ausrüstung. "
    "Derzeit sind rund 1.800 Soldaten vor Ort. "
    "Bis 2027 sollen weitere 6.000 Soldaten hinzukommen. "
    "Die Kosten trägt zum großen Teil der Bund. "
    "Am Abend flog der Minister zurück nach Berlin. "
    "Dort beriet das Kabinett über den Haushalt."
)
WEATHER = (
    "Heavy rain is forecast for the weekend. "
    "Rivers in the north may burst their banks. "
    "The Met Office issued an amber warning for Yorkshire."
)


def passage(number: int, text: str, language: str, start: int = 0) -> Passage:
    return Passage(
        number=number,
        chunk_id=f"a{number}:0",
        article_id=f"a{number}",
        title=f"Article {number}",
        language=language,
        text=text,
        start=start,
        end=start + len(text),
        context=text,
    )


def test_keeps_the_matching_sentences_and_their_neighbours_in_article_order() -> None:
    [selected] = select_context(
        [passage(1, REPORT, "de")],
        "Wie viele Soldaten sollen bis 2027 hinzukommen?",
        max_sentences=1,
        neighbours=1,
    )
    assert selected.context == (
        "Derzeit sind rund 1.800 Soldaten vor Ort. "
        "Bis 2027 sollen weitere 6.000 Soldaten hinzukommen. "
        "Die Kosten trägt zum großen Teil der Bund."
    )


def test_left_out_text_is_marked_between_kept_sentences() -> None:
    [selected] = select_context(
        [passage(1, REPORT, "de")], "Pistorius Kabinett", max_sentences=2, neighbours=0
    )
    assert selected.context == (
        "Verteidigungsminister Boris Pistorius besuchte am Montag die Truppe in Litauen."
        + GAP
        + "Dort beriet das Kabinett über den Haushalt."
    )


def test_the_chunk_text_and_offsets_are_untouched() -> None:
    original = passage(1, REPORT, "de", start=len(PREFIX))
    [selected] = select_context([original], "Kabinett Haushalt", max_sentences=1, neighbours=0)
    assert selected.text == original.text and selected.start == original.start
    assert original.context == REPORT  # the input is not modified
    assert selected.context == "Dort beriet das Kabinett über den Haushalt."


def test_a_question_for_a_number_prefers_sentences_with_numbers() -> None:
    [selected] = select_context(
        [passage(1, REPORT, "de")],
        "Wie viele Soldaten kommen hinzu?",
        max_sentences=2,
        neighbours=0,
    )
    assert "6.000" in selected.context and "1.800" in selected.context
    assert "Ausrüstung" not in selected.context


def test_a_passage_with_nothing_in_common_keeps_its_whole_text_unless_it_is_first() -> None:
    first, second = select_context(
        [passage(1, REPORT, "de"), passage(2, WEATHER, "en")],
        "Pistorius Vilnius",
        max_sentences=1,
        neighbours=0,
    )
    assert first.context.startswith("Verteidigungsminister Boris Pistorius")
    assert len(first.context) < len(REPORT)
    assert second.context == WEATHER


def test_the_first_passage_keeps_its_best_sentences_even_without_a_match() -> None:
    [first] = select_context(
        [passage(1, WEATHER, "en")], "Qu'est-ce que c'est?", max_sentences=1, neighbours=0
    )
    assert first.context and first.context in WEATHER


def test_best_sentences_gives_article_offsets_best_first() -> None:
    article = PREFIX + REPORT
    p = passage(1, REPORT, "de", start=len(PREFIX))
    spans = best_sentences(p, "Bis 2027 sollen weitere 6.000 Soldaten hinzukommen", n=2)
    (start, end, score), (_, _, second) = spans
    assert article[start:end] == "Bis 2027 sollen weitere 6.000 Soldaten hinzukommen."
    assert score > second


def test_best_sentences_matches_numbers_in_any_notation() -> None:
    p = passage(1, REPORT, "de")
    [(start, end, score)] = best_sentences(p, "About 6,000 more are expected.", n=1)
    assert "6.000" in REPORT[start:end] and score > 0


def test_best_sentences_with_no_sentences_asked_is_empty() -> None:
    assert best_sentences(passage(1, REPORT, "de"), "Soldaten", n=0) == []


@pytest.mark.slow
def test_embeddings_carry_an_english_question_over_a_german_report(settings: Settings) -> None:
    """Lexically "soldiers" and "Soldaten" share nothing; the real e5 model bridges them."""
    embeddings = make_embeddings(settings)
    [selected] = select_context(
        [passage(1, REPORT, "de")],
        "How many more troops are expected to arrive?",
        max_sentences=1,
        neighbours=0,
        embeddings=embeddings,
    )
    assert selected.context == "Bis 2027 sollen weitere 6.000 Soldaten hinzukommen."


def test_an_empty_passage_has_no_sentences_and_an_empty_context() -> None:
    empty = passage(1, "", "en")
    assert best_sentences(empty, "anything", n=3) == []
    assert [p.context for p in select_context([empty], "anything")] == [""]


# --- the evidence a model reads -----------------------------------------------------------------


def words(text: str) -> int:
    return len(text.split())


def test_the_evidence_is_the_best_sentence_with_its_neighbours_within_the_budget():
    passages = [passage(1, REPORT, "de"), passage(2, WEATHER, "en")]
    (shown,) = evidence_context(
        passages, "Wie viele Soldaten sollen bis 2027 hinzukommen?", budget=45, count_tokens=words
    )
    assert shown.number == 1
    assert shown.context == (
        "Derzeit sind rund 1.800 Soldaten vor Ort. Bis 2027 sollen weitere 6.000 Soldaten "
        "hinzukommen. Die Kosten trägt zum großen Teil der Bund."
    )


def test_the_best_sentence_is_kept_whatever_the_budget():
    (shown,) = evidence_context(
        [passage(1, REPORT, "de")], "Bis 2027 weitere Soldaten?", budget=1, count_tokens=words
    )
    assert "Bis 2027 sollen weitere 6.000 Soldaten hinzukommen." in shown.context


def test_a_story_question_reads_one_passage_of_each_article():
    same_article = passage(3, REPORT, "de").model_copy(update={"article_id": "a1"})
    passages = [passage(1, REPORT, "de"), same_article, passage(2, WEATHER, "en")]
    shown = evidence_context(
        passages, "Soldaten und Regen", budget=500, count_tokens=words, one_per_article=True
    )
    assert sorted(p.article_id for p in shown) == ["a1", "a2"]


def test_the_evidence_goes_to_the_passage_the_retrieval_ranked_higher():
    # Two reports of the same words: the retrieval scored the second higher (a newer article,
    # a closer match of the whole chunk), so its sentence is the one the model reads.
    old_report = passage(1, REPORT, "de").model_copy(update={"score": 0.2})
    new_report = passage(2, REPORT, "de").model_copy(update={"score": 0.9})
    (shown,) = evidence_context(
        [old_report, new_report],
        "Wie viele Soldaten sollen bis 2027 hinzukommen?",
        budget=30,
        count_tokens=words,
    )
    assert shown.number == 2
    assert "6.000 Soldaten" in shown.context
