"""The extractive backend: quote the sentence that answers, cite it, or decline."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.extractive import extractive_answer, pick_sentences
from assistant.models import Passage
from assistant.questions import question_type
from assistant.replies import REPLIES

DECLINE_EN, DECLINE_DE = REPLIES["decline"]["en"], REPLIES["decline"]["de"]

TROOPS = (
    "Erstmals räumte Nordkorea im April ein, Soldaten an der Front eingesetzt zu haben. "
    "Im Juli berichtete die Kyiv Post, Nordkorea plane, weitere 25.000 bis 30.000 Soldaten zu "
    "entsenden. Die Truppen umfassen Ingenieure und Bauarbeiter."
)
EXPECTED = (
    "Putin verstärkt die Front mit Nordkorea. Laut Defense Express befinden sich bereits 11.000 "
    "nordkoreanische Soldaten in der Ukraine – weitere 6000 werden erwartet. Der Schwerpunkt "
    "liege auf Drohnen."
)
SISTER = (
    "Der US-Präsident pries das Verhältnis zu Kim. Ein Hindernis ist wohl die mächtige Schwester "
    "des Nordkoreaners. Noch im vergangenen Monat warnte Kim Yo Jong die USA davor, die "
    "Denuklearisierung voranzutreiben."
)


def passage(number: int, text: str) -> Passage:
    return Passage(
        number=number,
        chunk_id=f"a:{number}",
        article_id="a",
        title="Nordkorea schickt Soldaten",
        date=date(2025, 8, 13),
        source="fr.de",
        language="de",
        text=text,
        start=1000 * number,
        end=1000 * number + len(text),
    )


PASSAGES = [passage(1, TROOPS), passage(2, EXPECTED), passage(3, SISTER)]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many soldiers are expected?", "number"),
        ("Wie viele Soldaten sind bereits dort?", "number"),
        ("What is the population of Pyongyang?", "number"),
        ("Who is Kim Yo Jong?", "person"),
        ("When did the summit take place?", "date"),
        ("What did Putin discuss?", "other"),
    ],
)
def test_the_question_says_what_kind_of_answer_it_wants(question: str, kind: str) -> None:
    assert question_type(question) == kind


def test_how_many_expected_quotes_the_sentence_with_the_expected_number() -> None:
    answer = extractive_answer("How many soldiers are expected?", PASSAGES)
    first = answer.splitlines()[0]
    assert "6000 werden erwartet" in first
    assert first.endswith("[2]")


def test_a_german_question_is_answered_from_the_same_sentence() -> None:
    answer = extractive_answer("Wie viele Soldaten befinden sich bereits in der Ukraine?", PASSAGES)
    assert "11.000" in answer.splitlines()[0]


def test_who_is_includes_the_sentence_that_introduces_the_person() -> None:
    answer = extractive_answer("Who is Kim Yo Jong?", PASSAGES)
    assert "Schwester" in answer and "Kim Yo Jong" in answer
    assert answer.endswith("[3]")
    assert answer.count("[") == 1  # one quotation, one citation


def test_the_answer_is_a_verbatim_quote_of_the_passage() -> None:
    pick = pick_sentences("How many soldiers are expected?", PASSAGES)[0]
    quoted = extractive_answer("How many soldiers are expected?", PASSAGES).splitlines()[0]
    assert pick.passage.text[pick.start : pick.end] in quoted


def test_a_number_question_with_no_number_about_it_is_declined() -> None:
    question = "What is the population of Pyongyang?"
    assert pick_sentences(question, PASSAGES) == []
    assert extractive_answer(question, PASSAGES) == DECLINE_EN


def test_a_question_about_someone_never_named_is_declined() -> None:
    assert extractive_answer("Who is Olaf Scholz?", PASSAGES) == DECLINE_EN


def test_a_question_sharing_nothing_with_the_passages_is_declined() -> None:
    assert extractive_answer("What does the recipe recommend for dessert?", PASSAGES) == DECLINE_EN


def test_a_german_question_is_declined_in_german() -> None:
    assert extractive_answer("Wer ist Olaf Scholz?", PASSAGES) == DECLINE_DE


def test_the_follow_up_query_decides_what_is_picked() -> None:
    answer = extractive_answer(
        "What did she warn about?", PASSAGES, query="What did she warn about? (Kim Yo Jong)"
    )
    assert "warnte Kim Yo Jong" in answer
